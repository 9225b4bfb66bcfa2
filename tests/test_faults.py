"""Faults during a build (issue 6, items 24-27): a full disk, kill -9, two builds at once, no network.

The contract: the output folder is always the complete old build or the complete new one, its
manifest verifies, nothing is left beside it, and a failure names the file and what to do.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import data_with_label, make_data_dir
from kzelect import export, folder
from kzelect.build import build
from kzelect.cli import main

KZELECT = [sys.executable, "-m", "kzelect"]


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of a build folder, the query store's database aside (its files are RocksDB's own)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and "db" not in p.relative_to(out).parts}


def verify(out: Path) -> str:
    """Check that ``out`` is one complete build: the manifest lists exactly the files there, each digest
    matches, and the query store was loaded from these exports. Returns the manifest."""
    manifest = (out / folder.MANIFEST).read_text()
    listed = {}
    for line in manifest.splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and "store" not in p.relative_to(out).parts}
    assert present == set(listed) | {folder.MANIFEST}, f"files not in the manifest, or missing: {present ^ set(listed)}"
    for name, digest in listed.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, f"{name} does not match the manifest"
    stamp = (out / "store" / "LOADED-FROM").read_text()
    assert stamp and all(line in manifest.splitlines(keepends=True) for line in stamp.splitlines(keepends=True))
    return manifest


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.name != f".{out.name}.lock")


# -- 24: disk full ---------------------------------------------------------------------------------

class FullDisk:
    """An ``open`` for the export writer whose files fail with ENOSPC once ``victim`` is being written."""

    def __init__(self, victim: str):
        self.victim = victim

    def __call__(self, path, mode="r", *args, **kwargs):
        stream = open(path, mode, *args, **kwargs)  # noqa: SIM115 - handed to the caller
        if Path(path).name != self.victim:
            return stream
        original = stream.write

        def write(data):
            original(data[:100])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

        stream.write = write
        return stream


def test_a_full_disk_names_the_file_and_keeps_the_previous_build(tmp_path, monkeypatch):
    data, out = make_data_dir(tmp_path), tmp_path / "dist"
    build(out, data)
    before = snapshot(out)
    monkeypatch.setattr(export, "open", FullDisk(export.JSONLD), raising=False)
    result = CliRunner().invoke(main, ["build", "--data", str(data_with_label(tmp_path / "new", "Nur Otan party")), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{out.resolve() / export.JSONLD}: could not write the build: No space left on device" in result.output
    assert "Nothing was changed" in result.output and "Free some space" in result.output
    assert snapshot(out) == before
    verify(out)
    assert leftovers(out) == []


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True).returncode == 0


def test_a_really_full_disk_fails_cleanly(tmp_path):
    """The same on a real small file system (a tmpfs), where the kernel itself says ENOSPC."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "4m"):
        pytest.skip("mounting a tmpfs needs root (the injected ENOSPC test above covers the behaviour)")
    try:
        out = disk / "dist"
        small = make_data_dir(tmp_path)
        subprocess.run([*KZELECT, "build", "--data", str(small), "--out", str(out)], check=True, capture_output=True)
        before = snapshot(out)
        # the real data's build does not fit beside the old one in 4 MB
        result = subprocess.run([*KZELECT, "build", "--out", str(out)], capture_output=True, text=True)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "No space left on device" in result.stderr and f"Nothing was changed in {out}" in result.stderr
        assert snapshot(out) == before
        verify(out)
        assert leftovers(out) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# -- 25: kill -9 -----------------------------------------------------------------------------------

def test_kill_9_at_any_moment_leaves_the_old_build_or_the_new_one(tmp_path):
    out = tmp_path / "dist"
    old_data, new_data = make_data_dir(tmp_path / "old"), data_with_label(tmp_path / "new", "Nur Otan party")
    subprocess.run([*KZELECT, "build", "--data", str(old_data), "--out", str(out)], check=True, capture_output=True)
    old = verify(out)
    started = time.monotonic()
    subprocess.run([*KZELECT, "build", "--data", str(new_data), "--out", str(tmp_path / "reference")], check=True, capture_output=True)
    duration, new = time.monotonic() - started, verify(tmp_path / "reference")
    assert old != new
    chance = random.Random(25)  # fixed seed: the same moments on every run
    for attempt in range(10):
        data = new_data if attempt % 2 == 0 else old_data
        process = subprocess.Popen([*KZELECT, "build", "--data", str(data), "--out", str(out)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.3, 1.1) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        manifest = verify(out)
        assert manifest in (old, new), "the folder holds neither the old build nor the new one"
    # the next build cleans up what the killed ones left beside the folder
    subprocess.run([*KZELECT, "build", "--data", str(new_data), "--out", str(out)], check=True, capture_output=True)
    assert verify(out) == new
    assert leftovers(out) == []


# -- 26: two builds at once ------------------------------------------------------------------------

def test_a_second_build_into_the_same_folder_fails_at_once_naming_the_holder(tmp_path):
    out, data = tmp_path / "dist", make_data_dir(tmp_path)
    with folder.lock(out):
        result = subprocess.run([*KZELECT, "build", "--data", str(data), "--out", str(out)], capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 2
    assert "another build is writing this folder" in result.stderr
    assert f"process {os.getpid()} on " in result.stderr and "started " in result.stderr
    assert not out.exists()


def test_two_builds_started_together_one_writes_the_other_is_refused(tmp_path):
    out, data = tmp_path / "dist", make_data_dir(tmp_path)
    processes = [subprocess.Popen([*KZELECT, "build", "--data", str(data), "--out", str(out)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in processes]
    for p in processes:
        p.stdout.close()
        p.stderr.close()
    codes = sorted(code for code, _ in results)
    if codes == [0, 0]:  # the first finished before the second started: both legitimate, one after the other
        pytest.skip("the builds did not overlap on this machine")
    assert codes == [0, 2], results
    assert "another build is writing this folder (process " in next(err for code, err in results if code == 2)
    verify(out)


def test_the_lock_is_released_when_the_holder_is_killed(tmp_path):
    out = tmp_path / "dist"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from kzelect import folder\n"
                               f"with folder.lock({str(out)!r}):\n    print('held', flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(folder.BuildLocked, match=f"process {holder.pid} "):
            with folder.lock(out):
                pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with folder.lock(out):  # the operating system released it with the process
        pass


# -- the folder belongs to kzelect -----------------------------------------------------------------

def test_a_folder_that_is_not_a_build_is_never_replaced(tmp_path):
    out = tmp_path / "papers"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = CliRunner().invoke(main, ["build", "--data", str(make_data_dir(tmp_path)), "--out", str(out)])
    assert result.exit_code == 2
    assert "is not a kzelect build output" in result.output and "--out" in result.output
    assert (out / "thesis.tex").read_text() == "years of work" and len(list(out.iterdir())) == 1


# -- 27: no network --------------------------------------------------------------------------------

NO_NETWORK = """
import sys
def refuse(event, args):
    if event.startswith("socket.") and event not in ("socket.gethostname",):
        with open({log!r}, "a") as log:
            log.write(event + " " + repr(args)[:200] + "\\n")
        raise PermissionError("network access during the build: " + event)
sys.addaudithook(refuse)
from kzelect.cli import main
main(["build", "--out", {out!r}])
"""


def test_a_build_without_network_succeeds_and_is_byte_identical(dist, tmp_path):
    """Every socket operation is refused by an audit hook (and logged); the build never needs one."""
    out, log = tmp_path / "offline", tmp_path / "network.log"
    result = subprocess.run([sys.executable, "-c", NO_NETWORK.format(log=str(log), out=str(out))], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not log.exists(), log.read_text()
    assert snapshot(out) == snapshot(dist)


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs util-linux unshare (the audit-hook test above covers it)")
def test_a_build_in_a_namespace_with_no_network_is_byte_identical(dist, tmp_path):
    """A real cut: a user and network namespace with no interface but a down loopback."""
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not allowed here: {probe.stderr.decode().strip()}")
    out = tmp_path / "offline"
    result = subprocess.run(["unshare", "-rn", *KZELECT, "build", "--out", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert snapshot(out) == snapshot(dist)

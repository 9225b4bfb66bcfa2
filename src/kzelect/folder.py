"""The build's output folder: one build at a time, written aside, swapped in whole.

- ``lock(out)``: a lock beside the folder (``.{name}.lock``), held for the whole build. A second
  build into the same folder fails at once, naming the holder (process, host, start time). The
  lock is the operating system's (``flock``), so a killed build never leaves it held.
- ``staged(out)``: the build writes into a fresh sibling folder (``.{name}.new-*``); only when
  everything is written and synced is it exchanged with ``out`` in one atomic step (Linux
  ``renameat2(RENAME_EXCHANGE)``; elsewhere two renames, with a moment where ``out`` is absent).
  Whenever the process stops, even by ``kill -9``, ``out`` is the complete old set or the
  complete new set. Leftover sibling folders of a killed build are removed by the next build.
- The folder belongs to kzelect: an existing folder that is not a build output (no ``SHA256SUMS``
  manifest, not empty) is refused rather than replaced.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import KzelectError

MANIFEST = "SHA256SUMS"
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class OutputError(KzelectError):
    """The output folder cannot be written (locked, not ours, disk full, ...)."""


class BuildLocked(OutputError):
    """Another build holds the output folder."""


def _sibling(out: Path, kind: str) -> str:
    return f".{out.name}.{kind}"


@contextmanager
def lock(out: Path):
    """Hold the build lock of ``out`` for the duration of the block; fail at once if another build holds it."""
    import fcntl

    out = Path(out).resolve()  # a symlinked output folder: build beside its target
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.parent / _sibling(out, "lock")
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(f"{out}: another build is writing this folder ({_holder(path)}); "
                              f"wait for it to finish, or build into another folder with --out") from None
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                  "command": " ".join(sys.argv)}
        os.ftruncate(handle, 0)
        os.pwrite(handle, (json.dumps(holder, sort_keys=True) + "\n").encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(handle, 0)
    finally:
        os.close(handle)  # closing releases the lock


def _holder(path: Path) -> str:
    """Who holds the lock, as the holder wrote it just after taking the lock (so wait a moment if it is not there yet)."""
    for _ in range(40):
        try:
            holder = json.loads(path.read_text(encoding="utf-8"))
            return f"process {holder['pid']} on {holder['host']}, started {holder['started']}: {holder['command']}"
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    return f"see {path}"


def _ours(out: Path) -> bool:
    return not out.exists() or (out / MANIFEST).is_file() or (out.is_dir() and not any(out.iterdir()))


@contextmanager
def staged(out: Path):
    """Yield a fresh folder to write the build into; on success, put it in place of ``out`` atomically.

    Call inside ``lock(out)``. On any error the fresh folder is removed and ``out`` is untouched.
    """
    out = Path(out).resolve()  # a symlinked output folder: build beside its target
    if out.exists() and not out.is_dir() or not _ours(out):
        raise OutputError(f"{out}: exists and is not a kzelect build output (it has no {MANIFEST}); "
                          "a build replaces its output folder whole, so choose an empty or new folder with --out")
    _remove_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=_sibling(out, "new-"), dir=out.parent))
    try:
        os.chmod(staging, 0o777 & ~umask())
        yield staging
        _sync_tree(staging)
        _put_in_place(staging, out)
    except OSError as error:
        raise OutputError(_disk_message(error, staging, out)) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after the exchange it holds the old build


def _remove_leftovers(out: Path) -> None:
    """Folders left beside ``out`` by a build that was killed (we hold the lock, so none is in use)."""
    for kind in ("new-", "old-"):
        for path in out.parent.glob(_sibling(out, kind) + "*"):
            shutil.rmtree(path, ignore_errors=True)


def _put_in_place(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
    elif not _exchange(staging, out):
        old = Path(tempfile.mkdtemp(prefix=_sibling(out, "old-"), dir=out.parent))
        os.replace(out, old / out.name)
        os.replace(staging, out)
        os.replace(old / out.name, staging)
        old.rmdir()
    _fsync_dir(out.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # a file system without exchange
        return False
    raise OSError(code, os.strerror(code), str(b))


def _sync_tree(root: Path) -> None:
    """Flush every file and folder of ``root`` to disk, so the exchanged-in build survives a power cut."""
    for folder, _, files in os.walk(root):
        for name in files:
            handle = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)
        _fsync_dir(Path(folder))


def _fsync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def umask() -> int:
    """The process's umask (read by setting it, then restoring it)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _disk_message(error: OSError, staging: Path, out: Path) -> str:
    """Name the file as it would have been in ``out``: the staging folder is an implementation detail."""
    where = str(error.filename or out).replace(str(staging), str(out), 1)
    reason = error.strerror or str(error)
    hint = " Free some space and build again." if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
    return f"{where}: could not write the build: {reason}. Nothing was changed in {out}.{hint}"

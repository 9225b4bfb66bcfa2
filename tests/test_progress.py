"""Progress on standard error: shown on a terminal for a step over a second, never in a pipe, a log or a test."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time

from kzelect import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_in_a_pipe_is_the_loop_itself_and_writes_nothing():
    stream, items = io.StringIO(), [1, 2, 3]
    assert progress.bar(items, "counting", stream=stream, delay=0) is items
    with progress.step("waiting", stream=stream, delay=0):
        time.sleep(0.6)
    assert stream.getvalue() == ""


def test_a_bar_on_a_terminal_shows_its_label_and_count():
    stream = Terminal()
    assert list(progress.bar(range(3), "counting", total=3, stream=stream, delay=0)) == [0, 1, 2]
    assert "counting" in stream.getvalue() and "0/3" in stream.getvalue()  # redrawn at most every 0.2 s


def test_a_short_step_on_a_terminal_shows_nothing():
    stream = Terminal()
    assert list(progress.bar(range(3), "counting", stream=stream, delay=5)) == [0, 1, 2]
    with progress.step("waiting", stream=stream, delay=5):
        pass
    assert stream.getvalue() == ""


def test_a_long_step_on_a_terminal_shows_its_label_and_time():
    stream = Terminal()
    with progress.step("loading the store", stream=stream, delay=0.1):
        time.sleep(1.2)
    assert "loading the store: 00:0" in stream.getvalue()


def test_progress_can_be_turned_off_on_a_terminal(monkeypatch):
    monkeypatch.setenv("KZELECT_PROGRESS", "0")
    stream = Terminal()
    assert not progress.enabled(stream)
    assert list(progress.bar(range(2), "counting", stream=stream, delay=0)) == [0, 1]
    assert stream.getvalue() == ""


def build(tmp_path, stderr_tty: bool) -> tuple[int, str]:
    """``kzelect build`` of the base fixture with standard error on a pseudo-terminal or a pipe."""
    from conftest import make_data_dir

    data = make_data_dir(tmp_path)
    command = [sys.executable, "-m", "kzelect", "build", "--data", str(data), "--out", str(tmp_path / "out")]
    env = {**os.environ, "KZELECT_PROGRESS": "all"}
    if not stderr_tty:
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_build_shows_its_steps_on_a_terminal(tmp_path):
    code, shown = build(tmp_path, stderr_tty=True)
    assert code == 0, shown
    for label in ("read the data", "validate against the shapes", "write the exports"):
        assert label in shown


def test_build_shows_no_progress_in_a_pipe(tmp_path):
    code, stderr = build(tmp_path, stderr_tty=False)
    assert code == 0, stderr
    assert stderr == ""

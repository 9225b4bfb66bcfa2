"""Progress bars on standard error: only on a terminal, and only for a step that lasts over a second.

Library code wraps its long loops in ``bar(...)``; piped or redirected output, CI logs and tests that capture
standard error see nothing. ``KZELECT_PROGRESS=0`` turns the bars off on a terminal too; ``KZELECT_PROGRESS=all``
shows every step from its start, however short.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Iterable
from contextlib import contextmanager

from tqdm import tqdm

DELAY = 1.0  # seconds before a bar appears: a step that ends sooner shows none


def enabled(stream=None) -> bool:
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("KZELECT_PROGRESS", "") == "0":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _delay(delay: float | None) -> float:
    if delay is not None:
        return delay
    return 0.0 if os.environ.get("KZELECT_PROGRESS", "") == "all" else DELAY


def bar(iterable: Iterable, label: str, total: int | None = None, unit: str = "it", stream=None, delay: float | None = None):
    """``iterable``, with a progress bar named ``label`` on ``stream`` (standard error) when ``enabled``."""
    stream = stream if stream is not None else sys.stderr
    if not enabled(stream):
        return iterable
    delay = _delay(delay)
    return tqdm(iterable, desc=label, total=total, unit=unit, file=stream, delay=delay, leave=False,
                mininterval=0.2, **_size(stream))


def _size(stream) -> dict:
    """The terminal's size for tqdm; 80 x 24 where it says 0 (a new pseudo-terminal), which would make tqdm
    hide its bar (it hides bars below the last row)."""
    try:
        columns, rows = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        columns, rows = 0, 0
    return {"ncols": columns or 80, "nrows": rows or 24}


@contextmanager
def step(label: str, stream=None, delay: float | None = None):
    """A step without a loop to count (a parse, a bulk load): after ``delay`` seconds, ``label`` and the time so far
    on ``stream`` (standard error) when ``enabled``, refreshed twice a second until the step ends."""
    stream = stream if stream is not None else sys.stderr
    if not enabled(stream):
        yield
        return
    done, delay = threading.Event(), _delay(delay)

    def show():
        if done.wait(delay):
            return
        with tqdm(desc=label, total=None, file=stream, leave=False, bar_format="{desc}: {elapsed}",
                  **_size(stream)) as ticker:
            while not done.wait(0.5):
                ticker.refresh()

    thread = threading.Thread(target=show, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()

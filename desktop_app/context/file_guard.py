"""A time limit per file, so one file can never hang an index run.

Reading a photo opens it without blocking and refuses anything but a regular file
(:mod:`desktop_app.engine.file_read`), which covers a file replaced by a named pipe mid-scan.
What is left — a read stuck on a dead network share, a decoder caught in a pathological file —
is cut by :func:`file_deadline`: past the limit the work on that file is interrupted and the
file is reported as skipped ("took longer than 120 s to read"), and the run goes on.

The limit uses ``SIGALRM`` (an interval timer), so it works in the main thread of a POSIX
process: every decoder worker process, and the CLI when it analyses in-process. Elsewhere (a GUI
worker thread, Windows) it does nothing; the worker processes still have it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any, Iterator

#: Seconds one file may take (read + decode + features); ``$LOOKALIKE_FILE_TIMEOUT`` overrides.
FILE_TIMEOUT = 120.0


class FileTimeout(BaseException):
    """The file took longer than the limit. A BaseException, like KeyboardInterrupt: it
    interrupts whatever runs, and the decoders' catch-all ``except Exception`` must not turn it
    into a "corrupt file"."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s to read")
        self.seconds = seconds


def file_timeout() -> float:
    try:
        return float(os.environ.get("LOOKALIKE_FILE_TIMEOUT", FILE_TIMEOUT))
    except ValueError:
        return FILE_TIMEOUT


@contextlib.contextmanager
def file_deadline(seconds: float | None = None) -> Iterator[None]:
    """Raise :class:`FileTimeout` inside the block once it has run ``seconds`` (default
    :func:`file_timeout`). A no-op where signals can't be used (see the module doc)."""
    limit = file_timeout() if seconds is None else seconds
    usable = (limit > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise FileTimeout(limit)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

"""Ctrl-C (SIGINT) and SIGTERM turn into a clean cancel of the running ``lookalike-cli`` job.

The job (index, comparing, archive, undo) checks a :class:`CancelToken` between files, so the
file in flight is finished, the work so far is kept (an archive journals its end, prints its
summary and the undo command, and updates the index). A second Ctrl-C aborts at once
(``KeyboardInterrupt``); even then the archive journal lets the next start settle the file in
flight.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from types import FrameType
from typing import Any, Iterator

from desktop_app.engine.progress import CancelToken

SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)


class CancelOnSignals:
    """``with CancelOnSignals(token, "Stopping after the current file"):`` — the first SIGINT
    or SIGTERM cancels ``token`` and says so on stderr; a second SIGINT raises
    KeyboardInterrupt. Outside the main thread (embedded use) nothing is installed."""

    def __init__(self, token: CancelToken, what: str = "Stopping after the current files") -> None:
        self.token = token
        self.what = what
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> "CancelOnSignals":
        for signum in SIGNALS:
            try:
                self.previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread
                break
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.token.cancelled and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.token.cancel()
        again = " (Ctrl-C again to abort)" if signum == signal.SIGINT else ""
        sys.stderr.write(f"\n{self.what}{again}...\n")
        sys.stderr.flush()

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        self.previous.clear()


@contextlib.contextmanager
def ctrl_c_interrupts() -> Iterator[None]:
    """Inside a :class:`CancelOnSignals` scope, let Ctrl-C raise KeyboardInterrupt again for
    the ``with`` block (a question to the user, where there is nothing to finish first)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

"""Progress reports for the context's long runs (indexing, pair scoring): throttled, with rate
and ETA, and a cancel request from either the token or a callback that raises ``Cancelled``."""

from __future__ import annotations

import time

from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.errors import Cancelled

PROGRESS_INTERVAL = 0.1  # seconds between progress reports (a GUI needs no more)


class ProgressReporter:
    """Rate/ETA bookkeeping for one phase; a callback raising Cancelled counts as a cancel."""

    def __init__(self, callback: ProgressFn | None, cancel: CancelToken | None,
                 *, interval: float | None = None) -> None:
        self.callback = callback
        self.cancel = cancel
        self.cancel_requested = False
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.start = time.monotonic()
        self.last = 0.0

    def restart(self) -> None:
        """A new phase starts: rate and ETA are measured from now."""
        self.start = time.monotonic()
        self.last = 0.0

    def cancelled(self) -> bool:
        if self.cancel is not None and self.cancel.cancelled:
            self.cancel_requested = True
        return self.cancel_requested

    def report(self, done: int, total: int, current: str, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last < self.interval and done < total:
            return
        self.last = now
        try:
            self.callback(Progress.since(self.start, done, total, current))
        except Cancelled:
            self.cancel_requested = True

"""Runs review-session operations off the GUI thread, one at a time, in order.

Regrouping 10,000 groups, or applying a rule to all of them, is Python work on every member
(about a second on a slow machine) — too long for the GUI thread. The page submits such an
operation as a function; the runner runs them sequentially in a worker (so the session, which is
not thread-safe, is only ever used by one thread at a time) and reports each result in the GUI
thread. Regroup requests coalesce: while the slider moves, only the latest pending threshold runs.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.ui.common.workers import TaskWorker

log = logging.getLogger(__name__)

REGROUP = "regroup"


class SessionRunner(QObject):
    """``submit(kind, fn)``; ``finished(kind, result)`` or ``failed(kind, message)`` follow."""

    finished = Signal(str, object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[tuple[str, Callable[[], Any]]] = deque()
        self._worker: TaskWorker | None = None
        self._kind = ""

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def submit(self, kind: str, fn: Callable[[], Any]) -> None:
        """Queue ``fn`` (runs in a worker thread). A new regroup replaces a pending one."""
        if kind == REGROUP:
            self._queue = deque(item for item in self._queue if item[0] != REGROUP)
        self._queue.append((kind, fn))
        if self._worker is None:
            self.busy_changed.emit(True)
            self._next()

    def clear(self) -> None:
        """Drop queued operations (the running one finishes; its result is still reported)."""
        self._queue.clear()

    def wait(self, msecs: int = 10000) -> None:
        self._queue.clear()
        worker = self._worker
        if worker is not None and worker.thread() is not None:
            worker.thread().wait(msecs)

    def _next(self) -> None:
        if not self._queue:
            self._worker = None
            self.busy_changed.emit(False)
            return
        kind, fn = self._queue.popleft()
        self._kind = kind
        worker = TaskWorker(lambda _progress, _cancel: fn(), self)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        worker.start()

    @Slot(object)
    def _on_worker_finished(self, result: object) -> None:
        kind = self._kind
        self._worker = None
        self.finished.emit(kind, result)
        if self._worker is None:
            self._next()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        kind = self._kind
        self._worker = None
        self.failed.emit(kind, message)
        if self._worker is None:
            self._next()

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._worker = None
        self._next()

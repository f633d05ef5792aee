"""The one serial executor: everything that touches the review session or writes the library
off the GUI thread, one operation at a time, in order.

Regrouping 10,000 groups, applying a rule, saving a mark, adding a folder, archiving and undoing
all use the session or the context database; the session is not thread-safe and a database write
may wait on a lock, so none of it runs on the GUI thread. Pages submit such an operation as a
function; the executor runs them one after another in a worker and reports each result in the GUI
thread. ``busy`` (and ``busy_changed``) is the one answer to "is the session in use?". Regroup
requests coalesce: while the slider moves, only the latest pending threshold runs.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.engine.progress import Progress
from desktop_app.ui.common.workers import TaskFn, TaskWorker

log = logging.getLogger(__name__)

REGROUP = "regroup"


class SerialExecutor(QObject):
    """``submit(kind, fn)`` or ``submit_task(kind, task)``; then ``finished(kind, result)``,
    ``failed(kind, message)`` or ``cancelled(kind)``. ``progressed(kind, Progress)`` relays a
    task's progress."""

    finished = Signal(str, object)
    failed = Signal(str, str)
    cancelled = Signal(str)
    progressed = Signal(str, object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[tuple[str, TaskFn]] = deque()
        self._worker: TaskWorker | None = None
        self._kind = ""

    @property
    def busy(self) -> bool:
        """An operation runs or waits: the session must not be used from the GUI thread."""
        return self._worker is not None or bool(self._queue)

    @property
    def running_kind(self) -> str:
        """The kind of the operation running now ("" when none runs)."""
        return self._kind if self._worker is not None else ""

    def has(self, *kinds: str) -> bool:
        """One of ``kinds`` runs or waits in the queue."""
        return self.running_kind in kinds or any(kind in kinds for kind, _ in self._queue)

    def busy_except(self, *kinds: str) -> bool:
        """An operation other than ``kinds`` runs or waits (e.g. a background count, which a
        new operation may simply queue behind, is not "busy" for it)."""
        running = [self.running_kind] if self._worker is not None else []
        return any(kind not in kinds for kind in running + [kind for kind, _ in self._queue])

    def submit(self, kind: str, fn: Callable[[], Any]) -> None:
        """Queue ``fn()`` (runs in a worker thread). A new regroup replaces a pending one."""
        self.submit_task(kind, lambda _progress, _cancel: fn())

    def submit_task(self, kind: str, task: TaskFn) -> None:
        """Queue ``task(progress, cancel)``: progress is relayed, :meth:`cancel` reaches it."""
        if kind == REGROUP:
            self._queue = deque(item for item in self._queue if item[0] != REGROUP)
        idle = not self.busy
        self._queue.append((kind, task))
        if idle:
            self.busy_changed.emit(True)
        if self._worker is None:
            self._next()

    @Slot()
    def cancel(self) -> None:
        """Ask the running operation to stop (at its next check)."""
        if self._worker is not None:
            self._worker.cancel()

    def wait(self, msecs: int = 10000) -> None:
        """Drop the queue and wait for the running operation (the window is closing)."""
        self._queue.clear()
        worker = self._worker
        if worker is not None and worker.thread() is not None:
            worker.thread().wait(msecs)

    def _next(self) -> None:
        if not self._queue:
            self.busy_changed.emit(False)
            return
        kind, task = self._queue.popleft()
        self._kind = kind
        worker = TaskWorker(task, self)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        worker.start()

    @Slot(object)
    def _on_worker_progressed(self, progress: Progress) -> None:
        self.progressed.emit(self._kind, progress)

    # Each report goes out with no operation running (its handler may use the session on the GUI
    # thread, or submit the next step, which queues behind what already waits); then the next
    # operation starts.
    def _ended(self) -> str:
        kind, self._kind, self._worker = self._kind, "", None
        return kind

    def _continue(self) -> None:
        if self._worker is None:
            self._next()

    @Slot(object)
    def _on_worker_finished(self, result: object) -> None:
        self.finished.emit(self._ended(), result)
        self._continue()

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self.failed.emit(self._ended(), message)
        self._continue()

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self.cancelled.emit(self._ended())
        self._continue()

"""Latest wins: one background task at a time, where a newer request supersedes an older one.

As in Qt's mandelbrot example (one worker, restart/abort flags): a request made while a task runs
cancels it (at the task's next cancel check) and waits; when the running task ends, its result is
dropped if it was superseded and the latest waiting request starts — never more than one running,
never more than one waiting, and only the newest answer reaches the page. Searches on the Find
Similar page, the Compare page's comparison and the review's difference map use it.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.ui.common.workers import TaskFn, TaskWorker, stop_workers

log = logging.getLogger(__name__)

#: Builds the task when it starts (so it sees the page's state at that moment, not at request time).
TaskFactory = Callable[[], TaskFn]


class LatestWins(QObject):
    """``request(tag, make_task)``; then ``finished(tag, result)`` or ``failed(tag, message)`` —
    only for a request nothing newer superseded. ``tag`` says which request an answer is for."""

    finished = Signal(object, object)
    failed = Signal(object, str)
    idle = Signal()                  # nothing runs or waits any more

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: TaskWorker | None = None
        self._running_tag: object = None
        self._waiting: tuple[object, TaskFactory] | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None or self._waiting is not None

    def request(self, tag: object, make_task: TaskFactory) -> None:
        """Run the task ``make_task()`` builds, after cancelling (and dropping) what runs now."""
        if self._running is not None:
            self._waiting = (tag, make_task)
            self._running.cancel()
            return
        self._start(tag, make_task)

    def shutdown(self, msecs: int = 10_000) -> None:
        """Cancel and wait for the running task (the page is closing)."""
        self._waiting = None
        if self._running is not None:
            stop_workers([self._running], msecs=msecs)

    def _start(self, tag: object, make_task: TaskFactory) -> None:
        worker = TaskWorker(make_task(), self)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self._running, self._running_tag = worker, tag
        worker.start()

    def _ended(self, deliver: Callable[[object], None] | None) -> None:
        """The running task ended: deliver its answer unless superseded, then start what waits."""
        tag, current = self._running_tag, self._waiting is None
        self._running, self._running_tag = None, None
        if current and deliver is not None:
            deliver(tag)
        if self._running is not None:
            return   # the answer's handler asked again: that request runs now
        if self._waiting is not None:
            (tag, make_task), self._waiting = self._waiting, None
            self._start(tag, make_task)
        else:
            self.idle.emit()

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self._ended(lambda tag: self.finished.emit(tag, result))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._ended(lambda tag: self.failed.emit(tag, message))

    @Slot()
    def _on_cancelled(self) -> None:
        self._ended(None)

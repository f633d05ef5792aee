"""Run long engine/context/workflow calls off the GUI thread.

A :class:`TaskWorker` is a QObject moved to its own QThread. It calls ``fn(progress, cancel)``,
relays :class:`~desktop_app.engine.progress.Progress` as a Qt signal, and reports the result or
a one-line error. ``cancel()`` sets the engine's :class:`CancelToken`; the function raises
:class:`~desktop_app.errors.Cancelled` at its next check and the worker emits ``cancelled`` — or,
if it stops part-way and *returns* (an archive reporting what it moved), ``finished`` with that
result: whatever the task returns is always delivered.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any, Callable, Iterable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from desktop_app.context.db_health import database_error
from desktop_app.context.schema import default_db_path
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.errors import Cancelled, LookalikeError

log = logging.getLogger(__name__)

TaskFn = Callable[[Callable[[Progress], None], CancelToken], Any]


class _Keeper(QObject):
    """Holds running workers until their thread has *finished*, then lets them go (GUI thread).

    A TaskWorker has no Qt parent (it lives in its own thread), so its Python wrapper owns it.
    If the owner dropped its reference as soon as ``finished`` arrived, the C++ object would be
    deleted while its thread was still winding down (a crash), and ``deleteLater`` on top of
    Python's ownership would delete it twice. The keeper, living in the GUI thread, receives the
    thread's ``finished`` queued — after the thread is done — and only then releases the worker.
    """

    def __init__(self) -> None:
        super().__init__()
        self._running: dict[int, "TaskWorker"] = {}

    def keep(self, worker: "TaskWorker") -> None:
        self._running[id(worker)] = worker

    @Slot()
    def release(self) -> None:
        thread = self.sender()
        for key, worker in list(self._running.items()):
            if worker._thread is thread:
                del self._running[key]


_keeper: _Keeper | None = None


def _the_keeper() -> _Keeper:
    global _keeper
    if _keeper is None:
        _keeper = _Keeper()
    return _keeper


class TaskWorker(QObject):
    """Runs one task in a QThread. Signals are delivered queued to the GUI thread."""

    progressed = Signal(object)       # Progress
    finished = Signal(object)         # the task's return value
    failed = Signal(str)              # one-line user-facing message
    cancelled = Signal()

    def __init__(self, fn: TaskFn, parent: QObject | None = None) -> None:
        super().__init__()
        self._fn = fn
        self._token = CancelToken()
        # The thread belongs to the long-lived keeper, not to ``parent``: a QThread destroyed
        # while running aborts the process, and a short-lived owner (a dialog, a page being
        # replaced) may go before the task has wound down. ``parent`` is kept for the API.
        self._parent = parent
        self._thread = QThread(_the_keeper())
        self.moveToThread(self._thread)
        self._thread.started.connect(self._run)
        # The thread stops itself when the task has reported, whatever the outcome.
        # Direct: quit() is thread-safe, and a queued call would wait for the GUI event loop —
        # a GUI thread blocked in ``thread.wait()`` (shutdown) would then wait forever.
        for sig in (self.finished, self.failed, self.cancelled):
            sig.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(_the_keeper().release)
        self._thread.finished.connect(self._thread.deleteLater)

    def start(self) -> None:
        """Start the thread. Connect to the signals first so no report is missed."""
        _the_keeper().keep(self)
        self._thread.start()

    @Slot()
    def cancel(self) -> None:
        self._token.cancel()

    @Slot()
    def _run(self) -> None:
        try:
            result = self._fn(self.progressed.emit, self._token)
        except Cancelled:
            self.cancelled.emit()
        except LookalikeError as err:
            self.failed.emit(str(err))
        except sqlite3.DatabaseError as err:  # damaged/busy/read-only, found mid-task: say which
            log.warning("library database error: %s", err)
            self.failed.emit(str(database_error(err, default_db_path())))  # the window's database
        except Exception as err:  # a bug: keep the app alive, log the traceback, tell the user
            log.exception("background task failed")
            self.failed.emit(f"Unexpected error: {err}")
        else:
            # A task that returns has a result to report even if Cancel was pressed meanwhile:
            # an archive cancelled part-way returns what it moved, and that must reach the user
            # (and become Undo's target). ``cancelled`` means only "Cancelled was raised".
            self.finished.emit(result)



def stop_workers(workers: Iterable[TaskWorker], *, msecs: int = 10_000) -> None:
    """Cancel ``workers`` and wait for their threads to end (a page closing with the window)."""
    gui = QCoreApplication.instance()
    for worker in list(workers):
        try:
            worker.cancel()
            # None once Qt has deleted the thread (the stub says it never is).
            thread: QThread | None = worker.thread()
            if thread is not None and (gui is None or thread is not gui.thread()):
                thread.wait(msecs)
        except RuntimeError:  # already deleted by Qt: nothing left to wait for
            pass

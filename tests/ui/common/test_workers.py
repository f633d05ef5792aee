"""TaskWorker: results in the GUI thread, its thread can be waited for, owners may go first."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, Slot

from desktop_app.ui.common.workers import TaskWorker


def test_thread_ends_without_the_gui_event_loop(qtbot) -> None:
    """Shutdown blocks the GUI thread in wait(): the worker's thread must still end."""
    worker = TaskWorker(lambda progress, cancel: 7)
    thread = worker.thread()
    worker.start()
    assert thread.wait(5000)        # no event processing here: quit() must not need the GUI loop


def test_result_arrives_in_the_gui_thread(qtbot) -> None:
    gui = threading.get_ident()
    seen: list[int] = []

    class Receiver(QObject):
        @Slot(object)
        def on_finished(self, value: object) -> None:
            seen.append(threading.get_ident())

    receiver = Receiver()
    ran_in: list[int] = []
    worker = TaskWorker(lambda progress, cancel: ran_in.append(threading.get_ident()))
    worker.finished.connect(receiver.on_finished)
    worker.start()   # (waitSignal on a worker's own signal would run its slot in the worker)
    qtbot.waitUntil(lambda: seen == [gui])
    assert ran_in and ran_in[0] != gui


def test_owner_dropping_its_reference_early_is_safe(qtbot) -> None:
    owner = QObject()
    done = threading.Event()
    worker = TaskWorker(lambda progress, cancel: done.wait(5), owner)
    thread = worker.thread()
    worker.start()
    del worker
    owner.deleteLater()
    del owner
    gc.collect()
    done.set()
    assert thread.wait(5000)

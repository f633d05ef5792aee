"""A library database found damaged (or busy, read-only) in the middle of a background task is
said as such in the window, never "Unexpected error: database disk image is malformed"
(issue 11, item 8)."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QObject, Slot

from desktop_app.context.schema import default_db_path
from desktop_app.ui.common.workers import TaskWorker


def test_a_damaged_database_mid_task_is_a_plain_message(qtbot) -> None:
    messages: list[str] = []

    class Receiver(QObject):
        @Slot(str)
        def on_failed(self, message: str) -> None:
            messages.append(message)

    def task(progress: object, cancel: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    receiver = Receiver()
    worker = TaskWorker(task)
    worker.failed.connect(receiver.on_failed)
    worker.start()
    qtbot.waitUntil(lambda: bool(messages))
    assert messages[0].startswith(f"The library database is damaged: {default_db_path()}.")
    assert "lookalike-cli repair" in messages[0] and "Unexpected" not in messages[0]

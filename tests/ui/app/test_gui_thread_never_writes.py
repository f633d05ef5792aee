"""The GUI thread never writes the database: every write statement of a session that creates a
library, adds a folder, scans, marks, protects a folder, archives and undoes is traced (sqlite's
trace callback on every connection) with the thread that ran it, and none ran on the GUI thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt

from desktop_app.workflow.archive import ArchiveFolder
from tests.ui.conftest import Confirm, idle, wait_scan_done
from tests.ui.photos import content_multiset

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


@pytest.fixture
def traced(monkeypatch) -> list[tuple[bool, str]]:  # type: ignore[no-untyped-def]
    """(ran on the GUI thread, statement) for every write statement, from every connection."""
    writes: list[tuple[bool, str]] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)

        def trace(statement: str) -> None:
            if statement.lstrip().upper().startswith(WRITES):
                writes.append((threading.current_thread() is threading.main_thread(), statement))

        conn.set_trace_callback(trace)
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect)
    return writes


def test_scan_mark_protect_archive_undo_write_only_off_the_gui_thread(
    qtbot, traced, library, tmp_path: Path,
) -> None:
    from desktop_app.context.store import ContextStore
    from desktop_app.ui.app.main_window import MainWindow

    root, files = library
    archive = tmp_path / "Archive"
    before = content_multiset(root, archive)
    store = ContextStore(tmp_path / "lookalike.sqlite")   # the schema is made here, before the window
    confirm = Confirm()
    window = MainWindow(store, settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                        confirm_archive=confirm, choose_folder=lambda parent: str(root))
    qtbot.addWidget(window)
    window.duplicates.scan_workers = 1
    page = window.duplicates
    traced.clear()
    try:
        window.open_folders([str(root)])                              # create a library, add, scan
        wait_scan_done(qtbot, window)
        path = page.model.group(0).members[1].path
        page.toggle(path)                                             # a hand mark, saved
        idle(qtbot, page)
        model = page.folders.model
        with qtbot.waitSignal(page.groups_changed, timeout=60000):    # protect, regroup
            model.setData(model.index(0), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
        with qtbot.waitSignal(page.groups_changed, timeout=60000):
            model.setData(model.index(0), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
        confirm.answer = ArchiveFolder(str(archive))
        with qtbot.waitSignal(page.groups_changed, timeout=60000):    # archive
            page.archive_marked()
        assert page.archive.last_result is not None and page.archive.last_result.moved
        idle(qtbot, page)
        with qtbot.waitSignal(page.groups_changed, timeout=60000):    # undo
            window.undo_action.trigger()
        idle(qtbot, page)
        assert content_multiset(root, archive) == before
        kinds = {statement.split()[0].upper() for _, statement in traced}
        assert {"INSERT", "UPDATE", "DELETE"} <= kinds                 # the trace saw the writes
        on_gui = [statement for gui, statement in traced if gui]
        assert on_gui == []
    finally:
        window.duplicates.shutdown()
        window.similar.shutdown()
        store.close()

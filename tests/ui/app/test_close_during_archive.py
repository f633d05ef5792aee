"""Closing the window while files move never exits mid-move: the archive stops after the file
being moved, the journal ends the operation, then the window closes."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from desktop_app.workflow.archive import ArchiveFolder
from desktop_app.workflow.journal import ArchiveLog
from tests.ui.conftest import wait_scan_done
from tests.ui.photos import content_multiset


def test_closing_during_an_archive_waits_for_it_to_stop_then_closes(qtbot: Any, make_window: Any, library: Any,
                                                                     confirm: Any, monkeypatch: Any,
                                                                     tmp_path: Path) -> None:
    root, _files = library
    archive = tmp_path / "Archive"
    archive.mkdir()
    before = content_multiset(root)
    window = make_window()
    window.show()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    assert page.session.summary().to_archive > 0
    controller = window.archive.controller
    real_run = controller.run
    go = threading.Event()

    def held_run(*args: Any, **kwargs: Any) -> Any:   # the archive is under way until the test says
        assert go.wait(60)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(controller, "run", held_run)
    confirm.answer = ArchiveFolder(str(archive))
    page.archive_marked()
    qtbot.waitUntil(lambda: window.archive.moving, timeout=60000)

    window.close()
    assert window.isVisible() and window.archive.moving       # not closed mid-move
    go.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60000)   # closed once it stopped
    assert not window.archive.moving
    ops = ArchiveLog(page.session.context.data_dir).operations()
    assert all(op.finished_cleanly for op in ops)            # nothing left for recovery
    assert content_multiset(root, archive) == before

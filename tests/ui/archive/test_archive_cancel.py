"""Cancelling an archive part-way reports what moved, makes it Undo's target and regroups."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from desktop_app.ui.common.workers import TaskWorker
from desktop_app.workflow.archive import Trash
from tests.ui.conftest import wait_scan_done


class CancellingTrash:
    """A trash in a temporary folder that presses Cancel after the first file it takes."""

    def __init__(self, where: Path, cancel: object) -> None:
        self.where = where
        self.cancel = cancel
        self.taken: list[str] = []

    def move_to_trash(self, path: str, /) -> str | None:
        self.where.mkdir(exist_ok=True)
        place = self.where / f"{len(self.taken)}-{os.path.basename(path)}"
        shutil.move(path, place)
        self.taken.append(path)
        self.cancel()        # thread-safe: sets the worker's CancelToken
        return str(place)


def test_task_returning_after_cancel_reports_its_result(qtbot) -> None:
    def task(_progress, cancel):  # type: ignore[no-untyped-def]
        cancel.cancel()          # Cancel pressed while the task runs; it stops and returns
        return "partial"

    worker = TaskWorker(task)
    got: list[object] = []
    cancelled: list[bool] = []
    worker.finished.connect(got.append)
    worker.cancelled.connect(lambda: cancelled.append(True))
    worker.start()
    qtbot.waitUntil(lambda: bool(got or cancelled))
    assert got == ["partial"] and not cancelled


def test_cancel_mid_archive_shows_the_partial_result_with_undo(qtbot, make_window, library, confirm,
                                                                tmp_path: Path) -> None:
    root, _ = library
    window = make_window()
    page = window.duplicates
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    marked = {m.path for g in page.model.groups() for m in g.archived}
    assert len(marked) >= 2
    trash = CancellingTrash(tmp_path / "trash", lambda: page.archive.cancel())
    page.trash = trash
    confirm.answer = Trash()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # the archive, then the regroup
        page.detect.archive_button.click()
    assert len(trash.taken) == 1
    gone = trash.taken[0]
    text = page.messages.text()
    assert f"Archived <b>1</b> of {len(marked)} files" in text and "then stopped" in text
    assert "nothing" not in text.lower()
    assert page.messages.button("Undo") is not None
    assert page.archive.latest_operation is not None
    shown = {m.path for g in page.model.groups() for m in g.members}
    assert gone not in shown                                     # the archived file left the groups
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.messages.button("Undo").click()
    assert os.path.exists(gone)
    assert all(os.path.exists(p) for p in marked)

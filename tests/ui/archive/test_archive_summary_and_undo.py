"""After archiving: a summary listing what moved and what stayed, with Show in Archive, Save Log…
and Undo; Undo from it restores every file with the marks it had and removes the folders the
archive made."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.ui.archive.summary_dialog import ArchiveSummaryDialog
from desktop_app.workflow.archive import ArchiveFolder
from tests.ui.conftest import wait_scan_done
from tests.ui.photos import content_multiset


def _marks(page) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {m.path: (m.mark.value, m.chosen_by) for g in page.model.groups() for m in g.members}


def test_summary_then_undo_restores_marks_and_removes_the_folders_it_made(qtbot, make_window, library, confirm,
                                                                         tmp_path: Path) -> None:
    root, _files = library
    archive = tmp_path / "Archive"
    archive.mkdir()
    (archive / "Mine").mkdir()                       # the user's own empty folder: it stays
    before_files = content_multiset(root)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    # A rule decides (its marks differ from the proposal), then one file by hand.
    proposal = _marks(page)
    page.apply_rules("newest", selected_only=False)
    qtbot.waitUntil(lambda: not page.executor.busy and _marks(page) != proposal, timeout=60000)
    before = _marks(page)
    assert any(c.startswith("rule:") and m == "archive" for m, c in before.values())
    planned = page.session.summary()
    assert planned.to_archive > 0

    confirm.answer = ArchiveFolder(str(archive))
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # archive, then the regroup
        page.archive_marked()
    dialog = page.summaries.summary_dialog
    assert isinstance(dialog, ArchiveSummaryDialog) and dialog.isVisible()
    moved = window.archive.last_result.moved
    assert dialog.moved_item.childCount() == len(moved) == planned.to_archive
    row = dialog.moved_item.child(0)
    assert row.toolTip(3).startswith(str(archive)) and row.toolTip(0) == moved[0].source
    assert dialog.show_button.isEnabled() and dialog.save_button.isEnabled() and dialog.undo_button.isEnabled()
    made = {p for p in archive.rglob("*") if p.is_dir()} - {archive / "Mine"}
    assert made                                        # the archive mirrored the library's folders

    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.executor.busy, timeout=60000)
    assert all(os.path.exists(m.source) for m in moved)
    assert content_multiset(root, archive) == before_files
    # the folders it made are gone; the archive folder and the user's own folder stay
    assert sorted(p.name for p in archive.iterdir() if p.is_dir()) == ["Mine"]
    # every file has the mark it had, chosen by whoever chose it: the same plan again
    assert _marks(page) == before
    again = page.session.summary()
    assert (again.to_archive, again.bytes_to_free) == (planned.to_archive, planned.bytes_to_free)


def test_summary_lists_what_was_left_in_place(qtbot) -> None:
    from desktop_app.workflow.archive import ArchiveResult, MovedFile
    from desktop_app.workflow.archive_controller import ARCHIVED, ArchiveSummary

    result = ArchiveResult("op1", moved=(MovedFile("/lib/a.jpg", "/arc/a.jpg", 10, "rename"),),
                           skipped=(("/lib/b.jpg", "changed since the scan"),),
                           errors=(("/lib/c.jpg", "permission denied"),))
    undone, saved = [], []
    dialog = ArchiveSummaryDialog(ArchiveSummary(ARCHIVED, result=result, planned=3, destination=ArchiveFolder("/arc")),
                                  undo=lambda: undone.append(1), save_log=lambda: saved.append(1))
    qtbot.addWidget(dialog)
    assert dialog.left_item.childCount() == 2
    assert dialog.left_item.child(0).text(3) == "changed since the scan"
    dialog.save_button.click()
    dialog.undo_button.click()
    assert saved == [1] and undone == [1]


def test_the_undo_of_a_summary_undoes_its_own_archive_not_the_latest(qtbot, make_window, library, confirm,
                                                                     tmp_path: Path) -> None:
    root, _files = library
    archive = tmp_path / "Archive"
    archive.mkdir()
    before_files = content_multiset(root)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    later = [m.path for g in page.model.groups()[1:] for m in g.members if m.mark.value == "archive"]
    first_batch = [m.path for m in page.model.groups()[0].members if m.mark.value == "archive"]
    assert later and first_batch
    for path in later:                               # kept for now: the first archive is group 1's
        page.session.set_mark(path, "keep")
    confirm.answer = ArchiveFolder(str(archive))
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    first_dialog = page.summaries.summary_dialog
    assert isinstance(first_dialog, ArchiveSummaryDialog)
    assert {m.source for m in window.archive.last_result.moved} == set(first_batch)
    for path in later:
        page.session.set_mark(path, "archive")
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    assert page.summaries.summary_dialog is not first_dialog
    assert {m.source for m in window.archive.last_result.moved} == set(later)

    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        first_dialog.undo_button.click()             # the first summary's Undo
    qtbot.waitUntil(lambda: not page.executor.busy and not window.archive.is_running, timeout=60000)
    assert all(os.path.exists(p) for p in first_batch)          # the first archive came back
    assert not any(os.path.exists(p) for p in later)            # the latest one stays archived
    assert content_multiset(root, archive) == before_files

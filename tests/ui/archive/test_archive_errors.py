"""Errors of the workflow (plan, execute, undo) reach the user as one plain sentence in the
message bar and the status bar; no traceback, no dead button, nothing moved that shouldn't."""

from __future__ import annotations

import os

from desktop_app.errors import ArchiveError
from desktop_app.workflow.archive import ArchiveFolder, Trash
from tests.ui.photos import content_multiset


def _one_sentence(text: str) -> bool:
    return "Traceback" not in text and "\n" not in text and text.count(". ") == 0


def test_archive_folder_inside_the_library_is_a_message_and_archive_still_works(
    qtbot, opened_window, library, confirm,
) -> None:
    root, _ = library
    before = content_multiset(root)
    window = opened_window
    page = window.duplicates
    confirm.answer = ArchiveFolder(str(root / "Archive"))
    with qtbot.waitSignal(page.archive.summary_ready, timeout=60000):   # planned in the executor
        page.archive_marked()   # called directly: an escaping ArchiveError would fail the test here
    text = page.messages.text()
    assert "must be outside the library folder" in text and _one_sentence(text)
    assert page.messages.isVisibleTo(page)
    assert "must be outside" in window.statusBar().currentMessage()
    assert not page.archive.is_running and page.isEnabled()
    assert page.archive.remembered().archive_folder != str(root / "Archive")   # a refused folder isn't remembered
    assert content_multiset(root) == before
    # the button is not dead: the trash works right after
    moved = {m.path for g in page.model.groups() for m in g.archived}
    confirm.answer = Trash()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.detect.archive_button.click()
    assert moved and not any(os.path.exists(p) for p in moved)
    assert page.messages.text().startswith("Archived")


def test_undo_failure_is_a_message_and_the_window_stays_usable(qtbot, opened_window, confirm, monkeypatch) -> None:
    window = opened_window
    page = window.duplicates
    confirm.answer = Trash()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    assert window.undo_action.isEnabled()

    def refuse(*_args: object, **_kw: object) -> None:
        raise ArchiveError("Couldn't undo: another archive operation is running")

    monkeypatch.setattr(page.session, "undo", refuse)
    with qtbot.waitSignal(page.executor.busy_changed, timeout=30000, check_params_cb=lambda busy: not busy):
        window.undo_action.trigger()
    assert page.messages.text() == "Couldn't undo: another archive operation is running"
    assert "another archive operation" in window.statusBar().currentMessage()
    assert page.isEnabled() and not page.archive.is_running
    assert window.undo_action.isEnabled()   # still undoable once the other operation is done


class _ExplodingTrash:
    def move_to_trash(self, path: str, /) -> str | None:
        raise RuntimeError("the binding exploded")


def test_trash_backend_crash_leaves_files_in_place_and_says_so(qtbot, opened_window, library, confirm) -> None:
    root, _ = library
    before = content_multiset(root)
    window = opened_window
    page = window.duplicates
    page.trash = _ExplodingTrash()
    marked = {m.path for g in page.model.groups() for m in g.archived}
    confirm.answer = Trash()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    assert all(os.path.exists(p) for p in marked)
    text = page.messages.text()
    assert f"{len(marked)} couldn't be moved and are still in place" in text
    assert "the binding exploded" in text and "Traceback" not in text
    assert content_multiset(root) == before
    assert page.session is not None and page.session.log.interrupted() == []

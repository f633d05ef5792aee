"""Edit → Undo Archive (Ctrl+Z) undoes the latest archive, whichever page made it: archive from
Duplicates, then from Find Similar, and Ctrl+Z brings back the Find Similar file first (it used to
undo the older Duplicates archive)."""

from __future__ import annotations

import os

from PySide6.QtGui import QKeySequence

from desktop_app.workflow.archive import ArchiveFolder
from tests.ui.photos import content_multiset


def _settled(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not window.similar.is_busy() and not window.executor.busy, timeout=30000)


def test_ctrl_z_undoes_the_latest_archive_of_either_page(qtbot, opened_window, library, confirm, tmp_path) -> None:
    root, files = library
    archive, other = tmp_path / "Archive", tmp_path / "From Similar"
    before = content_multiset(root, archive, other)
    window = opened_window
    page, similar = window.duplicates, window.similar
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    reference, victim = str(files["astronaut"][0]), str(files["astronaut"][1])
    # Keep the victim on Duplicates, archive the rest of the marks from there (to a folder)...
    if next(m for g in page.model.groups() for m in g.members if m.path == victim).mark.value == "archive":
        page.toggle(victim)
        _settled(qtbot, window)
    from_duplicates = {m.path for g in page.model.groups() for m in g.archived}
    assert from_duplicates and victim not in from_duplicates
    confirm.answer = ArchiveFolder(str(archive))
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    assert not any(os.path.exists(p) for p in from_duplicates)
    assert content_multiset(root, archive, other) == before
    assert window.undo_action.isEnabled()
    # ...then the victim from Find Similar (to another folder).
    with qtbot.waitSignal(similar.search_finished, timeout=30000):
        window.show_similar(reference)
    _settled(qtbot, window)
    similar.archive().toggle([victim])
    _settled(qtbot, window)
    assert similar.archive().marked() == {victim}
    confirm.answer = ArchiveFolder(str(other))
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        similar.archive().archive()
    assert not os.path.exists(victim)
    assert content_multiset(root, archive, other) == before
    _settled(qtbot, window)
    assert window.undo_action.isEnabled()

    # Ctrl+Z: the latest (Find Similar's) comes back; the Duplicates archive stays archived.
    window.tabs.setCurrentWidget(page)
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        window.undo_action.trigger()
    assert os.path.exists(victim)
    assert not any(os.path.exists(p) for p in from_duplicates)
    assert "back" in page.messages.text()
    assert content_multiset(root, archive, other) == before
    _settled(qtbot, window)
    # Ctrl+Z again walks back to the Duplicates archive.
    assert window.undo_action.isEnabled()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        window.undo_action.trigger()
    assert all(os.path.exists(p) for p in from_duplicates)
    _settled(qtbot, window)
    assert not window.undo_action.isEnabled()
    assert content_multiset(root, archive, other) == before


def test_the_archive_destination_is_remembered_with_the_library(qtbot, opened_window, confirm, tmp_path) -> None:
    window = opened_window
    page = window.duplicates
    archive = tmp_path / "Kept Aside"
    confirm.answer = ArchiveFolder(str(archive))
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    assert window.context.settings()["archive_folder"] == str(archive)   # below Qt, per library
    page.set_context(window.context, scan=False)                         # reopened: read back
    qtbot.waitUntil(lambda: page.session is not None and not window.executor.busy, timeout=30000)
    assert page.archive.remembered().archive_folder == str(archive)
    assert page.archive.remembered().use_trash is False

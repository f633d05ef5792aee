"""The main window, driven like a user would: detect → review → select → archive → undo.

Real widgets, real context/workflow, a generated photo library in tmp_path. Waits on signals
and conditions, never on sleeps.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.workflow.archive import ArchiveFolder
from desktop_app.workflow.groups import Mark
from tests.ui.conftest import idle, wait_scan_done
from tests.ui.photos import content_multiset


_scan_done = wait_scan_done


def _group_count(window) -> int:
    return window.duplicates.model.rowCount()


def test_detect_review_select_archive_undo_journey(qtbot, make_window, library, confirm, tmp_path: Path, qtmodeltester) -> None:
    root, files = library
    archive = tmp_path / "Archive"
    before = content_multiset(root)
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    page = window.duplicates

    # --- start: the start screen's big button adds the folder and scans it.
    assert window.pages.currentWidget() is window.start_page
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        qtbot.mouseClick(window.start_page.add_button, Qt.MouseButton.LeftButton)
    _scan_done(qtbot, window)
    assert window.pages.currentWidget() is window.tabs
    assert page.stack.currentWidget() is page.view
    qtmodeltester.check(page.model)
    qtmodeltester.check(page.folders.model)
    at_90 = _group_count(window)
    scanned = page.folders.model.index(0).data(Qt.ItemDataRole.UserRole + 2)
    assert at_90 == 3                               # astronaut, chelsea, coffee families
    assert "3 groups" in page.detect.groups_label.text().replace("<b>", "").replace("</b>", "")
    assert page.folders.model.index(0).data(Qt.ItemDataRole.DisplayRole).endswith("images")
    # the broken file is listed with its reason
    assert any(s.path.endswith("broken.jpg") and s.reason for s in page.skipped)
    page.show_skipped()
    assert page.skipped_dialog.model.rowCount() >= 1
    qtmodeltester.check(page.skipped_dialog.model)
    page.skipped_dialog.close()

    # --- detect: the slider regroups live.
    page.detect.slider.setFocus()
    with qtbot.waitSignal(page.groups_changed) as blocker:
        qtbot.keyClick(page.detect.slider, Qt.Key.Key_End)   # 100: identical files only
    assert blocker.args == [1]
    assert page.detect.value_label.text().endswith("identical")
    with qtbot.waitSignal(page.groups_changed):
        page.detect.slider.setValue(90)
    assert _group_count(window) == at_90

    # --- groups: the original is kept, the copies proposed for archiving; an edit stays kept.
    group = page.model.group(0)
    assert group.original.mark is Mark.KEEP
    assert all(m.relation is not None for m in group.members)
    assert all((m.mark is Mark.ARCHIVE) == (m.relation.proposes_archive and not m.protected)
               for m in group.members[1:] if m.relation is not None)
    assert any(m.mark is Mark.ARCHIVE for m in group.members[1:])

    # --- keyboard in the list: Right moves between images, Space toggles.
    page.view.setFocus()
    page.view.set_current(0, 0)
    qtbot.keyClick(page.view, Qt.Key.Key_Right)
    assert page.view.current_member() == 1
    path1 = page.model.group(0).members[1].path
    qtbot.keyClick(page.view, Qt.Key.Key_Space)
    idle(qtbot, page)                                        # marks are saved in the executor
    assert page.session.group_of(path1).member(path1).mark is Mark.KEEP
    qtbot.keyClick(page.view, Qt.Key.Key_Space)
    idle(qtbot, page)
    assert page.session.group_of(path1).member(path1).mark is Mark.ARCHIVE

    # --- the app never lets a whole group go: the original can't be archived while all
    # copies are, and the status bar says why. (An edit starts kept: archive it by hand first.)
    for m in page.model.group(0).members[1:]:
        if m.mark is Mark.KEEP and not m.protected:
            page.session.set_mark(m.path, Mark.ARCHIVE)
    page.view.set_current(0, 0)
    qtbot.keyClick(page.view, Qt.Key.Key_Space)
    idle(qtbot, page)
    assert page.model.group(0).original.mark is Mark.KEEP
    assert "kept" in window.statusBar().currentMessage()

    # --- review: Enter opens side by side, Right/Space/Esc work there.
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert page.stack.currentWidget() is page.review
    assert len(page.review.panels) >= 2
    qtbot.waitUntil(lambda: all(p.view.has_image() for p in page.review.panels), timeout=20000)
    qtbot.keyClick(page.review, Qt.Key.Key_Right)
    assert page.review.current == 1
    member = page.review.current_member()
    qtbot.keyClick(page.review, Qt.Key.Key_Space)
    idle(qtbot, page)
    assert page.session.group_of(member.path).member(member.path).mark is Mark.KEEP
    qtbot.keyClick(page.review, Qt.Key.Key_Space)
    idle(qtbot, page)
    assert page.session.group_of(member.path).member(member.path).mark is Mark.ARCHIVE
    qtbot.keyClick(page.review, Qt.Key.Key_Down)             # next group
    assert page.review.row == 1
    qtbot.keyClick(page.review, Qt.Key.Key_Escape)
    assert page.stack.currentWidget() is page.view
    assert page.view.current_row() == 1

    # --- rules menu: keep the highest resolution in every group.
    action = next(a for a in window.rules_all.actions() if "highest resolution" in a.text())
    with qtbot.waitSignal(page.session_updated):
        action.trigger()
    for g in page.model.groups():
        best = max(m.pixels for m in g.members)
        assert any(m.mark is Mark.KEEP and m.pixels == best for m in g.members)

    # --- not duplicates on a pair: remembered, listed, undoable.
    g0 = page.model.group(0)
    pair = (g0.original.path, g0.members[-1].path)
    with qtbot.waitSignal(page.groups_changed):
        page.not_duplicates(0, pair)
    assert all(not (pair[0] in g and pair[1] in g) for g in page.model.groups())
    page.show_decisions()
    dialog = page.decisions_dialog
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == 1
    dialog.select_rows([0])
    with qtbot.waitSignal(page.groups_changed):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert dialog.model.rowCount() == 0
    assert any(pair[0] in g and pair[1] in g for g in page.model.groups())
    dialog.close()

    # --- archive: the button names the count and size; confirm; files move; nothing lost.
    summary = page.session.summary()
    assert summary.to_archive > 0
    assert page.selection_summary() == (summary.groups, summary.to_archive, summary.bytes_to_free)
    assert page.detect.archive_button.text().startswith(f"Archive {summary.to_archive} files")
    to_archive = {m.path for g in page.model.groups() for m in g.archived}
    confirm.answer = ArchiveFolder(str(archive))
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # archive, then the regroup
        qtbot.mouseClick(page.detect.archive_button, Qt.MouseButton.LeftButton)
    assert len(confirm.calls) == 1 and len(confirm.calls[0][0]) == len(to_archive)
    assert all(not os.path.exists(p) for p in to_archive)
    assert content_multiset(root, archive) == before
    assert "Archived" in page.messages.text()
    assert window.undo_action.isEnabled()
    assert page.session.summary().to_archive == 0
    remaining = {m.path for g in page.model.groups() for m in g.members}
    assert not remaining & to_archive
    indexed = page.folders.model.index(0).data(Qt.ItemDataRole.UserRole + 2)
    assert indexed == scanned - len(to_archive)        # the folder count follows

    # --- undo from the Edit menu: everything is back where it was.
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # archive, then the regroup
        window.undo_action.trigger()
    assert all(os.path.exists(p) for p in to_archive)
    assert content_multiset(root) == before
    assert content_multiset(root, archive) == before
    assert "back" in page.messages.text()
    assert not window.undo_action.isEnabled()
    assert _group_count(window) == at_90


def test_archive_cancelled_in_dialog_moves_nothing(qtbot, make_window, library, confirm) -> None:
    root, _files = library
    before = content_multiset(root)
    window = make_window()
    window.open_folders([str(root)])
    _scan_done(qtbot, window)
    confirm.answer = None
    with qtbot.waitSignal(window.duplicates.archive.summary_ready, timeout=60000):   # planned in the executor
        qtbot.mouseClick(window.duplicates.detect.archive_button, Qt.MouseButton.LeftButton)
    assert len(confirm.calls) == 1
    assert content_multiset(root) == before
    assert "nothing moved" in window.statusBar().currentMessage()


def test_protected_folder_is_never_archived(qtbot, make_window, library) -> None:
    root, files = library
    window = make_window()
    window.open_folders([str(root / "exports")])
    _scan_done(qtbot, window)
    page = window.duplicates
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.add_folders([str(root / "camera")])
    _scan_done(qtbot, window)
    model = page.folders.model
    row = next(r for r in range(model.rowCount()) if model.index(r).data(Qt.ItemDataRole.UserRole + 1).endswith("exports"))
    with qtbot.waitSignal(page.groups_changed):
        model.setData(model.index(row), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    for g in page.model.groups():
        for m in g.members:
            if "/exports/" in m.path:
                assert m.protected and m.mark is Mark.KEEP
    # a hand toggle on a protected file is refused with the reason
    protected = next(m for g in page.model.groups() for m in g.members if m.protected)
    page.toggle(protected.path)
    idle(qtbot, page)
    assert "protected" in window.statusBar().currentMessage()


def test_settings_persist_threshold_geometry_and_recent(qtbot, make_window, library, settings) -> None:
    root, _ = library
    window = make_window()
    window.open_folders([str(root)])
    _scan_done(qtbot, window)
    with qtbot.waitSignal(window.duplicates.groups_changed):
        window.duplicates.detect.slider.setValue(77)
    window.resize(711, 533)  # within the offscreen screen (800 x 800): restoring clamps to it
    window.close()
    again = make_window(resize=False)
    assert again.duplicates.detect.threshold() == 77
    assert (again.size().width(), again.size().height()) == (711, 533)
    assert [b.text().split(" — ")[0] for b in again.start_page.recent_buttons] == ["My Photos"]
    assert any("My Photos" in a.text() for a in again.recent_menu.actions())
    # one click reopens it
    qtbot.mouseClick(again.start_page.recent_buttons[0], Qt.MouseButton.LeftButton)
    assert again.context is not None and again.context.name == "My Photos"
    _scan_done(qtbot, again)
    assert again.duplicates.model.rowCount() > 0


def test_context_menu_routes_to_similar_and_compare_tabs(qtbot, make_window, library, monkeypatch) -> None:
    root, _ = library
    window = make_window()
    window.show()
    window.open_folders([str(root)])
    _scan_done(qtbot, window)
    calls = []
    monkeypatch.setattr(window.similar, "set_reference", lambda p: calls.append(("similar", p)))
    monkeypatch.setattr(window.compare, "set_images", lambda a, b: calls.append(("compare", a, b)))
    view = window.duplicates.view
    geo = view.delegate.geometry
    pos = geo.thumb_rect(geo.tile_rect(view.visualRect(view.group_model().index(0)), 1)).center()
    actions = {a.text(): a for a in view.context_menu(pos).actions() if a.text()}
    actions["Find Similar"].trigger()
    assert window.tabs.currentWidget() is window.similar
    actions["Compare with Original"].trigger()
    assert window.tabs.currentWidget() is window.compare
    group = view.group_model().group(0)
    assert calls == [("similar", group.members[1].path), ("compare", group.original.path, group.members[1].path)]


def test_review_not_duplicates_and_rule_chain(qtbot, make_window, library) -> None:
    root, files = library
    window = make_window()
    window.show()
    window.open_folders([str(root)])
    _scan_done(qtbot, window)
    page = window.duplicates
    before = page.model.rowCount()
    row = page.model.row_of_path(str(files["astronaut"][0]))
    copy_index = page.model.group(row).paths.index(str(files["astronaut"][-1]))   # byte-identical copy
    page.open_review(row, copy_index)
    page.review.distinct_pair_action.trigger()
    assert "byte-for-byte" in window.statusBar().currentMessage()
    page.review.set_current(next(i for i in range(1, 5) if i != copy_index))
    original, member = page.review.group.original.path, page.review.current_member().path
    # a typo in a rule chain is a message, not a crash
    page.apply_rules("highest-resolution,bogus", selected_only=False)
    assert "bogus" in window.statusBar().currentMessage()
    with qtbot.waitSignal(page.session_updated):
        page.apply_rules("lossless,oldest", selected_only=False)
    assert all(any(m.mark is Mark.KEEP and m.lossless for m in g.members)
               for g in page.model.groups() if any(m.lossless for m in g.members))
    # "Not duplicates" from the review: the pair is never grouped again
    with qtbot.waitSignal(page.groups_changed):
        page.review.distinct_pair_action.trigger()
    assert all(not (original in g and member in g) for g in page.model.groups())
    assert page.model.rowCount() == before
    assert len(page.session.decisions()) == 1
    # the review's image menu routes to the other tabs
    actions = {a.text(): a for a in page.review.panel_menu(original).actions() if a.text()}
    assert not actions["Compare with Original"].isEnabled()
    actions["Find Similar"].trigger()
    assert window.tabs.currentWidget() is window.similar


def test_start_up_reopens_the_last_library(qtbot, make_window, library) -> None:
    root, _ = library
    first = make_window()
    first.open_folders([str(root)])
    _scan_done(qtbot, first)
    first.close()
    again = make_window()
    assert again.restore_last_library()
    assert again.context.name == "My Photos"
    assert again.pages.currentWidget() is again.tabs
    _scan_done(qtbot, again)
    assert again.duplicates.model.rowCount() == first.duplicates.model.rowCount()


def test_folders_never_join_an_old_library_silently(qtbot, make_window, library, tmp_path) -> None:
    """`lookalike ~/Pictures/Trip` after another library was used: only the trip is shown, in a
    library named after it, and the window says where the folder went."""
    from tests.ui.photos import make_library

    root, _ = library
    first = make_window()
    first.open_folders([str(root)])
    added = f"Added '{root}' to library 'My Photos' (1 folder)."
    qtbot.waitUntil(lambda: first.duplicates.messages.text() == added)   # added in the executor
    _scan_done(qtbot, first)
    assert first.duplicates.messages.text().startswith(added)   # still said above the scan's summary
    assert "couldn't be read" in first.duplicates.messages.text()
    first.close()

    trip = tmp_path / "Trip"
    make_library(trip, long_side=120, groups=1, extras=False)
    again = make_window()
    again.open_folders([str(trip)])
    text = f"Added '{trip}' to library 'Trip' (1 folder)."
    qtbot.waitUntil(lambda: again.duplicates.messages.text() == text)
    assert again.statusBar().currentMessage() == text
    _scan_done(qtbot, again)
    assert again.context.name == "Trip"
    assert [f.path for f in again.context.folders()] == [str(trip)]
    shown = {m.path for g in again.duplicates.model.groups() for m in g.members}
    assert shown and all(p.startswith(str(trip) + os.sep) for p in shown)   # none of the old library's
    # The library in use grows only by explicit choice, and says so.
    other = tmp_path / "More"
    make_library(other, long_side=120, groups=1, extras=False)
    again.open_folders([str(other)])
    qtbot.waitUntil(lambda: again.duplicates.messages.text().startswith(f"Added '{other}' to library 'Trip' (2 folders)."))
    _scan_done(qtbot, again)
    assert again.context.name == "Trip"

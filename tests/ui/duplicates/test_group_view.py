"""Group list model, delegate and view: model contract, 10,000 rows, keyboard and mouse."""

from __future__ import annotations

import dataclasses
import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QImage

from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.ui.duplicates.group_model import GroupListModel, GroupRole
from desktop_app.ui.duplicates.group_view import GroupView
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member


def make_groups(count: int, size: int = 3) -> list[DuplicateGroup]:
    groups = []
    for g in range(count):
        members = [
            Member(
                path=f"/lib/g{g}/img_{i}.jpg", image_id=g * size + i, width=4000 - 100 * i,
                height=3000, format="JPEG", size=2_000_000 - 1000 * i, root="/lib",
                similarity=100.0 if i == 0 else 97.0 - i,
            )
            for i in range(size)
        ]
        groups.append(DuplicateGroup(tuple(members), index=g))
    return groups


def _jpeg(key: object) -> bytes:
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "JPEG")
    return bytes(data.data())


@pytest.fixture
def view(qtbot):
    cache = ThumbnailCache(_jpeg, size=148)
    model = GroupListModel(cache)
    view = GroupView()
    view.setModel(model)
    view.resize(900, 600)
    qtbot.addWidget(view)
    yield view
    cache.shutdown()


def test_model_contract(qtmodeltester) -> None:
    model = GroupListModel()
    model.set_groups(make_groups(5))
    qtmodeltester.check(model)
    assert model.rowCount() == 5
    assert model.index(2).data(GroupRole).members[0].path == "/lib/g2/img_0.jpg"
    tip = model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "✓ keep: img_0.jpg (original" in tip and "proposal" in tip


def test_ten_thousand_groups_scroll_and_paint(view, qtbot) -> None:
    """Behaviour only: the time it takes is printed by tests/benchmarks/bench_group_view.py."""
    groups = make_groups(10_000)
    view.group_model().set_groups(groups)
    view.show()
    qtbot.waitExposed(view)
    view.set_current(9_999)
    view.grab()  # paints the visible rows of the last page
    assert view.current_row() == 9_999
    assert view.group_model().rowCount() == 10_000
    assert view.indexAt(view.visualRect(view.group_model().index(9_999)).center()).row() == 9_999  # scrolled there
    # Thumbnails for the visible rows arrive lazily and repaint.
    qtbot.waitUntil(lambda: view.group_model().thumbnail(groups[9_999].members[0].image_id) is not None)


def test_keyboard_navigation_and_space_toggles(view, qtbot) -> None:
    groups = make_groups(4)
    view.group_model().set_groups(groups)
    view.show()
    qtbot.waitExposed(view)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)       # no current row yet: goes to the first group
    assert view.current_row() in (0, 1)
    view.set_current(0)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.current_row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_member() == 2
    qtbot.keyClick(view, Qt.Key.Key_Right)      # clamped at the last image
    assert view.current_member() == 2
    with qtbot.waitSignal(view.toggle_requested) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert blocker.args == [1, "/lib/g1/img_2.jpg"]
    with qtbot.waitSignal(view.open_requested) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == [1, 2]
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.current_row() == 0


def test_click_on_mark_bar_toggles_click_on_image_focuses(view, qtbot) -> None:
    view.group_model().set_groups(make_groups(2))
    view.show()
    qtbot.waitExposed(view)
    geo = view.delegate.geometry
    row_rect = view.visualRect(view.group_model().index(1))
    tile = geo.tile_rect(row_rect, 1)
    with qtbot.assertNotEmitted(view.toggle_requested):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=geo.thumb_rect(tile).center())
    assert (view.current_row(), view.current_member()) == (1, 1)
    with qtbot.waitSignal(view.toggle_requested) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=geo.mark_rect(tile).center())
    assert blocker.args == [1, "/lib/g1/img_1.jpg"]
    with qtbot.waitSignal(view.open_requested) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=geo.thumb_rect(tile).center())
    assert blocker.args == [1, 1]


def test_context_menu_routes_find_similar_and_compare(view, qtbot) -> None:
    groups = make_groups(1)
    view.group_model().set_groups(groups)
    view.show()
    qtbot.waitExposed(view)
    geo = view.delegate.geometry
    pos = geo.thumb_rect(geo.tile_rect(view.visualRect(view.group_model().index(0)), 2)).center()
    menu = view.context_menu(pos)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    with qtbot.waitSignal(view.find_similar_requested) as blocker:
        actions["Find Similar"].trigger()
    assert blocker.args == ["/lib/g0/img_2.jpg"]
    with qtbot.waitSignal(view.compare_requested) as blocker:
        actions["Compare with Original"].trigger()
    assert blocker.args == ["/lib/g0/img_0.jpg", "/lib/g0/img_2.jpg"]
    with qtbot.waitSignal(view.not_duplicates_requested) as blocker:
        actions["Not a Duplicate of the Original"].trigger()
    assert blocker.args == [0, ("/lib/g0/img_0.jpg", "/lib/g0/img_2.jpg")]


def test_marks_are_painted(view, qtbot) -> None:
    groups = make_groups(1)
    groups[0].set_mark(groups[0].members[1].path, Mark.ARCHIVE)
    view.group_model().set_groups(groups)
    view.show()
    qtbot.waitExposed(view)
    image = view.viewport().grab().toImage()
    geo = view.delegate.geometry
    row_rect = view.visualRect(view.group_model().index(0))
    keep = image.pixelColor(geo.mark_rect(geo.tile_rect(row_rect, 0)).topLeft() + QPoint(8, 4))
    archive = image.pixelColor(geo.mark_rect(geo.tile_rect(row_rect, 1)).topLeft() + QPoint(8, 4))
    assert keep.green() > keep.red()
    assert archive.red() > archive.green()


def test_odd_file_names_stay_on_one_line_within_the_tile(qtbot) -> None:
    """A name with line breaks, or hundreds of characters, must not spill over the thumbnail."""
    from PySide6.QtGui import QFont, QFontMetrics

    from desktop_app.context.types import ImageRecord, SimilarResult
    from desktop_app.engine.types import ImageFacts
    from desktop_app.ui.duplicates.group_delegate import GroupDelegate
    from desktop_app.ui.similar.results import ResultDelegate, SimilarResultsModel

    fm = QFontMetrics(QFont())
    width = 140
    odd = ["two\nlines\r\n.jpg", "tab\there\x00.jpg", "x" * 400 + ".jpg"]
    template = make_groups(1, size=len(odd))[0]
    group = DuplicateGroup(tuple(
        dataclasses.replace(m, path=f"/lib/{name}") for m, name in zip(template.members, odd)), index=0)
    for member in group.members:
        lines = GroupDelegate.tile_lines(group, member, fm, width)
        assert len(lines) == 3
        for line in lines:
            assert not any(ch in line for ch in "\n\r\t\x00")
            assert fm.horizontalAdvance(line) <= width
    first = GroupDelegate.tile_lines(group, group.members[0], fm, 1000)[0]
    assert first == "two⏎lines⏎⏎.jpg"
    assert GroupDelegate.tile_lines(group, group.members[2], fm, width)[0].endswith("…")

    facts = ImageFacts(4000, 3000, "JPEG", False)
    records = [ImageRecord(i, f"/lib/{name}", "/lib", 1000, 0, "", facts) for i, name in enumerate(odd)]
    model = SimilarResultsModel()
    model.set_results([SimilarResult(r, 95.0) for r in records])
    for row in range(model.rowCount()):
        name = ResultDelegate.name_line(model.index(row), fm, width)
        assert not any(ch in name for ch in "\n\r\t\x00")
        assert fm.horizontalAdvance(name) <= width
    assert ResultDelegate.name_line(model.index(2), fm, width).endswith(".jpg")   # elided in the middle


def test_archived_thumbnails_are_not_washed_out(view, qtbot) -> None:
    groups = make_groups(1)
    groups[0].set_mark(groups[0].members[1].path, Mark.ARCHIVE)
    view.group_model().set_groups(groups)
    view.show()
    qtbot.waitExposed(view)
    geo = view.delegate.geometry
    row_rect = view.visualRect(view.group_model().index(0))
    centre = lambda i: geo.thumb_rect(geo.tile_rect(row_rect, i)).center()  # noqa: E731
    model = view.group_model()
    ids = [m.image_id for m in groups[0].members[:2]]
    model.thumbnail(ids[0]), model.thumbnail(ids[1])   # ask for both, then wait for both
    qtbot.waitUntil(lambda: all(model.thumbnail(i) is not None for i in ids), timeout=10000)
    view.viewport().update()
    image = view.viewport().grab().toImage()
    kept, archived = image.pixelColor(centre(0)), image.pixelColor(centre(1))
    # the same teal thumbnail, drawn the same whether kept or marked for archiving
    assert abs(kept.red() - archived.red()) < 8 and abs(kept.green() - archived.green()) < 8

"""Relation labels and the original's reason in the window; rules by relation; hand marks."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics

from desktop_app.engine.relation import Relation, RelationKind
from desktop_app.ui.duplicates.group_delegate import GroupDelegate, tile_badges
from desktop_app.ui.duplicates.review_panel import ImagePanel
from desktop_app.ui.duplicates.review_table import MetadataTable
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member, SelectionError

ROTATED = Relation(RelationKind.ROTATED, "rotated 90°", angle=90.0)
THUMB = Relation(RelationKind.RESIZED, "resized to 25 %", scale=0.25)


def _group() -> DuplicateGroup:
    return DuplicateGroup((
        Member("/lib/IMG_0001.JPG", image_id=1, width=4000, height=3000, similarity=100.0),
        Member("/lib/turned.jpg", image_id=2, width=3000, height=4000, similarity=88.0,
               relation=ROTATED),
        Member("/lib/small.jpg", image_id=3, width=1000, height=750, similarity=99.0,
               relation=THUMB),
    ), index=0, reason="camera file, earliest capture, full frame")


def test_tiles_say_how_each_copy_relates_to_the_original(qtbot) -> None:
    group = _group()
    fm = QFontMetrics(QFont())
    assert GroupDelegate.tile_lines(group, group.members[0], fm, 1000)[1] == "original"
    assert GroupDelegate.tile_lines(group, group.members[1], fm, 1000)[1:] == [
        "rotated 90°", "88 · 3000×4000 · 0 bytes"]
    assert GroupDelegate.tile_lines(group, group.members[2], fm, 1000)[1] == "resized to 25 %"


def test_the_original_badge_says_when_it_is_marked_for_archive(qtbot) -> None:
    group = _group()
    assert tile_badges(group, group.original)[0][0] == "ORIGINAL"
    group.set_mark(group.original.path, Mark.ARCHIVE)
    assert tile_badges(group, group.original)[0][0] == "ORIGINAL · ARCHIVE"


def test_review_panels_show_the_relation_and_the_reason(qtbot) -> None:
    group = _group()
    panel = ImagePanel()
    qtbot.addWidget(panel)
    panel.set_member(group.members[1], original=False)
    assert "rotated 90°" in panel.title.text() and "cropped" not in panel.title.text()
    panel.set_member(group.original, original=True, reason=group.reason)
    assert "ORIGINAL" in panel.title.text() and "camera file, earliest capture" in panel.title.text()
    # the review's one table says the same
    table = MetadataTable()
    qtbot.addWidget(table)
    table.set_members([group.original, group.members[1]], original=group.original.path)
    assert table.text("Relation", group.members[1].path) == "rotated 90° · 88"
    assert table.text("Relation", group.original.path) == "original"


def test_rules_menu_offers_rules_by_relation_and_leaves_hand_marks(qtbot, opened_window) -> None:
    window = opened_window
    page = window.duplicates
    labels = [a.text() for a in window.rules_relation.actions()]
    assert "Archive resized copies" in labels and "Keep crops" in labels
    assert not window.override_hand_marks.isChecked()
    action = next(a for a in window.rules_all.actions() if "newest" in a.text())
    with qtbot.waitSignal(page.session_updated):
        action.trigger()                       # what the rule decides for each file ...
    # ... and the opposite by hand on one of them (a rule takes credit only for marks it changes)
    for candidate in page.model.group(0).members:
        ruled = candidate.mark
        try:
            page.session.set_mark(candidate.path, Mark.KEEP if ruled is Mark.ARCHIVE else Mark.ARCHIVE)
        except SelectionError:
            continue
        hand = candidate
        break
    chosen = page.session.group_of(hand.path).member(hand.path).mark
    with qtbot.waitSignal(page.session_updated):
        action.trigger()
    assert page.session.group_of(hand.path).member(hand.path).mark is chosen
    assert "you marked by hand left alone" in window.statusBar().currentMessage()
    window.override_hand_marks.setChecked(True)
    with qtbot.waitSignal(page.session_updated):
        action.trigger()
    assert page.session.group_of(hand.path).member(hand.path).chosen_by.startswith("rule:")
    assert "left alone" not in window.statusBar().currentMessage()

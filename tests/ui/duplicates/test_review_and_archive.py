"""Review page (metadata highlights, difference map, keys), archive dialog, trash backend."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.ui.archive.dialog import ArchiveDialog
from desktop_app.ui.archive.qt_trash import QtTrash
from desktop_app.ui.duplicates.review_page import ReviewPage
from desktop_app.ui.duplicates.review_table import FIELDS, MetadataTable, best_values
from desktop_app.workflow.archive import ArchiveFolder, PlanEntry, Trash
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member
from tests.ui.photos import content_multiset


def _photo_pair(tmp_path: Path) -> tuple[Path, Path]:
    from skimage import data

    a = tmp_path / "chelsea.png"
    b = tmp_path / "chelsea_q60.jpg"
    image = Image.fromarray(data.chelsea())
    image.save(a)
    image.save(b, quality=60)
    return a, b


def _group(a: Path, b: Path, *, similarity: float = 97.0) -> DuplicateGroup:
    original = Member(path=str(a), image_id=1, width=451, height=300, format="PNG", lossless=True,
                      size=a.stat().st_size, date_taken="2021-05-01T10:00:00", camera="Canon EOS R5")
    copy = Member(path=str(b), image_id=2, width=451, height=300, format="JPEG", size=b.stat().st_size,
                  date_taken="2022-01-01T09:00:00", similarity=similarity, mark=Mark.ARCHIVE)
    return DuplicateGroup((original, copy))


def test_best_values_highlight_the_better_copy(tmp_path: Path) -> None:
    a, b = _photo_pair(tmp_path)
    group = _group(a, b)
    best = best_values(list(group.members))
    assert best["Format"] == {str(a)}          # lossless beats lossy
    assert best["File size"] == {str(a)}
    assert best["Date taken"] == {str(a)}      # the older one
    assert best["Camera"] == {str(a)}          # known beats unknown
    assert best["Dimensions"] == set()         # equal: nothing highlighted


def test_review_shows_images_keys_and_difference_map(qtbot, tmp_path: Path) -> None:
    a, b = _photo_pair(tmp_path)
    page = ReviewPage()
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.set_group(0, _group(a, b), total=3)
    assert page.shown_paths() == [str(a), str(b)]
    qtbot.waitUntil(lambda: all(p.view.has_image() for p in page.panels), timeout=20000)
    assert "lossless" in page.table.text("Format", str(a))
    assert page.table.is_highlighted("Format", str(a)) and not page.table.is_highlighted("Format", str(b))
    assert page.panels[1].mark_button.text() == "✗ Archive"
    # keys
    with qtbot.waitSignal(page.toggle_requested) as blocker:
        qtbot.keyClick(page, Qt.Key.Key_Space)
    assert blocker.args == [str(a)]
    qtbot.keyClick(page, Qt.Key.Key_Right)
    assert page.current == 1
    with qtbot.waitSignal(page.navigate_requested) as blocker:
        qtbot.keyClick(page, Qt.Key.Key_Down)
    assert blocker.args == [1]
    with qtbot.waitSignal(page.closed):
        qtbot.keyClick(page, Qt.Key.Key_Escape)
    # arrows typed into an image view still move between images (not scroll the view)
    page.panels[0].view.setFocus()
    qtbot.keyClick(page.panels[0].view, Qt.Key.Key_Left)
    assert page.current == 0
    qtbot.keyClick(page, Qt.Key.Key_Right)
    # difference map: the recompressed copy differs a little, everywhere a little
    assert page.diff_button.isEnabled()
    with qtbot.waitSignal(page.difference_ready, timeout=30000) as blocker:
        qtbot.keyClick(page, Qt.Key.Key_D)
    assert 0.5 < blocker.args[0] < 1.0
    assert "change" in page.panels[1].title.text() and "Structural similarity" in page.panels[1].title.toolTip()
    assert "SSIM" not in page.panels[1].title.text() + page.panels[1].title.toolTip()
    assert page.legend.isVisible() and not page.hint.isVisible()
    page.diff_button.setChecked(False)
    assert "minor changes" in page.panels[1].title.text() and "similarity" not in page.panels[1].title.toolTip()
    assert not page.legend.isVisible() and page.hint.isVisible()
    page.shutdown()


def test_difference_refused_for_a_crop(qtbot, tmp_path: Path) -> None:
    a, _ = _photo_pair(tmp_path)
    crop = tmp_path / "crop.jpg"
    Image.open(a).crop((0, 0, 200, 280)).save(crop, quality=90)
    page = ReviewPage()
    qtbot.addWidget(page)
    page.show()
    page.set_group(0, _group(a, crop, similarity=92.0), total=1, member=1)
    page.diff_button.setChecked(True)
    qtbot.waitUntil(lambda: "framed differently" in page.panels[1].view.message(), timeout=30000)
    page.shutdown()


def test_difference_aligns_a_crop_when_the_library_knows_its_features(qtbot, tmp_path: Path) -> None:
    from desktop_app.engine.analyze import analyze_file

    a, _ = _photo_pair(tmp_path)
    crop = tmp_path / "crop.jpg"
    Image.open(a).crop((20, 10, 400, 290)).save(crop, quality=90)   # reframed: aspect 1.36 vs 1.50
    features = {1: analyze_file(a).features, 2: analyze_file(crop).features}
    page = ReviewPage()
    qtbot.addWidget(page)
    page.show()
    page.features_of = features.__getitem__
    page.set_group(0, _group(a, crop, similarity=93.0), total=1, member=1)
    with qtbot.waitSignal(page.difference_ready, timeout=30000) as blocker:
        page.diff_button.setChecked(True)
    assert blocker.args[0] > 0.8
    assert "aligned onto it" in page.panels[1].title.toolTip()
    # two lines like the other titles, so the map keeps the same size and zoom as its neighbours
    assert page.panels[1].title.text().count("<br>") == 1 and "similarity" in page.panels[1].title.toolTip()
    assert page.panels[1].title.height() == page.panels[0].title.height()
    assert page.panels[1].view.has_image()
    page.shutdown()


def _entries(tmp_path: Path, n: int = 3) -> tuple[PlanEntry, ...]:
    return tuple(
        PlanEntry(source=str(tmp_path / f"img_{i}.jpg"), destination="", size=1_500_000, mtime_ns=0,
                  content_hash="", root=str(tmp_path), group=0, similarity=95.0, chosen_by="hand")
        for i in range(n)
    )


def test_archive_dialog_needs_a_destination(qtbot, tmp_path: Path) -> None:
    chosen = tmp_path.parent / f"{tmp_path.name} Archive"   # outside the library folder (tmp_path)
    dialog = ArchiveDialog(_entries(tmp_path), choose_folder=lambda parent, start: str(chosen))
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()             # no folder chosen yet
    assert dialog.problem_label.text()
    qtbot.mouseClick(dialog.browse_button, Qt.MouseButton.LeftButton)
    assert dialog.ok_button.isEnabled()
    assert dialog.destination() == ArchiveFolder(str(chosen))
    dialog.use_trash()
    assert dialog.destination() == Trash()
    assert dialog.tree.topLevelItemCount() == 3
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_archive_dialog_flags_files_that_may_be_other_shots(qtbot, tmp_path: Path) -> None:
    import dataclasses

    entries = _entries(tmp_path)
    dialog = ArchiveDialog(entries)
    qtbot.addWidget(dialog)
    assert dialog.looser_label.isHidden()                        # all 95: copies
    looser = (entries[0], dataclasses.replace(entries[1], similarity=84.0), entries[2])
    dialog = ArchiveDialog(looser)
    qtbot.addWidget(dialog)
    assert not dialog.looser_label.isHidden() and "1 of these files" in dialog.looser_label.text()
    assert not dialog.tree.topLevelItem(1).icon(2).isNull() and dialog.tree.topLevelItem(0).icon(2).isNull()


def test_archive_dialog_refuses_a_folder_inside_the_library(qtbot, tmp_path: Path) -> None:
    dialog = ArchiveDialog(_entries(tmp_path), archive_folder=str(tmp_path / "Archived"))
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()                     # inside the library folder
    assert "outside your library" in dialog.problem_label.text()
    dialog.set_archive_folder(str(tmp_path.parent))             # contains the library folder
    assert not dialog.ok_button.isEnabled()
    dialog.set_archive_folder(str(tmp_path.parent / f"{tmp_path.name} archive"))   # a sibling: fine
    assert dialog.ok_button.isEnabled() and not dialog.problem_label.text()
    dialog.set_archive_folder(str(tmp_path / "Archived"))
    dialog.use_trash()                                          # the trash is always allowed
    assert dialog.ok_button.isEnabled()


def test_qt_trash_moves_and_reports_the_place(tmp_path: Path) -> None:
    victim = tmp_path / "to trash.jpg"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(victim)
    before = content_multiset(tmp_path)
    place = QtTrash().move_to_trash(str(victim))
    assert not victim.exists()
    assert place and os.path.exists(place)
    assert content_multiset(tmp_path, Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files") == before


def test_qt_trash_missing_file_is_an_os_error(tmp_path: Path) -> None:
    try:
        QtTrash().move_to_trash(str(tmp_path / "gone.jpg"))
    except OSError as err:
        assert "gone" in str(err)
    else:
        raise AssertionError("expected OSError")


def test_archive_to_trash_and_undo_in_the_window(qtbot, make_window, library, confirm) -> None:
    root, _ = library
    before = content_multiset(root)
    window = make_window()
    page = window.duplicates
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        window.open_folders([str(root)])
    moved = {m.path for g in page.model.groups() for m in g.archived}
    confirm.answer = Trash()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # archive, then the regroup
        page.detect.archive_button.click()
    assert moved and all(not os.path.exists(p) for p in moved)
    assert page.messages.text().startswith("Archived")
    assert "the trash" in page.messages.text()
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # archive, then the regroup
        page.messages.button("Undo").click()
    assert all(os.path.exists(p) for p in moved)
    assert content_multiset(root) == before


def _big_group(tmp_path: Path, n: int) -> DuplicateGroup:
    a, b = _photo_pair(tmp_path)
    members = [Member(path=str(a), image_id=0, width=451, height=300, format="PNG", size=10)]
    for i in range(1, n):
        copy = tmp_path / f"copy_{i}.jpg"
        copy.write_bytes(b.read_bytes())
        members.append(Member(path=str(copy), image_id=i, width=451, height=300, format="JPEG", size=5,
                              similarity=95.0, mark=Mark.ARCHIVE))
    return DuplicateGroup(tuple(members))


def test_every_photo_of_an_eight_photo_group_is_reachable_by_keyboard(qtbot, tmp_path: Path) -> None:
    group = _big_group(tmp_path, 8)
    page = ReviewPage()
    qtbot.addWidget(page)
    page.resize(1100, 650)
    page.show()
    page.set_group(0, group, total=1)
    assert page.filmstrip.model().rowCount() == 8          # the whole group in the strip
    seen = {page.current_member().path}
    for step in range(1, 8):
        qtbot.keyClick(page, Qt.Key.Key_Right)
        member = group.members[step]
        assert page.current == step and page.current_member() == member
        # the photo is large on screen beside the original, framed, and in the table
        assert page.shown_paths() == [group.original.path, member.path]
        assert page.filmstrip.current_row() == step
        assert member.path in [m.path for m in page.table.members]
        assert sum(p.styleSheet().count("highlight") for p in page.panels) == 1
        seen.add(member.path)
    assert seen == set(group.paths)
    qtbot.keyClick(page, Qt.Key.Key_Right)                    # the end: stays on the last
    assert page.current == 7
    qtbot.keyClick(page, Qt.Key.Key_Home)
    assert page.current == 0 and page.shown_paths()[1] == group.members[7].path   # last copy stays beside
    qtbot.keyClick(page, Qt.Key.Key_End)
    assert page.current == 7
    # Space marks the photo being reviewed, even from the strip's keyboard focus
    page.filmstrip.setFocus()
    with qtbot.waitSignal(page.toggle_requested) as blocker:
        qtbot.keyClick(page.filmstrip, Qt.Key.Key_Space)
    assert blocker.args == [group.members[7].path]
    page.shutdown()


def test_the_wheel_scrolls_the_filmstrip(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    group = _big_group(tmp_path, 8)
    page = ReviewPage()
    qtbot.addWidget(page)
    page.resize(600, 600)
    page.show()
    page.set_group(0, group, total=1)
    bar = page.filmstrip.horizontalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    centre = QPointF(page.filmstrip.viewport().rect().center())
    event = QWheelEvent(centre, page.filmstrip.mapToGlobal(centre), QPoint(), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(page.filmstrip.viewport(), event)
    assert bar.value() > 0
    page.shutdown()


def test_small_photos_fit_at_most_100_percent(qtbot, tmp_path: Path) -> None:
    a, b = _photo_pair(tmp_path)       # 451 x 300: smaller than the views
    page = ReviewPage()
    qtbot.addWidget(page)
    page.resize(1800, 1000)
    page.show()
    page.set_group(0, _group(a, b), total=1)
    qtbot.waitUntil(lambda: all(p.view.has_image() for p in page.panels), timeout=20000)
    assert all(abs(p.view.zoom() - 1.0) < 1e-6 for p in page.panels)
    page.panels[0].view.zoom_in()                     # zooming by hand still enlarges
    assert page.panels[0].view.zoom() > 1.0
    page.shutdown()

def test_one_table_compares_the_photos_on_screen(qtbot, tmp_path: Path) -> None:
    a, b = _photo_pair(tmp_path)
    exif = Image.Exif()
    exif[0x8769] = {0xA434: "EF50mm f/1.8"}
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    Image.open(b).save(b, quality=60, exif=exif)
    group = _group(a, b)
    page = ReviewPage()
    qtbot.addWidget(page)
    page.show()
    page.set_group(0, group, total=1)
    table = page.table
    assert table.columnCount() == 2 and [m.path for m in table.members] == [str(a), str(b)]
    assert table.text("Relation", str(a)) == "original" and "minor changes" in table.text("Relation", str(b))
    # lens and GPS come with the preview: the copy has them, so it has the better value there
    qtbot.waitUntil(lambda: table.text("Lens", str(b)) == "EF50mm f/1.8", timeout=20000)
    assert table.text("GPS", str(b)).startswith("48.8581° N") and table.is_highlighted("GPS", str(b))
    assert table.is_highlighted("Date taken", str(a)) and table.is_highlighted("Camera", str(a))
    assert not table.isRowHidden(FIELDS.index("Lens"))
    assert table.text("Folder", str(a)) == str(tmp_path)
    page.shutdown()


def test_rows_nobody_has_are_hidden(qtbot, tmp_path: Path) -> None:
    a, b = _photo_pair(tmp_path)
    bare = DuplicateGroup(tuple(Member(path=str(p), image_id=i, width=451, height=300, format="PNG", size=10,
                                       similarity=98.0) for i, p in enumerate((a, b))))
    page = ReviewPage()
    qtbot.addWidget(page)
    page.set_group(0, bare, total=1)
    hidden = {name for row, name in enumerate(FIELDS) if page.table.isRowHidden(row)}
    assert hidden == {"Date taken", "Camera", "Lens", "GPS"}
    assert page.table.sizeHint().height() < MetadataTable().sizeHint().height()
    page.shutdown()


def test_hints_are_readable(qtbot) -> None:
    from PySide6.QtGui import QColor, QPalette

    from desktop_app.ui.common.palette import hint_colour

    def contrast(a: QColor, b: QColor) -> float:
        def lum(c: QColor) -> float:
            ch = [(v / 255) / 12.92 if v / 255 <= 0.03928 else ((v / 255 + 0.055) / 1.055) ** 2.4
                  for v in (c.red(), c.green(), c.blue())]
            return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
        hi, lo = sorted((lum(a), lum(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    for window, text in ((QColor(239, 239, 239), QColor(0, 0, 0)), (QColor(42, 42, 42), QColor(240, 240, 240))):
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.Window, window)
        palette.setColor(QPalette.ColorRole.WindowText, text)
        assert contrast(hint_colour(palette), window) >= 4.5      # WCAG AA for body text

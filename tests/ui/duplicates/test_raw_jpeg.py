"""RAW+JPEG pairs (a camera RAW and its JPEG, same folder and base name) are one photo: both
tiles wear a "RAW+JPEG" badge, the group counts photos, and a click marks both files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.context.types import Folder
from desktop_app.ui.common.palette import PAIR_COLOR
from desktop_app.ui.duplicates.group_delegate import tile_badges
from desktop_app.ui.duplicates.page import DuplicatesPage
from desktop_app.ui.duplicates.review_page import ReviewPage
from desktop_app.workflow.groups import Mark
from desktop_app.workflow.session import ReviewSession
from tests.ui.conftest import idle
from tests.unit.workflow.helpers import FakeContext, record


def _library(tmp_path: Path, *, with_copies: bool = True):  # type: ignore[no-untyped-def]
    lib = tmp_path / "lib"
    files = {
        "jpg": lib / "2023" / "IMG_0001.JPG",
        "raw": lib / "2023" / "IMG_0001.CR2",
        "backup": lib / "backup" / "IMG_0001.JPG",
        "edit": lib / "export" / "IMG_0001_edit.jpg",
    }
    if not with_copies:
        files = {k: v for k, v in files.items() if k in ("jpg", "raw")}
    for i, path in enumerate(files.values()):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes([i]) * (1000 + i))
    records = [record(i, p, lib, format="RAW" if p.suffix == ".CR2" else "JPEG") for i, p in enumerate(files.values())]
    sims = {"jpg": 100.0, "raw": 95.0, "backup": 99.0, "edit": 93.0}
    cluster = [(str(files[k]), sims[k]) for k in files]
    context = FakeContext(tmp_path / "data", [Folder(str(lib))], records, [cluster])
    (tmp_path / "data").mkdir()
    session = ReviewSession(context)
    groups = session.groups(90.0)
    return {k: str(v) for k, v in files.items()}, session, groups


def _page(qtbot, session, groups):  # type: ignore[no-untyped-def]
    page = DuplicatesPage()
    qtbot.addWidget(page)
    page.session = session
    page.model.set_groups(groups)
    return page


def test_both_files_of_the_pair_wear_the_badge_and_the_group_counts_photos(qtbot, tmp_path: Path) -> None:
    files, session, groups = _library(tmp_path)
    group = groups[0]
    badges = {m.path: [text for text, _ in tile_badges(group, m)] for m in group.members}
    assert badges[files["jpg"]] == ["ORIGINAL", "RAW+JPEG"]
    assert badges[files["raw"]] == ["RAW+JPEG"]
    assert badges[files["backup"]] == [] and badges[files["edit"]] == []
    page = _page(qtbot, session, groups)
    tip = page.model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "4 files (3 photos)" in tip and "one photo with IMG_0001.CR2" in tip
    # painted: the badge colour shows on the first two tiles only
    view = page.view
    view.resize(1000, 400)
    page.stack.setCurrentWidget(view)
    page.resize(1200, 500)
    page.show()
    qtbot.waitExposed(page)
    image = view.viewport().grab().toImage()
    geo = view.delegate.geometry
    row = view.visualRect(page.model.index(0))

    def badge_pixels(tile: int) -> int:
        box = geo.thumb_rect(geo.tile_rect(row, tile))
        return sum(
            image.pixelColor(x, y) == PAIR_COLOR
            for x in range(box.left(), box.right(), 2) for y in range(box.top(), box.top() + 50, 2)
        )

    assert badge_pixels(0) > 10 and badge_pixels(1) > 10
    assert badge_pixels(2) == 0 and badge_pixels(3) == 0


def test_a_click_marks_the_raw_and_its_jpeg_together(qtbot, tmp_path: Path) -> None:
    files, session, groups = _library(tmp_path)
    page = _page(qtbot, session, groups)
    marks = lambda: {k: page.model.group(0).member(p).mark for k, p in files.items()}  # noqa: E731
    assert marks() == {"jpg": Mark.KEEP, "raw": Mark.KEEP, "backup": Mark.ARCHIVE, "edit": Mark.ARCHIVE}
    page.toggle(files["backup"])                 # keep the backup copy instead
    idle(qtbot, page)                            # marks are saved in the executor
    with qtbot.waitSignal(page.status_message) as blocker:
        page.toggle(files["raw"])
    idle(qtbot, page)
    assert marks() == {"jpg": Mark.ARCHIVE, "raw": Mark.ARCHIVE, "backup": Mark.KEEP, "edit": Mark.ARCHIVE}
    assert "'IMG_0001.CR2' and 'IMG_0001.JPG' will be archived" in blocker.args[0]
    assert session.context.marks[files["jpg"]] == "archive"     # saved through the workflow
    page.toggle(files["jpg"])                    # and back, both
    idle(qtbot, page)
    assert marks()["jpg"] is Mark.KEEP and marks()["raw"] is Mark.KEEP
    # the review says so too
    review = ReviewPage()
    qtbot.addWidget(review)
    review.set_group(0, page.model.group(0), total=1)
    assert "RAW+JPEG with IMG_0001.CR2" in review.panels[0].title.text()
    review.shutdown()


def test_a_pair_alone_can_still_keep_just_one_file(qtbot, tmp_path: Path) -> None:
    files, session, groups = _library(tmp_path, with_copies=False)
    page = _page(qtbot, session, groups)
    page.toggle(files["jpg"])                    # both can't go: the JPEG alone is archived
    idle(qtbot, page)
    group = page.model.group(0)
    assert group.member(files["jpg"]).mark is Mark.ARCHIVE
    assert group.member(files["raw"]).mark is Mark.KEEP

"""Compare page with a real indexed library, driven offscreen with pytest-qt."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage

from desktop_app.engine import preview
from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.similarity import compare_features
from desktop_app.ui.common.scale import format_score, scale_word
from desktop_app.ui.compare.page import ComparePage, CompareOutcome
from tests.ui.similar_library import Library, library_fixture


library = library_fixture("compare")


@pytest.fixture
def page(qtbot) -> Iterator[ComparePage]:  # type: ignore[no-untyped-def]
    p = ComparePage()
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


def _compare(qtbot, page: ComparePage, a: str, b: str) -> CompareOutcome:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.comparison_finished, timeout=30_000) as blocker:
        page.set_images(a, b)
    return blocker.args[0]


def test_rotated_copy_shows_the_context_score_and_draws_matches(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    a, b = library.path("astronaut.jpg"), library.path("astronaut rotated.jpg")
    outcome = _compare(qtbot, page, a, b)
    expected = library.context.compare(a, b)
    assert outcome.comparison is not None
    assert outcome.comparison.score == pytest.approx(expected.score)
    assert page._score.text() == format_score(expected.score)
    assert page._word.text() == scale_word(expected.score)
    # Said as what it is (turned a quarter counter-clockwise), not "cropped or reframed".
    assert outcome.relation == "rotated 270°" and "right: rotated 270°" in page._verdict.evidence.text()
    drawn = page.drawn_lines()
    assert drawn.inlier_count > 0 and len(drawn.inliers) <= 160
    # Lines join corresponding points: the rotated copy's x is the original's y.
    ok = drawn.inliers
    pa, pb = drawn.points_a[ok], drawn.points_b[ok]
    sa, sb = outcome.a.image.size(), outcome.b.image.size()
    assert np.median(np.abs(pb[:, 0] / sb.width() - pa[:, 1] / sa.height())) < 0.02
    assert page.view_a.has_image() and page.view_b.has_image() and page.view_diff.has_image()
    assert "aligned" in outcome.difference_note


def test_lines_follow_the_options(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    _compare(qtbot, page, library.path("astronaut.jpg"), library.path("astronaut crop.jpg"))
    assert len(page.drawn_lines().inliers) > 0
    qtbot.keyClick(page, Qt.Key.Key_M)  # hide the matches
    assert len(page.drawn_lines().inliers) == 0
    qtbot.keyClick(page, Qt.Key.Key_M)
    qtbot.keyClick(page, Qt.Key.Key_O)  # hide the outliers
    assert page.drawn_lines().outlier_count == 0 and page.drawn_lines().inlier_count > 0


def test_outside_files_without_a_library(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    a, b = str(library.outside / "astronaut small.png"), library.path("astronaut (q60).jpg")
    before = len(library.context.images())
    outcome = _compare(qtbot, page, a, b)
    expected = compare_features(analyze_file(a).features, analyze_file(b).features)
    assert outcome.comparison.score == pytest.approx(expected.score)
    assert outcome.comparison.score >= 90
    assert "not in the library" in outcome.a.details()
    assert len(library.context.images()) == before


def test_outside_file_is_not_added_to_the_context(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    outside = str(library.outside / "astronaut small.png")
    outcome = _compare(qtbot, page, library.path("astronaut.jpg"), outside)
    assert outcome.a.in_library and not outcome.b.in_library
    assert library.context.image_by_path(outside) is None
    assert outcome.comparison.score == pytest.approx(library.context.compare(library.path("astronaut.jpg"), outside).score)


def test_unrelated_photos_score_low(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    outcome = _compare(qtbot, page, library.path("astronaut.jpg"), library.path("coffee.jpg"))
    assert outcome.comparison.score < 50
    assert page._word.text() == "unrelated"


@pytest.mark.parametrize("name", ["broken.jpg", "notes.jpg", "missing.jpg"])
def test_bad_file_gives_a_message(qtbot, page: ComparePage, library: Library, name: str) -> None:  # type: ignore[no-untyped-def]
    bad = str(library.outside / name)
    with qtbot.waitSignal(page.status, check_params_cb=lambda text: text == "Comparing…"):
        page.set_images(bad, library.path("astronaut.jpg"))
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=30_000)
    assert name in page.banner_text() and "Traceback" not in page.banner_text()
    assert name in page.view_a.message() and not page.view_a.has_image()
    assert page.view_b.has_image()          # the good side is still shown
    assert page.outcome() is None and page._score.text() == "—"
    # Replacing the bad side compares.
    with qtbot.waitSignal(page.comparison_finished, timeout=30_000):
        page.set_image(0, library.path("astronaut (q60).jpg"))
    assert page.banner_text() == ""


def test_drop_and_swap(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(library.path("chelsea.jpg"))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    page.view_b.dropEvent(event)
    qtbot.waitUntil(lambda: page.view_b.has_image() and not page.is_busy(), timeout=30_000)
    assert not page.view_a.has_image()
    assert page.paths() == ("", library.path("chelsea.jpg"))
    with qtbot.waitSignal(page.comparison_finished, timeout=30_000):
        page.set_image(0, library.path("rocket.jpg"))
    with qtbot.waitSignal(page.comparison_finished, timeout=30_000) as blocker:
        qtbot.keyClick(page, Qt.Key.Key_X)
    assert page.paths() == (library.path("chelsea.jpg"), library.path("rocket.jpg"))
    assert Path(blocker.args[0].a.path).name == "chelsea.jpg"


def test_zoom_is_synchronised_and_export_renders(qtbot, page: ComparePage, library: Library, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    _compare(qtbot, page, library.path("astronaut.jpg"), str(library.outside / "astronaut small.png"))
    qtbot.keyClick(page, Qt.Key.Key_1)
    assert page.view_a.zoom() == pytest.approx(1.0)
    assert page.view_b.view_state().extent == pytest.approx(page.view_a.view_state().extent, rel=0.02)
    qtbot.keyClick(page, Qt.Key.Key_D)  # difference mode follows the same zoom
    assert page.view_diff.view_state().extent == pytest.approx(page.view_a.view_state().extent, rel=0.02)

    target = tmp_path / "comparison"
    monkeypatch.setattr("desktop_app.ui.compare.page.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target), "PNG image (*.png)"))
    with qtbot.waitSignal(page.status) as blocker:
        qtbot.keyClick(page, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert "comparison.png" in blocker.args[0]
    saved = QImage(str(target) + ".png")
    assert not saved.isNull() and saved.width() == 2400 and saved.height() > 800


def test_crop_views_follow_the_same_content(qtbot, page: ComparePage, library: Library) -> None:  # type: ignore[no-untyped-def]
    page.set_context(library.context)
    outcome = _compare(qtbot, page, library.path("astronaut.jpg"), library.path("astronaut crop.jpg"))
    lines = outcome.lines
    centre = np.array([outcome.a.image.width() / 2, outcome.a.image.height() / 2])
    i = int(np.argmin(np.where(lines.inliers, np.linalg.norm(lines.points_a - centre, axis=1), np.inf)))
    page.view_a.set_zoom(4.0)  # far enough in that both views can pan to any inner point
    page.view_a.centerOn(QPointF(*map(float, lines.points_a[i])))
    got = page.view_b.scene_centre()
    assert np.hypot(got.x() - lines.points_b[i, 0], got.y() - lines.points_b[i, 1]) < 6


def test_ctrl_shift_c_picks_two_files(qtbot, page: ComparePage, library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    chosen = [library.path("coffee.jpg"), library.path("rocket.jpg")]
    monkeypatch.setattr("desktop_app.ui.common.file_dialogs.QFileDialog.getOpenFileNames", lambda *a, **k: (chosen, ""))
    with qtbot.waitSignal(page.comparison_finished, timeout=30_000):
        qtbot.keyClick(page, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert page.paths() == tuple(chosen)


def test_zoom_label_says_when_the_preview_is_magnified(qtbot, page: ComparePage, library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("desktop_app.ui.compare.data.load_preview",
                        lambda path, max_side=3072: preview.load_preview(path, max_side=min(max_side, 240)))
    _compare(qtbot, page, library.path("astronaut.jpg"), library.path("astronaut (q60).jpg"))
    page.view_a.set_zoom(0.4)
    assert page._zoom_label.text() == "40 %"
    page.view_a.set_zoom(1.0)          # the 480 px file from a 240 px preview: magnified
    assert page._zoom_label.text() == "100 % (preview)"


def test_zooming_past_the_preview_loads_full_resolution(qtbot, page: ComparePage, library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = preview.load_preview
    monkeypatch.setattr("desktop_app.ui.compare.data.load_preview",
                        lambda path, max_side=3072: real(path, max_side=240 if max_side == 3072 else max_side))
    _compare(qtbot, page, library.path("astronaut.jpg"), library.path("astronaut (q60).jpg"))
    # The 240 px previews are magnified even to fit this view: each side fetches its full pixels.
    qtbot.waitUntil(lambda: not page.view_a.is_magnifying_preview() and not page.view_b.is_magnifying_preview(),
                    timeout=20_000)
    assert page.view_a.pixel_scale() < 1.01 * page.view_a.zoom()
    page.view_a.set_zoom(2.0)
    assert page._zoom_label.text() == "200 %"         # real pixels, no "(preview)"
    assert page.view_b.zoom() == pytest.approx(2.0, rel=0.01)


def test_score_comes_from_the_library_compare(qtbot, page: ComparePage, library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The page asks context.compare (what Duplicates and Find Similar use), not the engine."""
    import dataclasses

    calls: list[tuple[object, object]] = []
    real = library.context.compare

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return dataclasses.replace(real(a, b), score=73.0)

    monkeypatch.setattr(library.context, "compare", spy)
    page.set_context(library.context)
    outside = str(library.outside / "astronaut small.png")        # an outside file is allowed
    a = library.path("astronaut.jpg")
    outcome = _compare(qtbot, page, a, outside)
    assert calls == [(a, outside)]
    assert outcome.comparison is not None and outcome.comparison.score == 73.0
    assert page._score.text() == format_score(73.0) and page._word.text() == scale_word(73.0)

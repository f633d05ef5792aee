"""Find-similar page with a real indexed library, driven offscreen with pytest-qt."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QPixmap

from desktop_app.ui.similar.page import DEFAULT_MAX_COUNT, DEFAULT_THRESHOLD, SimilarPage
from desktop_app.ui.similar.results import MarkedRole, PathRole, ScoreRole
from desktop_app.workflow.archive import ArchiveFolder
from tests.ui.similar_library import Library, build_library, library_fixture

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


library = library_fixture("similar")


@pytest.fixture
def page(qtbot, library: Library) -> Iterator[SimilarPage]:  # type: ignore[no-untyped-def]
    p = SimilarPage()
    qtbot.addWidget(p)
    p.resize(1200, 800)
    p.set_context(library.context)
    p.show()
    yield p
    p.shutdown()


def _search(qtbot, page: SimilarPage, action) -> int:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.search_finished, timeout=20_000) as blocker:
        action()
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=20_000)   # the results' marks are ready
    return blocker.args[0]


def _shown(page: SimilarPage) -> list[tuple[str, float]]:
    model = page.model()
    return [(Path(model.index(r).data(PathRole)).name, model.index(r).data(ScoreRole))
            for r in range(model.rowCount())]


def test_defaults(page: SimilarPage) -> None:
    assert page.threshold() == DEFAULT_THRESHOLD == 70
    assert page.max_count() == DEFAULT_MAX_COUNT == 20


def test_find_similar_to_a_library_photo(qtbot, page: SimilarPage, library: Library, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    reference = library.path("astronaut.jpg")
    count = _search(qtbot, page, lambda: page.set_reference(reference))
    shown = _shown(page)
    names = [n for n, _ in shown]
    assert count == len(shown) >= 3
    assert names[0] == "astronaut (q60).jpg"          # the recompressed copy is the best match
    assert {"astronaut rotated.jpg", "astronaut crop.jpg"} <= set(names)
    assert not {"chelsea.jpg", "coffee.jpg", "rocket.jpg", "astronaut.jpg"} & set(names)
    scores = [s for _, s in shown]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 70
    expected = library.context.find_similar(reference, threshold=70, max_count=20)
    assert [(Path(r.image.path).name, r.similarity) for r in expected] == shown
    assert page.banner_text() == ""
    qtmodeltester.check(page.model())
    # Thumbnails arrive lazily from the context's cache.
    qtbot.waitUntil(lambda: isinstance(page.model().index(0).data(Qt.ItemDataRole.DecorationRole), QPixmap))
    assert "minor changes" in page.model().index(0).data(Qt.ItemDataRole.ToolTipRole)


def test_threshold_and_max_count_are_respected(qtbot, page: SimilarPage, library: Library) -> None:  # type: ignore[no-untyped-def]
    _search(qtbot, page, lambda: page.set_reference(library.path("astronaut.jpg")))
    everything = _search(qtbot, page, lambda: page.set_threshold(0))
    assert everything >= 3
    _search(qtbot, page, lambda: page.set_max_count(2))
    shown = _shown(page)
    assert len(shown) == 2 and shown[0][0] == "astronaut (q60).jpg"
    _search(qtbot, page, lambda: page.set_threshold(100))
    assert page.model().rowCount() == 0                # no identical copy: the grid says so
    assert "at least 100 similar" in page._empty.text()
    _search(qtbot, page, lambda: (page.set_max_count(20), page.set_threshold(95)))
    assert [n for n, _ in _shown(page)] == ["astronaut (q60).jpg"]
    assert all(score >= 95 for _, score in _shown(page))


def test_rapid_changes_settle_on_the_last_request(qtbot, page: SimilarPage, library: Library) -> None:  # type: ignore[no-untyped-def]
    _search(qtbot, page, lambda: page.set_reference(library.path("astronaut.jpg")))
    for value in (10, 20, 30, 40, 50, 60, 80, 90, 99):  # a slider drag
        page.set_threshold(value)
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=20_000)
    assert all(score >= 99 for _, score in _shown(page))
    assert [n for n, _ in _shown(page)] == ["astronaut (q60).jpg"]


def test_outside_file_is_searched_but_not_added(qtbot, page: SimilarPage, library: Library) -> None:  # type: ignore[no-untyped-def]
    outside = str(library.outside / "astronaut small.png")
    before = len(library.context.images())
    _search(qtbot, page, lambda: page.set_reference(outside))
    names = [n for n, _ in _shown(page)]
    assert names[:2] == ["astronaut.jpg", "astronaut (q60).jpg"] or set(names[:2]) == {"astronaut.jpg", "astronaut (q60).jpg"}
    assert "chelsea.jpg" not in names
    assert library.context.image_by_path(outside) is None
    assert len(library.context.images()) == before


def test_dropped_file_becomes_the_reference(qtbot, page: SimilarPage, library: Library) -> None:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(library.path("astronaut crop.jpg"))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    _search(qtbot, page, lambda: page.dropEvent(event))
    assert page.reference() == library.path("astronaut crop.jpg")
    assert "astronaut.jpg" in [n for n, _ in _shown(page)]


@pytest.mark.parametrize("name, reason", [("broken.jpg", "broken.jpg"), ("notes.jpg", "notes.jpg"),
                                          ("missing.jpg", "missing.jpg")])
def test_bad_reference_gives_a_message(qtbot, page: SimilarPage, library: Library, name: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.search_failed, timeout=20_000) as blocker:
        page.set_reference(str(library.outside / name))
    message = blocker.args[0]
    assert reason in message and "Traceback" not in message and "\n" not in message
    assert page.banner_text() == message
    assert page.model().rowCount() == 0
    assert "couldn't be read" in page._empty.text()
    # The page recovers with a good reference.
    _search(qtbot, page, lambda: page.set_reference(library.path("astronaut.jpg")))
    assert page.banner_text() == "" and page.model().rowCount() >= 3


def test_compare_with_reference_and_shortcut(qtbot, page: SimilarPage, library: Library) -> None:  # type: ignore[no-untyped-def]
    reference = library.path("astronaut.jpg")
    _search(qtbot, page, lambda: page.set_reference(reference))
    view = page.results_view()
    view.setCurrentIndex(page.model().index(1))
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    with qtbot.waitSignal(page.compare_requested) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert blocker.args == [reference, page.model().index(1).data(PathRole)]
    with qtbot.waitSignal(page.compare_requested) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == [reference, page.model().index(1).data(PathRole)]


def test_mark_archive_and_undo_through_the_workflow(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lib = build_library(tmp_path / "own")            # this test moves files: its own library
    archive_dir = tmp_path / "archive"
    asked = []

    def confirm(entries, refused, folder, use_trash, parent):  # type: ignore[no-untyped-def]
        asked.append([Path(e.source).name for e in entries])
        return ArchiveFolder(str(archive_dir))

    page = SimilarPage(confirm_archive=confirm)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    page.set_context(lib.context)
    _search(qtbot, page, lambda: page.set_reference(lib.path("astronaut.jpg")))
    view = page.results_view()
    view.setCurrentIndex(page.model().index(0))
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=20_000)   # the mark is saved in the executor
    target = lib.path("astronaut (q60).jpg")
    assert page.model().marked() == {target}
    assert page.model().index(0).data(MarkedRole) is True
    assert page._mark_btn.text() == "Keep"            # the button now offers the way back

    _search(qtbot, page, page._archive_btn.click)    # archived, then searched again
    assert asked == [["astronaut (q60).jpg"]]
    assert not Path(target).exists() and (archive_dir / "astronaut (q60).jpg").exists()
    assert lib.context.image_by_path(target) is None
    assert target not in [page.model().index(r).data(PathRole) for r in range(page.model().rowCount())]
    assert "Archived 1 file" in page._notice.text()

    _search(qtbot, page, page._undo_btn.click)       # restored, then searched again
    assert Path(target).exists()
    assert target in [page.model().index(r).data(PathRole) for r in range(page.model().rowCount())]
    page.shutdown()
    lib.store.close()


def test_protected_results_are_never_marked(qtbot, page: SimilarPage, library: Library) -> None:  # type: ignore[no-untyped-def]
    library.context.set_protected(str(library.root), True)
    try:
        _search(qtbot, page, lambda: page.set_reference(library.path("astronaut.jpg")))
        page.results_view().setCurrentIndex(page.model().index(0))
        page.toggle_mark_selected()
        qtbot.waitUntil(lambda: not page.is_busy(), timeout=20_000)
        assert page.model().marked() == set()
        assert "protected" in page._notice.text()
    finally:
        library.context.set_protected(str(library.root), False)


def test_without_a_library_the_reference_still_shows(qtbot, library: Library) -> None:  # type: ignore[no-untyped-def]
    p = SimilarPage()
    qtbot.addWidget(p)
    _search(qtbot, p, lambda: p.set_reference(library.path("astronaut.jpg")))
    assert p.model().rowCount() == 0
    assert "library" in p.banner_text()
    p.shutdown()


def test_ctrl_f_chooses_a_reference_file(qtbot, page: SimilarPage, library: Library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    outside = str(library.outside / "astronaut small.png")
    monkeypatch.setattr("desktop_app.ui.common.file_dialogs.QFileDialog.getOpenFileName", lambda *a, **k: (outside, ""))
    page.activateWindow()
    page._slider.setFocus()       # any control of the page: the shortcut belongs to the page
    qtbot.waitUntil(page._slider.hasFocus)
    assert "Choose a photo" in page._empty.text()    # the empty grid explains what to do
    _search(qtbot, page, lambda: qtbot.keyClick(page._slider, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier))
    assert page.reference() == outside


def test_failed_search_replaces_the_searching_status(qtbot, page: SimilarPage, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really")
    statuses: list[str] = []
    page.status.connect(statuses.append)
    with qtbot.waitSignal(page.search_failed, timeout=30000):
        page.set_reference(str(bad))
    assert statuses[-1].startswith("Couldn't read") and "broken.jpg" in statuses[-1]

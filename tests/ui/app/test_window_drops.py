"""Drops anywhere on the main window: a folder joins the library (and is scanned, even when it
arrives mid-scan), one photo opens Find Similar with it as the reference, two are compared."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from tests.ui.photos import make_many


def _mime(*paths: Path | str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drop(window, *paths: Path | str) -> QDropEvent:  # type: ignore[no-untyped-def]
    """What Qt calls on a drop (sendEvent needs a real drag session)."""
    mime = _mime(*paths)
    enter = QDragEnterEvent(QPointF(400, 400).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(400, 400), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert event.isAccepted()
    return event


def test_window_accepts_drops_and_ignores_what_is_not_local(qtbot, make_window) -> None:
    window = make_window()
    assert window.acceptDrops()
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/photo.jpg")])
    mime.setText("just text")
    enter = QDragEnterEvent(QPointF(10, 10).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert not enter.isAccepted()


def test_dropped_folder_is_added_and_scanned_even_mid_scan(qtbot, make_window, tmp_path: Path) -> None:
    a, b, c = tmp_path / "A", tmp_path / "B", tmp_path / "C"
    for folder in (a, b, c):
        make_many(folder, 3)
    window = make_window()
    window.show()
    page = window.duplicates
    with qtbot.waitSignal(page.scanner.finished, timeout=60000) as blocker:
        _drop(window, a)                       # no library yet: the default one is created
    assert window.pages.currentWidget() is window.tabs
    assert [f.path for f in page.folders.model.folders()] == [str(a)]
    assert blocker.args[0].folder_counts == {str(a): 3}
    # a drop while a scan runs is queued, then scanned
    page.start_scan()
    assert page.scanner.is_running
    _drop(window, b)
    assert "when this scan ends" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: sorted(f.path for f in page.folders.model.folders()) == [str(a), str(b)], timeout=60000)
    qtbot.waitUntil(lambda: not page.scanner.is_running and page.folders.model.index(1).data(Qt.ItemDataRole.UserRole + 2) == 3,
                    timeout=60000)
    # folders and files together: the folders are added, the files left out (and said so)
    with qtbot.waitSignal(page.scanner.finished, timeout=60000):
        _drop(window, c, c / "img_0000.jpg")
        assert "left out" in window.statusBar().currentMessage()
    assert str(c) in [f.path for f in page.folders.model.folders()]


def test_dropped_photo_opens_find_similar_and_two_open_compare(qtbot, opened_window, library, monkeypatch) -> None:
    _root, files = library
    window = opened_window
    photo = files["chelsea"][0]
    with qtbot.waitSignal(window.similar.search_finished, timeout=30000) as blocker:
        _drop(window, photo)
    assert window.tabs.currentWidget() is window.similar
    assert window.similar.reference() == str(photo)
    assert blocker.args[0] >= 1                              # its copies are found
    compared = []
    monkeypatch.setattr(window.compare, "set_images", lambda a, b: compared.append((a, b)))
    _drop(window, files["coffee"][0], files["coffee"][1])
    assert window.tabs.currentWidget() is window.compare
    assert compared == [(str(files["coffee"][0]), str(files["coffee"][1]))]


def test_a_folder_dropped_on_find_similar_goes_to_the_library(qtbot, make_window, tmp_path: Path) -> None:
    folder = tmp_path / "Trip"
    make_many(folder, 2)
    window = make_window()
    mime = _mime(folder)   # kept alive: the event doesn't own it
    enter = QDragEnterEvent(QPointF(10, 10).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.similar.dragEnterEvent(enter)
    assert not enter.isAccepted()            # not a reference: it passes on to the window
    window.compare.view_a.dragEnterEvent(enter)
    assert not enter.isAccepted()

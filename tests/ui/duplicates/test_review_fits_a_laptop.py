"""The review screen fits a laptop (1366 x 768): opening a group never makes the window taller
than the screen, and the window never grows by itself."""

from __future__ import annotations

from PySide6.QtCore import Qt

LAPTOP_HEIGHT = 700   # 768 minus a taskbar and the window's title bar


def test_the_window_stays_small_enough_for_a_laptop_in_review(qtbot, opened_window) -> None:
    window = opened_window
    window.resize(1280, 680)
    window.show()
    qtbot.waitExposed(window)
    page = window.duplicates
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert page.stack.currentWidget() is page.review
    qtbot.waitUntil(lambda: all(p.view.has_image() for p in page.review.panels if not p.isHidden()), timeout=20000)
    assert window.minimumSizeHint().height() <= LAPTOP_HEIGHT
    assert window.minimumHeight() <= LAPTOP_HEIGHT
    assert window.minimumSize().expandedTo(window.minimumSizeHint()).height() <= LAPTOP_HEIGHT
    assert window.height() == 680                     # not grown by itself
    assert window.minimumSizeHint().width() <= 1366
    # every group (another size or shape must not push it either)
    for row in range(1, page.model.rowCount()):
        qtbot.keyClick(page.review, Qt.Key.Key_Down)
        assert page.review.row == row
        assert window.minimumSizeHint().height() <= LAPTOP_HEIGHT and window.height() == 680
        assert window.minimumSizeHint().width() <= 1366


def test_the_first_window_fits_the_screen(qtbot, make_window) -> None:
    # No saved geometry: the default size (1400 x 900) must shrink to a smaller screen (the
    # test screen is 800 x 800). A saved one is clamped by Qt's restoreGeometry.
    window = make_window(resize=False)
    available = window.screen().availableGeometry()
    assert window.height() <= available.height() and window.width() <= available.width()

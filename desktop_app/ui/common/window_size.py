"""Keep a window on its screen: a restored or default size never larger than the screen's
available area (a laptop's 1366 x 768 included), and the window inside it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

DEFAULT_SIZE = (1400, 900)


def fit_to_screen(window: QWidget) -> None:
    """Shrink ``window`` to its screen's available area and move it inside, if needed."""
    screen = window.screen()
    if screen is None:
        return
    area = screen.availableGeometry()
    # The frame (title bar, borders) is outside the widget's size: leave room for it.
    frame = window.frameGeometry().size() - window.geometry().size()
    width = min(window.width(), max(area.width() - frame.width(), window.minimumWidth()))
    height = min(window.height(), max(area.height() - frame.height(), window.minimumHeight()))
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(window.x(), area.left()), max(area.left(), area.right() - window.frameGeometry().width() + 1))
    y = min(max(window.y(), area.top()), max(area.top(), area.bottom() - window.frameGeometry().height() + 1))
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)

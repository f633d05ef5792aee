"""What every page paints with: the mark colours, the badge colour of each band of the scale, and
one-line elided text. One place, so pages never import each other's constants."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics, QPalette

from desktop_app.ui.common.scale import one_line

# Mark colours: saturated mid-tones that read on light and dark palettes, with white text.
KEEP_COLOR = QColor(46, 139, 87)
ARCHIVE_COLOR = QColor(204, 85, 51)
ORIGINAL_COLOR = QColor(214, 160, 32)
PROTECTED_COLOR = QColor(70, 110, 190)
PAIR_COLOR = QColor(120, 80, 170)       # RAW+JPEG: one photo in two files

#: Badge colour per band of the scale (mid-tones that read on light and dark palettes).
BAND_COLOURS: tuple[tuple[float, QColor], ...] = (
    (100.0, QColor(38, 120, 178)),
    (90.0, QColor(46, 139, 87)),
    (70.0, QColor(196, 140, 20)),
    (50.0, QColor(204, 102, 51)),
    (0.0, QColor(120, 120, 120)),
)


def band_colour(score: float) -> QColor:
    """The badge colour of a score's band of the scale."""
    for floor, colour in BAND_COLOURS:
        if score >= floor:
            return colour
    return BAND_COLOURS[-1][1]


def elided_line(fm: QFontMetrics, text: str, width: int, mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> str:
    """``text`` as one line (control characters made visible) elided to ``width`` pixels."""
    return fm.elidedText(one_line(text), mode, max(0, width))


def hint_colour(palette: QPalette) -> QColor:
    """Quiet but readable text for hints: the text colour 70 % of the way from the window colour
    (contrast about 5:1 on the default light and dark palettes; the disabled grey is about 2:1)."""
    text = palette.color(QPalette.ColorRole.WindowText)
    window = palette.color(QPalette.ColorRole.Window)
    mix = lambda a, b: round(0.3 * a + 0.7 * b)  # noqa: E731
    return QColor(mix(window.red(), text.red()), mix(window.green(), text.green()), mix(window.blue(), text.blue()))


def hint_style(palette: QPalette) -> str:
    """The style sheet of a hint label (see :func:`hint_colour`)."""
    return f"color: {hint_colour(palette).name()};"

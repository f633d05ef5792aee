"""The difference map in words and its colour key, the same on every page that draws one.

The words are measured on what is drawn (:class:`~desktop_app.engine.preview.DifferenceMap`'s
``slight_fraction``: tinted dark red; ``changed_fraction``: orange to yellow), so a map full of
red is never called "no visible change".
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.engine.preview import CLEAR_ON_RAMP, DifferenceMap, heat_ramp
from desktop_app.ui.common.image_view import qimage_from_rgb

#: The key in one line, for tooltips and notes.
DIFFERENCE_LEGEND = ("Grey: no difference; dark red: slight differences; orange to yellow: clearly "
                     "changed; hatched: not in this copy.")
NOTHING_CHANGED = "no visible change"


def difference_words(result: DifferenceMap) -> str:
    """What the map shows, short enough for a title: "no visible change", "slight differences
    over 40 %", "12 % clearly changed", "12 % clearly changed, slight over 30 %"."""
    changed = result.changed_fraction * 100
    slight = result.slight_fraction * 100
    slight_words = f"slight differences over {slight:.0f} %" if slight >= 1 else ""
    if changed < 0.5:
        return slight_words or NOTHING_CHANGED
    words = f"{changed:.1f} % clearly changed" if changed < 10 else f"{changed:.0f} % clearly changed"
    return f"{words}, slight over {slight:.0f} %" if slight >= 1 else words


def difference_note(result: DifferenceMap, *, score: float | None = None) -> str:
    """The paragraph under a difference map: how the copy was laid over the original, what the
    map shows, and why a low score lights up everywhere."""
    how = ("aligned onto the left one (its geometry was verified)" if result.aligned
           else "resized to the left one (no alignment could be verified)")
    words = difference_words(result)
    if result.aligned and words == NOTHING_CHANGED:
        words += " once aligned"   # a rotated or cropped copy with the same pixels
    note = f"The right photo, {how}: {words}."
    if result.coverage < 0.995:
        note += f" Hatched: {100 - result.coverage * 100:.0f} % of the left photo is not in the right one."
    if score is not None and score < 90 and result.changed_fraction + result.slight_fraction >= 0.1:
        # A pixel map of a different viewpoint or a heavy edit lights up everywhere (parallax):
        # say so rather than let it look like damage (and only when it does light up).
        note += " Below 90 the framing or viewpoint differs, so differences are expected everywhere."
    return note


class DifferenceLegend(QWidget):
    """The colour key drawn beside a difference map: grey, the ramp from "slight" to "clearly
    changed", and the hatch of areas not in the copy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("differenceLegend")
        self.setToolTip(DIFFERENCE_LEGEND)
        self._ramp = qimage_from_rgb(np.repeat(heat_ramp(np.linspace(0.0, 1.0, 128))[None], 4, axis=0))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance("M") * 48, fm.height() + 6)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance("M") * 30, self.fontMetrics().height() + 6)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        fm = self.fontMetrics()
        h = fm.height()
        text = self.palette().color(QPalette.ColorRole.WindowText)
        x = 0

        def label(words: str) -> None:
            nonlocal x
            p.setPen(text)
            p.drawText(QRect(x, 0, fm.horizontalAdvance(words) + 2, self.height()), Qt.AlignmentFlag.AlignVCenter, words)
            x += fm.horizontalAdvance(words) + 10

        def swatch(fill: QBrush | QColor, width: int) -> None:
            nonlocal x
            box = QRect(x, (self.height() - h) // 2 + 2, width, h - 4)
            p.fillRect(box, fill)
            x += width + 4

        swatch(QColor(72, 72, 72), h)
        label("same")
        ramp_width = max(80, min(240, self.width() // 3))
        box = QRect(x, (self.height() - h) // 2 + 2, ramp_width, h - 4)
        p.drawImage(box, self._ramp)
        tick = box.left() + int(CLEAR_ON_RAMP * ramp_width)
        p.fillRect(QRect(tick, box.top() - 2, 1, box.height() + 4), text)
        x += ramp_width + 6
        label("slight → clearly changed (right of the tick)")
        swatch(QBrush(QColor(70, 70, 70), Qt.BrushStyle.BDiagPattern), h)
        label("not in this copy")
        p.end()

"""Drawing the evidence of a comparison: match lines across two synchronised views, and the
exported PNG (score, both images with their matches, the difference map).

The engine reports matched keypoints in each image's *working-image* pixels
(``ImageFeatures.working_size``); :func:`desktop_app.engine.preview.working_to_display` maps
them onto the previews shown here.
"""

from __future__ import annotations

import logging
from typing import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen, QRegion, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QWidget

from desktop_app.ui.common.image_view import ImageView, qimage_from_rgb
from desktop_app.ui.common.palette import elided_line
from desktop_app.ui.common.scale import format_score, scale_word

log = logging.getLogger(__name__)

INLIER_COLOUR = QColor(60, 220, 120)     # agrees with the verified geometry
OUTLIER_COLOUR = QColor(255, 80, 80)     # matched descriptors the geometry rejects
#: More lines than this turn into a solid sheet; a spread-out sample tells the same story.
MAX_LINES = 160


@dataclass(frozen=True)
class MatchLines:
    """Match endpoints in each preview's pixels, and which agree with the geometry."""

    points_a: np.ndarray        # (N, 2) float32, in image a's preview pixels
    points_b: np.ndarray        # (N, 2) float32, in image b's preview pixels
    inliers: np.ndarray         # (N,) bool

    @staticmethod
    def empty() -> "MatchLines":
        return MatchLines(np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), np.zeros(0, bool))

    def sample(self, *, limit: int = MAX_LINES, outliers: bool = True) -> "MatchLines":
        """At most ``limit`` lines, inliers first, spread evenly over the matches (deterministic)."""
        keep = np.flatnonzero(self.inliers)
        rest = np.flatnonzero(~self.inliers) if outliers else np.zeros(0, np.int64)
        n_in = min(len(keep), max(limit - min(len(rest), limit // 4), limit // 2))
        n_out = min(len(rest), limit - n_in)

        def spread(idx: np.ndarray, n: int) -> np.ndarray:
            if n >= len(idx):
                return idx
            return idx[np.linspace(0, len(idx) - 1, n).round().astype(np.int64)]

        chosen = np.concatenate([spread(rest, n_out), spread(keep, n_in)])  # inliers drawn last, on top
        return MatchLines(self.points_a[chosen], self.points_b[chosen], self.inliers[chosen])

    @property
    def inlier_count(self) -> int:
        return int(np.count_nonzero(self.inliers))

    @property
    def outlier_count(self) -> int:
        return int(len(self.inliers) - self.inlier_count)


def _pen(colour: QColor, *, alpha: int, width: float) -> QPen:
    c = QColor(colour)
    c.setAlpha(alpha)
    pen = QPen(c, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def draw_matches(painter: QPainter, lines: MatchLines, map_a: Callable[[QPointF], QPointF],
                 map_b: Callable[[QPointF], QPointF], *,
                 width: float = 1.2, dot: float = 2.5) -> int:
    """Draw ``lines`` with ``map_a``/``map_b`` taking preview pixels to painter coordinates.
    Returns how many lines were drawn."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for i in range(len(lines.inliers)):
        pa = map_a(QPointF(float(lines.points_a[i, 0]), float(lines.points_a[i, 1])))
        pb = map_b(QPointF(float(lines.points_b[i, 0]), float(lines.points_b[i, 1])))
        colour = INLIER_COLOUR if lines.inliers[i] else OUTLIER_COLOUR
        painter.setPen(_pen(colour, alpha=170 if lines.inliers[i] else 150, width=width))
        painter.drawLine(QLineF(pa, pb))
        painter.setPen(_pen(colour, alpha=230, width=dot * 2))
        painter.drawPoint(pa)
        painter.drawPoint(pb)
    return len(lines.inliers)


class MatchOverlay(QWidget):
    """Transparent layer over two side-by-side :class:`ImageView` s drawing match lines from a
    point in the left view to its match in the right one, following zoom and pan."""

    def __init__(self, view_a: ImageView, view_b: ImageView, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent   # the widget holding both views (coordinates are mapped to it)
        self._a = view_a
        self._b = view_b
        self._lines = MatchLines.empty()
        self._drawn = MatchLines.empty()
        self._show_outliers = True
        self._visible_lines = True
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        for view in (view_a, view_b):
            view.view_changed.connect(self.update)

    def set_lines(self, lines: MatchLines) -> None:
        self._lines = lines
        self._resample()

    def set_options(self, *, lines: bool, outliers: bool) -> None:
        self._visible_lines = lines
        self._show_outliers = outliers
        self._resample()

    def drawn(self) -> MatchLines:
        """The lines currently drawn (after sampling and options)."""
        return self._drawn if self._visible_lines else MatchLines.empty()

    def _resample(self) -> None:
        self._drawn = self._lines.sample(outliers=self._show_outliers)
        self.update()

    def _map(self, view: ImageView) -> "callable":  # type: ignore[valid-type]
        viewport = view.viewport()

        def to_overlay(p: QPointF) -> QPointF:
            local = view.mapFromScene(p)
            return QPointF(viewport.mapTo(self._host(), local)) - QPointF(self.pos())

        return to_overlay

    def _host(self) -> QWidget:
        return self._parent

    def _viewport_rect(self, view: ImageView) -> QRect:
        viewport = view.viewport()
        top_left = viewport.mapTo(self._host(), viewport.rect().topLeft()) - self.pos()
        return QRect(top_left, viewport.size())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        if not self._visible_lines or not len(self._drawn.inliers):
            return
        if not (self._a.has_image() and self._b.has_image()):
            return
        ra, rb = self._viewport_rect(self._a), self._viewport_rect(self._b)
        painter = QPainter(self)
        # Lines may cross the gap between the views, never the controls around them.
        painter.setClipRegion(QRegion(ra.united(rb)))
        draw_matches(painter, self._drawn, self._map(self._a), self._map(self._b))
        painter.end()


# --------------------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportContent:
    """What the exported PNG shows (everything already computed for the page)."""

    name_a: str
    name_b: str
    details_a: str
    details_b: str
    score: float
    reason: str
    evidence: str
    image_a: QImage
    image_b: QImage
    lines: MatchLines            # in image_a / image_b pixels
    difference: QImage | None
    difference_note: str


def _fit_rect(size: QSize, box: QRect) -> QRect:
    scaled = size.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
    rect = QRect(0, 0, scaled.width(), scaled.height())
    rect.moveCenter(box.center())
    return rect


def render_comparison(content: ExportContent, *, width: int = 2400) -> QImage:
    """The comparison as one image: header (score, word, reason), both images with their match
    lines, and the difference map with its caption."""
    margin, gap = 32, 48
    half = (width - 2 * margin - gap) // 2
    aspect = max(
        content.image_a.height() / max(1, content.image_a.width()),
        content.image_b.height() / max(1, content.image_b.width()),
    )
    pair_h = int(min(half * aspect, half * 1.4))
    diff_h = 0
    if content.difference is not None and not content.difference.isNull():
        diff_h = int(min(half * content.difference.height() / max(1, content.difference.width()), half * 1.4))
    header_h = 150
    height = header_h + pair_h + (diff_h + 100 if diff_h else 0) + margin * 2
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(36, 36, 36))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    white, grey = QColor(235, 235, 235), QColor(170, 170, 170)

    big = QFont()
    big.setPixelSize(64)
    big.setBold(True)
    p.setFont(big)
    p.setPen(white)
    score_rect = QRect(margin, margin, 220, 80)
    p.drawText(score_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, format_score(content.score))
    mid = QFont()
    mid.setPixelSize(30)
    p.setFont(mid)
    p.drawText(QRect(margin + 170, margin + 4, width - 2 * margin - 170, 40),
               Qt.AlignmentFlag.AlignLeft, f"{scale_word(content.score)} — {content.reason}")
    small = QFont()
    small.setPixelSize(20)
    p.setFont(small)
    p.setPen(grey)
    p.drawText(QRect(margin + 170, margin + 48, width - 2 * margin - 170, 30), Qt.AlignmentFlag.AlignLeft,
               content.evidence)
    top = margin + 90
    for x, name, details in ((margin, content.name_a, content.details_a),
                             (margin + half + gap, content.name_b, content.details_b)):
        p.setPen(white)
        p.drawText(QRect(x, top, half, 26), Qt.AlignmentFlag.AlignLeft,
                   elided_line(p.fontMetrics(), name, half, Qt.TextElideMode.ElideMiddle))
        p.setPen(grey)
        p.drawText(QRect(x, top + 26, half, 26), Qt.AlignmentFlag.AlignLeft, details)

    box_a = QRect(margin, header_h + margin, half, pair_h)
    box_b = QRect(margin + half + gap, header_h + margin, half, pair_h)
    rect_a, rect_b = _fit_rect(content.image_a.size(), box_a), _fit_rect(content.image_b.size(), box_b)
    p.drawImage(rect_a, content.image_a)
    p.drawImage(rect_b, content.image_b)

    def mapper(rect: QRect, img: QImage) -> "callable":  # type: ignore[valid-type]
        sx, sy = rect.width() / max(1, img.width()), rect.height() / max(1, img.height())
        return lambda q: QPointF(rect.left() + (q.x() + 0.5) * sx, rect.top() + (q.y() + 0.5) * sy)

    draw_matches(p, content.lines, mapper(rect_a, content.image_a), mapper(rect_b, content.image_b),
                 width=1.6, dot=3.0)
    if diff_h and content.difference is not None:
        y = header_h + margin + pair_h + 40
        p.setPen(white)
        p.setFont(mid)
        p.drawText(QRect(margin, y, half, 36), Qt.AlignmentFlag.AlignLeft, "Difference")
        box = QRect(margin, y + 44, half, diff_h)
        p.drawImage(_fit_rect(content.difference.size(), box), content.difference)
        _draw_legend(p, QRect(margin + half + gap, y + 44, half, diff_h), content.difference_note, small)
    p.end()
    return image


def _draw_legend(p: QPainter, box: QRect, note: str, font: QFont) -> None:
    """The difference map's key: the colour ramp from "same" to "different", then the note."""
    from desktop_app.engine.preview import heat_ramp

    ramp = heat_ramp(np.linspace(0.0, 1.0, 256))
    bar_image = qimage_from_rgb(np.repeat(ramp[None, :, :], 24, axis=0))
    bar_rect = QRect(box.left(), box.top() + 8, min(box.width(), 520), 28)
    p.drawImage(bar_rect, bar_image)
    p.setFont(font)
    p.setPen(QColor(200, 200, 200))
    p.drawText(QRect(bar_rect.left(), bar_rect.bottom() + 6, 200, 28), Qt.AlignmentFlag.AlignLeft, "same")
    p.drawText(QRect(bar_rect.right() - 200, bar_rect.bottom() + 6, 200, 28), Qt.AlignmentFlag.AlignRight, "different")
    p.drawText(QRect(box.left(), bar_rect.bottom() + 50, box.width(), box.height() - 90),
               int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap), note)


def write_png(image: QImage, path: str) -> bool:
    """Save the exported comparison (the only file the compare page writes; chosen by the user)."""
    ok = image.save(path, "PNG")  # type: ignore[call-overload]  # the stub says bytes; the binding takes str
    if not ok:
        log.warning("could not write %s", path)
    return ok


class SideBySide(QWidget):
    """Two synchronised views with the match overlay on top of both."""

    def __init__(self, view_a: ImageView, view_b: ImageView) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(view_a)
        layout.addWidget(view_b)
        self.overlay = MatchOverlay(view_a, view_b, self)
        self.overlay.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())

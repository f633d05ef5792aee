"""A zoomable, pannable image viewer and a synchroniser that makes several viewers move as one.

:class:`ImageView` is a ``QGraphicsView`` showing one ``QImage`` (plus any overlay items a page
adds to its scene, e.g. match lines). It zooms with the wheel (about the pointer), ``+``/``-``,
``0`` (fit) and ``1`` (1:1), pans by dragging, and keeps fitting on resize until the user zooms.
Zoom is reported against the *source* image's pixels, so a preview decoded at a reduced size
still shows "100 %" when one screen pixel is one pixel of the original file.

:class:`ViewState` is where a view looks, independent of resolution (relative centre and
displayed size of the image): :mod:`desktop_app.ui.common.view_sync` links views by it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from desktop_app.ui.common.drops import Dropped, DropTarget

log = logging.getLogger(__name__)

#: Each wheel notch / key press multiplies the zoom by this.
ZOOM_STEP = 1.25
#: Zoom limits, in screen pixels per source pixel.
MAX_ZOOM = 32.0
MIN_ZOOM = 0.01
#: Above this zoom, pixels are drawn as crisp squares (a photographer checks sharpness there).
NEAREST_ABOVE = 2.0
#: Neutral grey: judging colour on a tinted background misleads the eye.
DEFAULT_BACKGROUND = QColor(48, 48, 48)



def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an (h, w, 3) uint8 RGB array (safe to make in a worker thread,
    and to keep after the array is gone). It is converted to the screen's native 32-bit layout
    here, so turning it into a QPixmap on the GUI thread is a copy (~1 ms for 6 MP, not ~20)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (h, w, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
    data = np.ascontiguousarray(rgb)
    height, width = data.shape[:2]
    image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.convertToFormat(QImage.Format.Format_RGB32)  # a new image: owns its pixels


@dataclass(frozen=True)
class ViewState:
    """Where a view looks, independent of the image's resolution.

    ``centre`` is the viewport centre as a fraction of the image's width and height (0..1);
    ``extent`` the on-screen length, in device-independent pixels, of the image's longer side;
    ``zoom`` screen pixels per *source* pixel; ``fit`` whether the view is fitting the image.
    """

    centre: tuple[float, float]
    extent: float
    zoom: float
    fit: bool


class ImageView(DropTarget, QGraphicsView):
    """Shows one image with zoom and pan. Pages may add overlay items via :meth:`add_overlay`.

    Signals: ``view_changed`` (zoom or pan moved; for :class:`ViewSynchroniser`),
    ``zoom_changed(float)`` (screen pixels per source pixel) and, when built with
    ``accept_file_drops=True``, ``file_dropped(str)`` (a local file dropped from the file
    manager; the view never opens it itself).
    """

    view_changed = Signal()
    zoom_changed = Signal(float)
    file_dropped = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        accept_file_drops: bool = False,
        background: QColor = DEFAULT_BACKGROUND,
        max_fit_zoom: float | None = None,
    ) -> None:
        super().__init__(parent)
        # Fitting never enlarges past this zoom (1.0: a small photo shows at 100 %, not blown
        # up and blurred); zooming by hand still can.
        self._max_fit_zoom = max_fit_zoom
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._pixmap_item: QGraphicsPixmapItem | None = None
        self._overlays: list[QGraphicsItem] = []
        self._source_size = QSize()
        self._fit = True
        self._message = ""
        self._last_zoom = 0.0
        self._background = QColor(background)

        self.setBackgroundBrush(self._background)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        # Panning is by drag; scroll bars would only steal room from the photo.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.horizontalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self._accept_file_drops = accept_file_drops
        self.setAcceptDrops(accept_file_drops)
        self.viewport().setAcceptDrops(accept_file_drops)

    # ----------------------------------------------------------------- content

    def set_image(self, image: QImage | None, *, source_size: QSize | None = None) -> None:
        """Show ``image`` (or nothing), fitted. ``source_size`` is the original file's size when
        ``image`` is a reduced preview, so zoom percentages refer to the file's pixels."""
        self.clear_overlays()
        if self._pixmap_item is not None:
            self._scene.removeItem(self._pixmap_item)
            self._pixmap_item = None
        if image is None or image.isNull():
            self._source_size = QSize()
            self._scene.setSceneRect(QRectF())
        else:
            # QPixmap must be made on the GUI thread; workers hand over QImage.
            self._pixmap_item = QGraphicsPixmapItem(QPixmap.fromImage(image))
            self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            self._pixmap_item.setZValue(-1)
            self._scene.addItem(self._pixmap_item)
            self._source_size = QSize(source_size) if source_size and source_size.isValid() else image.size()
            self._scene.setSceneRect(QRectF(0, 0, image.width(), image.height()))
            self._message = ""
        self._fit = True
        self._apply_fit()
        self.viewport().update()

    def set_detail_image(self, image: QImage) -> bool:
        """Swap in a sharper rendition of the *same* picture (e.g. the full-resolution decode
        behind a preview) without moving anything: scene coordinates stay in the first image's
        pixels, so zoom, pan, overlays and synchronisation are unaffected. False if not shown."""
        item = self._pixmap_item
        rect = self.image_rect()
        if item is None or image.isNull() or rect.isEmpty():
            return False
        item.setPixmap(QPixmap.fromImage(image))
        item.setScale(rect.width() / image.width())
        self._set_scale(self.transform().m11())  # re-pick smooth/nearest for the new pixel size
        self.viewport().update()
        return True

    def pixel_scale(self) -> float:
        """Screen pixels per pixel of the picture drawn now (> 1: it is being magnified)."""
        item = self._pixmap_item
        return self.transform().m11() * (item.scale() if item is not None else 1.0)

    def is_magnifying_preview(self) -> bool:
        """True when a reduced rendition is drawn larger than its own pixels while the file has
        more: what the user sees there is interpolated, not the file's detail."""
        item = self._pixmap_item
        if item is None:
            return False
        return self.pixel_scale() > 1.01 and self._source_size.width() > item.pixmap().width()

    def has_image(self) -> bool:
        return self._pixmap_item is not None

    def image_rect(self) -> QRectF:
        """The image's rectangle in scene coordinates (preview pixels), empty without one."""
        return self._scene.sceneRect() if self._pixmap_item is not None else QRectF()

    def source_size(self) -> QSize:
        return QSize(self._source_size)

    def add_overlay(self, item: QGraphicsItem) -> QGraphicsItem:
        """Add ``item`` (in image/scene coordinates) above the image; removed by the next
        :meth:`set_image` or :meth:`clear_overlays`."""
        self._scene.addItem(item)
        self._overlays.append(item)
        return item

    def overlays(self) -> list[QGraphicsItem]:
        return list(self._overlays)

    def clear_overlays(self) -> None:
        for item in self._overlays:
            if item.scene() is self._scene:
                self._scene.removeItem(item)
        self._overlays.clear()

    def set_message(self, text: str) -> None:
        """Text drawn centred when there is no image: an empty, loading or error state."""
        self._message = text
        self.viewport().update()

    def message(self) -> str:
        return self._message

    # ----------------------------------------------------------------- zoom

    def zoom(self) -> float:
        """Screen pixels per source-image pixel (1.0 = 100 %)."""
        if self._pixmap_item is None or self._source_size.width() <= 0:
            return 1.0
        return self.transform().m11() * self.image_rect().width() / self._source_size.width()

    def is_fitted(self) -> bool:
        return self._fit

    def fit_zoom(self) -> float:
        """The zoom at which the whole image fits the viewport."""
        rect = self.image_rect()
        if rect.isEmpty():
            return 1.0
        vp = self.viewport().rect()
        scale = min(vp.width() / rect.width(), vp.height() / rect.height())
        zoom = max(scale, 1e-6) * rect.width() / max(self._source_size.width(), 1)
        return zoom if self._max_fit_zoom is None else min(zoom, self._max_fit_zoom)

    @Slot()
    def fit(self) -> None:
        """Fit the whole image in the view, and keep fitting as the view resizes."""
        self._fit = True
        self._apply_fit()

    @Slot()
    def actual_size(self) -> None:
        """1:1 - one screen pixel per source pixel, about the current centre."""
        self.set_zoom(1.0)

    @Slot()
    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    @Slot()
    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def set_zoom(self, zoom: float, *, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` (screen px per source px). ``anchor`` is a viewport point that stays
        over the same image point (the pointer for the wheel); default: the viewport centre."""
        if self._pixmap_item is None:
            return
        lower = min(MIN_ZOOM, self.fit_zoom())
        zoom = max(lower, min(MAX_ZOOM, zoom))
        scale = zoom * self._source_size.width() / self.image_rect().width()
        centre = self.viewport().rect().center()
        anchor_view = anchor if anchor is not None else QPointF(centre)
        anchor_scene = self.mapToScene(anchor_view.toPoint())
        self._fit = False
        self._set_scale(scale)
        # Put the anchored image point back under the anchor.
        moved = self.mapFromScene(anchor_scene)
        delta = moved - anchor_view.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self._changed()

    # ----------------------------------------------------------------- state (synchronisation)

    def view_state(self) -> ViewState | None:
        """The current :class:`ViewState`, or ``None`` without an image."""
        rect = self.image_rect()
        if rect.isEmpty():
            return None
        centre = self.mapToScene(self.viewport().rect().center())
        u = min(max(centre.x() / rect.width(), 0.0), 1.0)
        v = min(max(centre.y() / rect.height(), 0.0), 1.0)
        extent = self.transform().m11() * max(rect.width(), rect.height())
        return ViewState(centre=(u, v), extent=extent, zoom=self.zoom(), fit=self._fit)

    def apply_view_state(self, state: ViewState) -> None:
        """Look where ``state`` says: same relative centre and the same on-screen size of the
        image (so copies at different resolutions show the same region)."""
        rect = self.image_rect()
        if rect.isEmpty():
            return
        if state.fit:
            self.fit()
            return
        scale = state.extent / max(rect.width(), rect.height())
        self._fit = False
        self._set_scale(scale)
        self.centerOn(QPointF(state.centre[0] * rect.width(), state.centre[1] * rect.height()))
        self._changed()

    def look_at(self, centre: QPointF, scale: float) -> None:
        """Centre on ``centre`` (scene/image pixels) at ``scale`` screen pixels per image pixel."""
        if self._pixmap_item is None:
            return
        self._fit = False
        self._set_scale(scale)
        self.centerOn(centre)
        self._changed()

    def scene_centre(self) -> QPointF:
        """The image point under the viewport's centre."""
        return self.mapToScene(self.viewport().rect().center())

    # ----------------------------------------------------------------- internals

    def _set_scale(self, scale: float) -> None:
        if not math.isfinite(scale) or scale <= 0:
            return
        self.setTransform(QTransform.fromScale(scale, scale))
        if self._pixmap_item is not None:
            # Crisp pixels when zoomed far in; smooth resampling otherwise.
            mode = (
                Qt.TransformationMode.FastTransformation
                if scale * self._pixmap_item.scale() >= NEAREST_ABOVE
                else Qt.TransformationMode.SmoothTransformation
            )
            self._pixmap_item.setTransformationMode(mode)

    def _apply_fit(self) -> None:
        rect = self.image_rect()
        if rect.isEmpty():
            self.resetTransform()
            self._changed()
            return
        vp = self.viewport().rect()
        if vp.width() <= 0 or vp.height() <= 0:
            return
        scale = min(vp.width() / rect.width(), vp.height() / rect.height())
        if self._max_fit_zoom is not None:
            scale = min(scale, self._max_fit_zoom * max(self._source_size.width(), 1) / rect.width())
        self._set_scale(scale)
        self.centerOn(rect.center())
        self._changed()

    def _changed(self) -> None:
        self.view_changed.emit()
        zoom = self.zoom()
        if not math.isclose(zoom, self._last_zoom, rel_tol=1e-9):
            self._last_zoom = zoom
            self.zoom_changed.emit(zoom)

    @Slot()
    def _on_scrolled(self) -> None:
        self.view_changed.emit()

    # ----------------------------------------------------------------- events

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self._fit:
            self._apply_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        delta = event.angleDelta().y()
        if delta == 0 or self._pixmap_item is None:
            super().wheelEvent(event)  # horizontal wheel / tilt: let it pan
            return
        self.set_zoom(self.zoom() * ZOOM_STEP ** (delta / 120.0), anchor=event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom_out()
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """Double-click toggles between fit and 1:1 at the clicked point."""
        if self._pixmap_item is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        if self._fit or self.zoom() < 1.0:
            self.set_zoom(1.0, anchor=event.position())
        else:
            self.fit()
        event.accept()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:  # noqa: N802
        super().drawForeground(painter, rect)
        if self._pixmap_item is not None or not self._message:
            return
        # Drawn in viewport coordinates so the message is never scaled with the scene.
        painter.save()
        painter.resetTransform()
        text_colour = QColor(220, 220, 220) if self._background.lightness() < 128 else QColor(40, 40, 40)
        painter.setPen(text_colour)
        area = self.viewport().rect().adjusted(24, 24, -24, -24)
        painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self._message)
        painter.restore()

    def takes_drop(self, what: Dropped) -> bool:
        # Files only: a dropped folder goes on to the window (which adds it to the library).
        return self._accept_file_drops and bool(what.files)

    def take_drop(self, what: Dropped) -> None:
        self.file_dropped.emit(what.files[0])

"""Several :class:`~desktop_app.ui.common.image_view.ImageView` s that move as one.

:class:`ViewSynchroniser` links views by a resolution-independent
:class:`~desktop_app.ui.common.image_view.ViewState` (relative centre and displayed size of the
image), so a 4000 px original and its 1000 px copy show the same region at the same on-screen size
when either is zoomed or panned.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
from PySide6.QtCore import QPointF

from desktop_app.ui.common.image_view import ImageView


class ViewSynchroniser:
    """Keeps several :class:`ImageView` s looking at the same place.

    When one view zooms or pans, the others take its :class:`ViewState` (relative centre and the
    same on-screen image size).
    Views showing nothing are skipped; a view that gets an image later joins on the next move.

    When the geometry between the images is known (a crop, a resized or shifted copy), give each
    view a *frame* (:meth:`set_frame`): a 3x3 matrix taking its image pixels into one common frame.
    Views with frames then show the same *content* at the same on-screen size, wherever it sits
    in each image.
    """

    def __init__(self, views: Iterable[ImageView] = ()) -> None:
        self._views: list[ImageView] = []
        self._syncing = False
        self._frames: dict[int, np.ndarray] = {}
        for view in views:
            self.add(view)

    @property
    def views(self) -> tuple[ImageView, ...]:
        return tuple(self._views)

    def add(self, view: ImageView) -> None:
        if view in self._views:
            return
        self._views.append(view)
        view.view_changed.connect(lambda v=view: self._on_view_changed(v))
        view.destroyed.connect(lambda _=None, v=view: self._forget(v))

    def remove(self, view: ImageView) -> None:
        self._frames.pop(id(view), None)
        if view in self._views:
            self._views.remove(view)
            # The lambdas stay connected but _on_view_changed ignores unknown views.

    def set_frame(self, view: ImageView, to_common: np.ndarray | None) -> None:
        """Map ``view``'s image pixels into the common frame (3x3, no rotation or mirroring);
        ``None`` links the view by relative position and extent again."""
        if to_common is None:
            self._frames.pop(id(view), None)
            return
        m = np.asarray(to_common, dtype=np.float64)
        if m.shape != (3, 3) or not np.all(np.isfinite(m)) or abs(np.linalg.det(m[:2, :2])) < 1e-9:
            raise ValueError("a frame must be an invertible 3x3 matrix")
        self._frames[id(view)] = m / m[2, 2]

    def clear_frames(self) -> None:
        self._frames.clear()

    def sync_from(self, source: ImageView) -> None:
        """Make every other view follow ``source`` now (e.g. after images were replaced)."""
        self._on_view_changed(source)

    def _forget(self, view: ImageView) -> None:
        self._frames.pop(id(view), None)
        if view in self._views:
            self._views.remove(view)

    def _on_view_changed(self, source: ImageView) -> None:
        if self._syncing or source not in self._views:
            return
        state = source.view_state()
        if state is None:
            return
        source_frame = self._frames.get(id(source))
        self._syncing = True  # our own apply_view_state calls re-emit view_changed
        try:
            for view in self._views:
                if view is source or not view.has_image():
                    continue
                frame = self._frames.get(id(view))
                if state.fit or source_frame is None or frame is None:
                    view.apply_view_state(state)
                    continue
                centre = source.scene_centre()
                common = source_frame @ np.array([centre.x(), centre.y(), 1.0])
                local = np.linalg.solve(frame, common)
                # Screen px per common unit, times common units per pixel of this view.
                scale = source.transform().m11() * _gain(frame) / _gain(source_frame)
                view.look_at(QPointF(local[0] / local[2], local[1] / local[2]), scale)
        finally:
            self._syncing = False


def _gain(frame: np.ndarray) -> float:
    """Common-frame units per image pixel (the frame's linear scale)."""
    return math.sqrt(abs(float(np.linalg.det(frame[:2, :2]))))

"""ImageView zoom/pan and ViewSynchroniser, driven offscreen with pytest-qt."""

from __future__ import annotations

from typing import Iterator

import numpy as np

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QGraphicsLineItem, QHBoxLayout, QWidget

from desktop_app.ui.common.image_view import ZOOM_STEP, ImageView, qimage_from_rgb
from desktop_app.ui.common.view_sync import ViewSynchroniser

# The offscreen platform warns when a top-level widget with a layout is shown; harmless.
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def _image(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(QColor(120, 140, 160))
    return image


@pytest.fixture
def view(qtbot) -> ImageView:  # type: ignore[no-untyped-def]
    v = ImageView()
    qtbot.addWidget(v)
    v.resize(400, 300)
    v.show()
    qtbot.waitExposed(v)
    v.set_image(_image(800, 600))
    return v


def test_new_image_is_fitted(view: ImageView) -> None:
    assert view.is_fitted()
    assert view.zoom() == pytest.approx(0.5, rel=0.02)
    state = view.view_state()
    assert state is not None and state.centre == pytest.approx((0.5, 0.5), abs=0.01)


def test_zoom_in_out_fit_and_actual_size(view: ImageView, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(view.zoom_changed):
        view.zoom_in()
    assert view.zoom() == pytest.approx(0.5 * ZOOM_STEP, rel=0.02)
    assert not view.is_fitted()
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == pytest.approx(0.5 / ZOOM_STEP, rel=0.02)
    view.actual_size()
    assert view.zoom() == pytest.approx(1.0)
    view.fit()
    assert view.is_fitted() and view.zoom() == pytest.approx(0.5, rel=0.02)


def test_keys_zoom(view: ImageView, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert view.zoom() == pytest.approx(1.0)
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(ZOOM_STEP)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(1.0)
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert view.is_fitted()


def test_wheel_zooms_about_the_pointer(view: ImageView) -> None:
    view.actual_size()
    pointer = QPointF(50, 60)
    under_before = view.mapToScene(pointer.toPoint())
    event = QWheelEvent(
        pointer, view.viewport().mapToGlobal(pointer), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )
    view.wheelEvent(event)
    assert view.zoom() == pytest.approx(ZOOM_STEP, rel=0.01)
    under_after = view.mapToScene(pointer.toPoint())
    assert abs(under_after.x() - under_before.x()) <= 2
    assert abs(under_after.y() - under_before.y()) <= 2


def test_zoom_refers_to_source_pixels_for_previews(view: ImageView) -> None:
    view.set_image(_image(800, 600), source_size=QSize(1600, 1200))
    view.actual_size()
    # 1:1 on the original = the 800 px preview drawn at 2x.
    assert view.transform().m11() == pytest.approx(2.0)
    assert view.source_size() == QSize(1600, 1200)


def test_fit_follows_resize_until_user_zooms(view: ImageView, qtbot) -> None:  # type: ignore[no-untyped-def]
    view.resize(800, 600)
    qtbot.waitUntil(lambda: view.zoom() == pytest.approx(1.0, rel=0.02))
    view.zoom_in()
    zoom = view.zoom()
    view.resize(400, 300)
    qtbot.waitUntil(lambda: view.viewport().width() == 400)
    assert view.zoom() == pytest.approx(zoom)


def test_overlays_are_cleared_with_new_image(view: ImageView) -> None:
    view.add_overlay(QGraphicsLineItem(0, 0, 10, 10))
    assert len(view.overlays()) == 1
    view.set_image(_image(100, 100))
    assert view.overlays() == []
    assert [i for i in view.scene().items() if isinstance(i, QGraphicsLineItem)] == []


def test_empty_view_shows_message(qtbot) -> None:  # type: ignore[no-untyped-def]
    v = ImageView()
    qtbot.addWidget(v)
    v.set_message("Couldn't read 'x.jpg': not an image")
    assert not v.has_image() and v.view_state() is None
    v.zoom_in()  # no image: nothing to do, no error
    assert "x.jpg" in v.message()
    v.set_image(_image(10, 10))
    assert v.message() == ""


def test_file_drop_emits_path(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    v = ImageView(accept_file_drops=True)
    qtbot.addWidget(v)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "dropped photo.jpg"))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(v.file_dropped) as blocker:
        v.dropEvent(event)
    assert blocker.args == [str(tmp_path / "dropped photo.jpg")]


@pytest.fixture
def pair(qtbot) -> Iterator[tuple[ImageView, ImageView, ViewSynchroniser]]:  # type: ignore[no-untyped-def]
    host = QWidget()
    qtbot.addWidget(host)
    layout = QHBoxLayout(host)
    a, b = ImageView(), ImageView()
    layout.addWidget(a)
    layout.addWidget(b)
    host.resize(820, 320)
    host.show()
    qtbot.waitExposed(host)
    a.set_image(_image(2000, 1500))   # an original...
    b.set_image(_image(500, 375))     # ...and its quarter-size copy
    sync = ViewSynchroniser([a, b])
    yield a, b, sync
    host.close()


def test_synchronised_zoom_and_pan_across_resolutions(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, _sync = pair
    a.set_zoom(0.5)  # 1000 px on screen for a's long side
    a.centerOn(QPointF(1500, 375))  # right half, top quarter
    state_a, state_b = a.view_state(), b.view_state()
    assert state_a is not None and state_b is not None
    assert not state_b.fit
    assert state_b.extent == pytest.approx(state_a.extent, rel=0.01)
    assert state_b.centre == pytest.approx(state_a.centre, abs=0.01)
    assert b.zoom() == pytest.approx(2.0, rel=0.01)  # same region, same size on screen

    b.zoom_in()  # the follower leads too
    assert a.zoom() == pytest.approx(0.5 * ZOOM_STEP, rel=0.02)
    b.fit()
    assert a.is_fitted()


def test_a_removed_view_no_longer_follows(pair) -> None:  # type: ignore[no-untyped-def]
    a, b, sync = pair
    a.actual_size()
    b.actual_size()
    sync.remove(b)
    a.zoom_in()
    assert b.zoom() == pytest.approx(1.0, rel=0.01)
    assert sync.views == (a,)


def test_view_without_image_is_skipped(pair, qtbot) -> None:  # type: ignore[no-untyped-def]
    a, b, sync = pair
    b.set_image(None)
    a.zoom_in()  # must not fail on the empty view
    assert not b.has_image()
    b.set_image(_image(500, 375))
    sync.sync_from(a)
    assert b.view_state().extent == pytest.approx(a.view_state().extent, rel=0.01)


def test_frames_link_views_by_content(pair) -> None:  # type: ignore[no-untyped-def]
    """b shows a crop of a starting at (800, 600), at half the resolution: zooming into a point of
    a shows the same point of b, at the same on-screen size."""
    a, b, sync = pair
    sync.set_frame(a, np.eye(3))
    sync.set_frame(b, np.array([[2.0, 0, 800], [0, 2.0, 600], [0, 0, 1]]))  # b pixels -> a pixels
    a.set_zoom(1.0)
    a.centerOn(QPointF(1200, 900))
    centre = b.scene_centre()
    assert (centre.x(), centre.y()) == pytest.approx((200, 150), abs=2)
    assert b.transform().m11() == pytest.approx(2.0 * a.transform().m11(), rel=0.01)
    b.fit()   # fit is per view, content links resume on the next zoom
    assert a.is_fitted()
    sync.clear_frames()
    a.set_zoom(0.5)
    assert b.view_state().centre == pytest.approx(a.view_state().centre, abs=0.01)
    with pytest.raises(ValueError):
        sync.set_frame(b, np.zeros((3, 3)))


def test_qimage_from_rgb_copies_pixels() -> None:
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[1, 2] = (10, 200, 30)
    image = qimage_from_rgb(rgb)
    rgb[1, 2] = 0                        # the image must not share the array's memory
    assert (image.width(), image.height()) == (4, 3)
    assert image.pixelColor(2, 1) == QColor(10, 200, 30)
    with pytest.raises(ValueError):
        qimage_from_rgb(np.zeros((3, 4), np.uint8))


def test_detail_image_swaps_pixels_without_moving(view: ImageView) -> None:
    view.set_image(_image(400, 300), source_size=QSize(1600, 1200))
    view.set_zoom(1.0)                       # 1:1 of the file = the preview drawn at 4x
    assert view.is_magnifying_preview() and view.pixel_scale() == pytest.approx(4.0)
    before = view.view_state()
    assert view.set_detail_image(_image(1600, 1200))
    assert not view.is_magnifying_preview() and view.pixel_scale() == pytest.approx(1.0)
    after = view.view_state()
    assert after.centre == pytest.approx(before.centre) and after.zoom == pytest.approx(before.zoom)
    assert view.image_rect().width() == 400  # scene units unchanged: overlays stay put

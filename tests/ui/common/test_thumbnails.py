"""ThumbnailCache: loads off the GUI thread, caches, reports failures, drops stale loads."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from desktop_app.ui.common.thumbnails import ThumbnailCache


def _jpeg(width: int, height: int, color: str = "red") -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "JPEG")
    return bytes(data.data())


def test_loads_off_thread_scales_and_caches(qtbot) -> None:
    gui_thread = threading.get_ident()
    calls: list[tuple[int, int]] = []

    def fetch(key: int) -> bytes:
        calls.append((key, threading.get_ident()))
        return _jpeg(400, 200)

    cache = ThumbnailCache(fetch, size=100)
    assert cache.get(7) is None
    with qtbot.waitSignal(cache.ready) as blocker:
        pass
    assert blocker.args == [7]
    pixmap = cache.get(7)
    assert pixmap is not None and (pixmap.width(), pixmap.height()) == (100, 50)
    assert len(calls) == 1 and calls[0][1] != gui_thread
    cache.get(7)
    assert len(calls) == 1  # served from the cache
    cache.shutdown()


def test_failure_is_reported_once_and_not_retried(qtbot) -> None:
    calls = []

    def fetch(key: str) -> bytes:
        calls.append(key)
        return b"not an image"

    cache = ThumbnailCache(fetch)
    with qtbot.waitSignal(cache.failed) as blocker:
        assert cache.get("x") is None
    assert blocker.args[0] == "x"
    assert cache.error("x")
    assert cache.get("x") is None
    cache.wait_for_done()
    assert calls == ["x"]
    cache.shutdown()


def test_lru_evicts_oldest(qtbot) -> None:
    cache = ThumbnailCache(lambda key: _jpeg(10, 10), max_items=2, threads=1)
    for key in (1, 2, 3):
        with qtbot.waitSignal(cache.ready):
            cache.get(key)
    assert cache.peek(1) is None
    assert cache.peek(2) is not None and cache.peek(3) is not None
    cache.shutdown()


def test_set_fetch_ignores_stale_results(qtbot) -> None:
    gate = threading.Event()

    def slow(key: int) -> bytes:
        assert gate.wait(30)   # never carry on silently: a stuck gate fails the test
        return _jpeg(10, 10, "blue")

    cache = ThumbnailCache(slow, threads=1)
    cache.get(1)
    cache.set_fetch(lambda key: _jpeg(10, 10, "green"))
    gate.set()
    with qtbot.waitSignal(cache.ready):
        cache.get(1)
    cache.wait_for_done()
    pixmap = cache.peek(1)
    assert pixmap is not None
    assert pixmap.toImage().pixelColor(5, 5).green() > 100
    cache.shutdown()


@pytest.mark.parametrize("count", [300])
def test_many_requests_all_arrive(qtbot, count: int) -> None:
    cache = ThumbnailCache(lambda key: _jpeg(32, 32), max_items=count)
    for key in range(count):
        cache.get(key)
    qtbot.waitUntil(lambda: all(cache.peek(k) is not None for k in range(count)), timeout=20000)
    cache.shutdown()


def test_can_keep_images_instead_of_pixmaps(qtbot) -> None:
    cache = ThumbnailCache(lambda key: _jpeg(40, 20), as_pixmap=False)
    with qtbot.waitSignal(cache.ready):
        cache.get("big")
    assert isinstance(cache.peek("big"), QImage)
    cache.shutdown()

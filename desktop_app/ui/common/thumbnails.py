"""Thumbnails for item views: decoded off the GUI thread, cached as pixmaps (LRU).

Usage from a model/delegate (the whole API)::

    cache = ThumbnailCache(context.thumbnail, size=192)      # fetch(key) -> JPEG bytes
    cache.ready.connect(model.on_thumbnail_ready)            # key: the thumbnail is now cached
    pixmap = cache.get(image_id)   # QPixmap, or None: a load was queued, ``ready`` follows

``fetch`` runs in a private :class:`QThreadPool` (never on the GUI thread), so it must be
thread-safe; it returns encoded image bytes (``SearchContext.thumbnail`` returns JPEG bytes) or a
:class:`QImage`. Workers hand a :class:`QImage` to the GUI thread, which alone makes the
:class:`QPixmap` (pixmaps are GUI-thread objects). Requests made last are served first, so the
rows the user is looking at appear before those scrolled past. :meth:`set_fetch` (a new context)
drops the cache and ignores loads still in flight.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from typing import Callable, Hashable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

log = logging.getLogger(__name__)

Fetch = Callable[[Hashable], "bytes | QImage"]


class _Relay(QObject):
    """Carries results from pool threads to the cache (queued into the GUI thread)."""

    loaded = Signal(int, object, QImage)   # generation, key, image
    failed = Signal(int, object, str)      # generation, key, reason


class _LoadTask(QRunnable):
    def __init__(self, relay: _Relay, generation: int, key: Hashable, fetch: Fetch, size: int) -> None:
        super().__init__()
        self._relay = relay
        self._generation = generation
        self._key = key
        self._fetch = fetch
        self._size = size

    def run(self) -> None:  # pool thread: no QPixmap here
        try:
            data = self._fetch(self._key)
            image = data if isinstance(data, QImage) else QImage.fromData(bytes(data))
            if image.isNull():
                raise ValueError("not a decodable image")
            if max(image.width(), image.height()) > self._size:
                image = image.scaled(
                    self._size, self._size, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            self._relay.loaded.emit(self._generation, self._key, image)
        except Exception as err:  # a missing/corrupt thumbnail must never take the app down
            log.debug("thumbnail %r failed: %s", self._key, err)
            self._relay.failed.emit(self._generation, self._key, str(err) or type(err).__name__)


class ThumbnailCache(QObject):
    """Lazily loaded, LRU-cached thumbnails keyed by any hashable (e.g. an image id or a path).

    Parameters
    ----------
    fetch:
        ``fetch(key) -> bytes | QImage``, called in a pool thread. ``None`` = nothing to load yet.
    size:
        Long side in pixels thumbnails are scaled down to (off-thread).
    max_items:
        How many pixmaps the LRU keeps.
    threads:
        Size of the private thread pool.
    as_pixmap:
        Cache ``QPixmap`` (for painting in delegates; the default) or keep the ``QImage``
        (for views that take images, e.g. large previews: no pixmap round trip).
    """

    ready = Signal(object)           # key: get(key) now returns the pixmap
    failed = Signal(object, str)     # key, reason: get(key) returns None and does not retry

    def __init__(
        self,
        fetch: Fetch | None = None,
        *,
        size: int = 256,
        max_items: int = 2000,
        threads: int = 2,
        as_pixmap: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._as_pixmap = as_pixmap
        self._fetch = fetch
        self._size = size
        self._max_items = max_items
        self._cache: OrderedDict[Hashable, QPixmap] = OrderedDict()
        self._pending: set[Hashable] = set()
        self._failed: dict[Hashable, str] = {}
        self._generation = 0
        self._priority = itertools.count()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, threads))
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._on_relay_loaded)
        self._relay.failed.connect(self._on_relay_failed)

    # --- API ---------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    def set_fetch(self, fetch: Fetch | None) -> None:
        """Use another source (e.g. another context): clears the cache, ignores loads in flight."""
        self._fetch = fetch
        self.clear()

    def clear(self) -> None:
        """Forget every pixmap and failure; loads in flight are ignored when they finish."""
        self._generation += 1
        self._pool.clear()  # queued, not yet started
        self._cache.clear()
        self._pending.clear()
        self._failed.clear()

    def get(self, key: Hashable) -> QPixmap | None:
        """The cached pixmap for ``key``; otherwise queue a load (once) and return None."""
        pixmap = self._cache.get(key)
        if pixmap is not None:
            self._cache.move_to_end(key)
            return pixmap
        if key not in self._pending and key not in self._failed and self._fetch is not None:
            self._pending.add(key)
            task = _LoadTask(self._relay, self._generation, key, self._fetch, self._size)
            # Latest requests first: what is on screen now beats what was scrolled past.
            self._pool.start(task, min(next(self._priority), 2**31 - 1))
        return None

    def peek(self, key: Hashable) -> QPixmap | None:
        """The cached pixmap, without queuing a load."""
        return self._cache.get(key)

    def error(self, key: Hashable) -> str | None:
        """Why ``key`` could not be loaded, if it failed."""
        return self._failed.get(key)

    def forget(self, key: Hashable) -> None:
        """Drop one entry (e.g. the file changed) so the next ``get`` reloads it."""
        self._cache.pop(key, None)
        self._failed.pop(key, None)

    def wait_for_done(self, msecs: int = 5000) -> bool:
        """Block until the pool is idle (tests, shutdown). True if it finished in time."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Stop queued loads and wait for running ones (call before the source closes)."""
        self._generation += 1
        self._pool.clear()
        self._pool.waitForDone(3000)

    # --- results (GUI thread) --------------------------------------------------------------------
    @Slot(int, object, QImage)
    def _on_relay_loaded(self, generation: int, key: Hashable, image: QImage) -> None:
        if generation != self._generation:
            return
        self._pending.discard(key)
        self._cache[key] = QPixmap.fromImage(image) if self._as_pixmap else image  # type: ignore[assignment]
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_items:
            self._cache.popitem(last=False)
        self.ready.emit(key)

    @Slot(int, object, str)
    def _on_relay_failed(self, generation: int, key: Hashable, reason: str) -> None:
        if generation != self._generation:
            return
        self._pending.discard(key)
        self._failed[key] = reason
        self.failed.emit(key, reason)

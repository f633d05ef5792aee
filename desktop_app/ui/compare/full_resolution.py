"""Full-resolution renditions for the Compare page: past a preview's own resolution, the file's
full pixels are decoded once (in a worker) and kept while the photo stays on screen."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from desktop_app.ui.common.workers import TaskWorker, stop_workers
from desktop_app.ui.compare.data import load_detail


class FullResolution(QObject):
    """``request(path, long_side)``; ``loaded(path, image)`` or ``failed(message)`` follow."""

    loaded = Signal(str, QImage)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._images: dict[str, QImage] = {}
        self._loading: set[str] = set()
        self._workers: list[TaskWorker] = []

    def get(self, path: str) -> QImage | None:
        return self._images.get(path)

    def keep_only(self, paths: list[str]) -> None:
        """Forget the renditions of photos no longer on screen (each holds a full-size image)."""
        self._images = {p: d for p, d in self._images.items() if p in paths}

    def request(self, path: str, long_side: int) -> bool:
        """Load ``path`` (once). False when it is loaded or loading already."""
        if path in self._images or path in self._loading:
            return False
        self._loading.add(path)
        worker = TaskWorker(lambda _p, _c: load_detail(path, long_side), parent=self)
        worker.finished.connect(self._on_loaded)
        worker.failed.connect(self._on_failed)
        self._workers.append(worker)
        worker.start()
        return True

    def shutdown(self) -> None:
        stop_workers(self._workers)
        self._workers.clear()

    @Slot(object)
    def _on_loaded(self, value: tuple[str, QImage]) -> None:
        path, image = value
        self._loading.discard(path)
        self._images[path] = image
        self.loaded.emit(path, image)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._loading.clear()
        self.failed.emit(message)

"""Files the user hands the app. Drops from the file manager: what a drag carries (local folders
and files), read one way for every drop target of the app, and :class:`DropTarget`, the drag/drop
handlers they share; and :data:`IMAGE_FILTER`, the file dialogs' filter."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

#: File-dialog filter; the engine decides what it can read, this only helps the user pick.
IMAGE_FILTER = (
    "Images (*.jpg *.jpeg *.jpe *.png *.tif *.tiff *.webp *.bmp *.gif *.heic *.heif *.avif "
    "*.dng *.cr2 *.cr3 *.nef *.arw *.raf *.orf *.rw2 *.pef *.srw);;All files (*)"
)


@dataclass(frozen=True)
class Dropped:
    """Local paths of a drag, in the order given: ``folders`` (directories) and ``files``."""

    folders: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.folders or self.files)


def dropped(mime: Any) -> Dropped:
    """The local folders and files among a drag's URLs (remote URLs and vanished paths dropped)."""
    if mime is None or not mime.hasUrls():
        return Dropped()
    folders, files = [], []
    for url in mime.urls():
        path = url.toLocalFile() if url.isLocalFile() else ""
        if path and os.path.isdir(path):
            folders.append(path)
        elif path:
            files.append(path)   # possibly gone or unreadable: the target says so, by name
    return Dropped(tuple(folders), tuple(files))


class DropTarget:
    """Mixin (listed before the Qt widget class) for a widget that takes drops from the file
    manager: :meth:`takes_drop` says what it takes, :meth:`take_drop` does it. A drag it does not
    take is ignored, so Qt offers it to the parents (the main window takes folders and photos
    anywhere). The widget must ``setAcceptDrops(True)``."""

    def takes_drop(self, what: Dropped) -> bool:
        return bool(what)

    def take_drop(self, what: Dropped) -> None:
        raise NotImplementedError

    def _accept_if_taken(self, event: QDragMoveEvent) -> None:
        # QDragEnterEvent is a QDragMoveEvent: one test for both.
        if self.takes_drop(dropped(event.mimeData())):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        self._accept_if_taken(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self._accept_if_taken(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        what = dropped(event.mimeData())
        if self.takes_drop(what):
            event.acceptProposedAction()
            self.take_drop(what)
        else:
            event.ignore()

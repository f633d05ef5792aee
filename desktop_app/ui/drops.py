"""What a drag from the file manager carries: local folders and local files (no Qt widgets here,
one reading of the URLs for every drop target of the app)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


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

"""Where file dialogs start: the folder the user last chose in any of them, else their
Pictures folder (never the program's working directory)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_app.ui.common.drops import IMAGE_FILTER

LAST_FOLDER_KEY = "lastFolder"


def pictures_folder() -> str:
    """The user's Pictures folder (``~/Pictures`` and its localised equivalents), or home."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    if pictures and os.path.isdir(pictures):
        return pictures
    return os.path.expanduser("~")


def start_folder(settings: QSettings | None = None) -> str:
    """The folder a file dialog opens in: the last one used (if it still exists), else Pictures."""
    last = str((settings or QSettings()).value(LAST_FOLDER_KEY, "") or "")
    return last if last and os.path.isdir(last) else pictures_folder()


def remember_folder(path: str, settings: QSettings | None = None) -> None:
    """Remember where the user just went: ``path``'s folder (or ``path``, if it is a folder)."""
    if not path:
        return
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    if folder:
        (settings or QSettings()).setValue(LAST_FOLDER_KEY, folder)


def ask_image(parent: QWidget, title: str, *, near: str = "") -> str:
    """Ask for one photo, starting in ``near``'s folder, else the last folder used or Pictures;
    the chosen folder is remembered. "" when cancelled."""
    start = os.path.dirname(near) if near else start_folder()
    path, _ = QFileDialog.getOpenFileName(parent, title, start, IMAGE_FILTER)
    remember_folder(path)
    return path


def ask_images(parent: QWidget, title: str, *, near: str = "") -> list[str]:
    """Like :func:`ask_image`, for several photos."""
    start = os.path.dirname(near) if near else start_folder()
    paths, _ = QFileDialog.getOpenFileNames(parent, title, start, IMAGE_FILTER)
    remember_folder(paths[0] if paths else "")
    return list(paths)

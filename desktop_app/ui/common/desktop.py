"""Hand files to the desktop: open in the system viewer, show in the file manager.

These only ask the desktop (``QDesktopServices``) to open a URL; Lookalike itself never opens,
moves or deletes the file here. Failures are reported through the returned message.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)


def open_file(path: str) -> str | None:
    """Open ``path`` in the user's default viewer. Returns an error message, or None."""
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
        return f"Couldn't open '{os.path.basename(path)}': no application is set up to show it"
    return None


def _show_selected(path: str) -> bool:
    """Show ``path`` selected in the file manager where the desktop supports it (freedesktop
    FileManager1 over D-Bus). False when it cannot, so the caller opens the folder instead."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface

        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            return False
        iface = QDBusInterface(
            "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
            "org.freedesktop.FileManager1", bus,
        )
        if not iface.isValid():
            return False
        return not iface.call("ShowItems", [QUrl.fromLocalFile(path).toString()], "").errorName()
    except Exception:  # no D-Bus on this platform: fall back to the folder
        log.debug("FileManager1 unavailable", exc_info=True)
        return False


def reveal(path: str) -> str | None:
    """Show ``path`` in the file manager: selected where the desktop supports it, else its folder
    opened. Returns an error message, or None."""
    if _show_selected(path):
        return None
    folder = os.path.dirname(path) or "."
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
        return f"Couldn't show '{os.path.basename(path)}': no file manager is available"
    return None

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


def reveal(path: str) -> str | None:
    """Open the folder containing ``path`` in the file manager. Returns an error message, or None."""
    folder = os.path.dirname(path) or "."
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
        return f"Couldn't show '{os.path.basename(path)}': no file manager is available"
    return None

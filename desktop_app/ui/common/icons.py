"""The app icon as a QIcon, from :mod:`desktop_app.resources` (empty icon if not shipped)."""

from __future__ import annotations

import logging
from functools import lru_cache

from PySide6.QtGui import QIcon, QPixmap

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    """Every PNG size the resources ship, so each platform picks a crisp one."""
    icon = QIcon()
    try:
        from desktop_app import resources

        for size in resources.icon_sizes():
            pixmap = QPixmap()
            if pixmap.loadFromData(resources.icon_png(size), "PNG"):
                icon.addPixmap(pixmap)
    except (ImportError, AttributeError, OSError, ValueError) as err:  # resources not installed
        log.warning("app icon unavailable: %s", err)
    return icon

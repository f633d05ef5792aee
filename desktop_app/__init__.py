"""Lookalike: find, review and safely archive duplicate and similar photos.

Layers (imports point one way only): ``ui -> workflow -> context -> engine``.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("lookalike")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

APP_NAME = "Lookalike"

"""Human-readable formatting shared by every layer (no Qt, no I/O): import it from anywhere."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_UNITS = ("KB", "MB", "GB", "TB")


def format_bytes(size: int | float) -> str:
    """A file or library size for people: ``1234567`` -> ``"1.2 MB"``.

    Decimal units (1 KB = 1000 bytes), as the file managers of macOS, GNOME and KDE show
    them, so the number matches what the user sees next to the file. Under 100 of a unit one
    decimal is kept ("4.7 GB"), above it none ("512 MB"); plain bytes are counted ("1 byte",
    "999 bytes").
    """
    value = float(size)
    if abs(value) < 1000:
        count = int(value)
        return "1 byte" if count == 1 else f"{count} bytes"
    for unit in _UNITS:
        value /= 1000
        if abs(value) < 999.95 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}" if abs(value) < 100 else f"{value:.0f} {unit}"
    return f"{value:.0f} TB"  # pragma: no cover - the loop returns at TB

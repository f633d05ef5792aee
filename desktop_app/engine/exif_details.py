"""The EXIF facts the review table shows beside the indexed ones: lens and GPS position.

Read on demand for the few photos on screen (the index does not keep them): Pillow opens the
file lazily, so only the header is read, never the pixels. Anything unreadable is simply
unknown (``None``): a missing lens must never make a photo unreviewable.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)

_TAG_EXIF_IFD = 0x8769
_TAG_GPS_IFD = 0x8825
_TAG_LENS_MAKE = 0xA433
_TAG_LENS_MODEL = 0xA434
# GPS IFD tags
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class ExifDetails:
    """Lens name and GPS position (decimal degrees, north and east positive), when known."""

    lens: str | None = None
    gps: tuple[float, float] | None = None

    def gps_text(self) -> str | None:
        """``"48.8584° N, 2.2945° E"``, or None."""
        if self.gps is None:
            return None
        lat, lon = self.gps
        return f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {abs(lon):.4f}° {'E' if lon >= 0 else 'W'}"


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip() if value is not None else ""
    return text or None


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    sign = -1.0 if _text(ref) in ("S", "W") else 1.0
    return sign * (d + m / 60.0 + s / 3600.0)


def read_exif_details(path: str | os.PathLike[str]) -> ExifDetails:
    """Lens and GPS position of the photo at ``path`` (``ExifDetails()`` when unknown or the
    file has no readable EXIF)."""
    try:
        with Image.open(path) as img:
            exif = img.getexif()
            sub = exif.get_ifd(_TAG_EXIF_IFD)
            gps_ifd = exif.get_ifd(_TAG_GPS_IFD)
    except Exception:  # not an image Pillow reads (RAW), broken EXIF: unknown, not an error
        log.debug("no EXIF details for %s", path, exc_info=True)
        return ExifDetails()
    lens = _text(sub.get(_TAG_LENS_MODEL))
    make = _text(sub.get(_TAG_LENS_MAKE))
    if lens and make and not lens.lower().startswith(make.lower()):
        lens = f"{make} {lens}"
    gps = None
    lat = _degrees(gps_ifd.get(_GPS_LAT), gps_ifd.get(_GPS_LAT_REF))
    lon = _degrees(gps_ifd.get(_GPS_LON), gps_ifd.get(_GPS_LON_REF))
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
        gps = (lat, lon)
    return ExifDetails(lens=lens, gps=gps)

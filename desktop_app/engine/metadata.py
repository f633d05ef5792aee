"""What a photo file carries besides its pixels: GPS position, bit depth, and its XMP (rating,
keywords, title, description, raw-developer edits) — embedded or in a sidecar.

Read with Pillow (pillow-heif registered by :mod:`desktop_app.engine.decode`) and a small XMP
reader over :mod:`xml.etree`; headers only, no pixels decoded, no network. A file or packet that
can't be read gives empty facts, never an exception: this feeds a safety check, and "nothing
known" only means nothing is claimed.
"""

from __future__ import annotations

import logging
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from desktop_app.engine import decode as _decode  # noqa: F401 - registers the HEIF opener

log = logging.getLogger(__name__)

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
}
#: Namespaces whose presence means a raw developer stored edits (Lightroom/ACR, darktable).
_EDIT_NAMESPACES = ("http://ns.adobe.com/camera-raw-settings/1.0/", "http://darktable.sf.net/")
_PACKET = re.compile(rb"<x:xmpmeta.*?</x:xmpmeta>|<rdf:RDF.*?</rdf:RDF>", re.S)
_HEAD_BYTES = 1 << 20          # XMP lives in the first APP1/box of a file; 1 MiB is plenty
_TAG_GPS_IFD = 0x8825
_TAG_BITS_PER_SAMPLE = 258


@dataclass(frozen=True)
class XmpFacts:
    rating: int = 0                                  # xmp:Rating (0: none)
    keywords: frozenset[str] = frozenset()           # dc:subject
    title: str = ""                                  # dc:title
    description: str = ""                            # dc:description
    edits: bool = False                              # raw-developer settings (crs:, darktable:)

    def merged(self, other: "XmpFacts") -> "XmpFacts":
        return XmpFacts(
            max(self.rating, other.rating), self.keywords | other.keywords,
            self.title or other.title, self.description or other.description, self.edits or other.edits,
        )


@dataclass(frozen=True)
class PhotoMetadata:
    gps: tuple[float, float] | None = None           # (latitude, longitude) in degrees
    bit_depth: int = 0                               # bits per sample (0: unknown)
    xmp: XmpFacts = field(default_factory=XmpFacts)


def read_xmp(data: bytes) -> XmpFacts:
    """The facts in an XMP packet (or the bytes of a file holding one); empty if none/broken."""
    match = _PACKET.search(data)
    if match is None:
        return XmpFacts()
    try:
        root = ET.fromstring(match.group(0))
    except ET.ParseError:
        log.debug("unreadable XMP packet ignored")
        return XmpFacts()
    rating = 0
    keywords: set[str] = set()
    title = description = ""
    edits = False
    for node in root.iter():
        for key, value in node.attrib.items():
            if key == f"{{{_NS['xmp']}}}Rating":
                rating = max(rating, _int(value))
            elif key == f"{{{_NS['dc']}}}title" and value.strip():
                title = title or value.strip()
            elif key == f"{{{_NS['dc']}}}description" and value.strip():
                description = description or value.strip()
            if key.startswith(tuple("{" + ns for ns in _EDIT_NAMESPACES)):
                edits = True
        tag = str(node.tag)  # comments and processing instructions never match a namespace
        if tag.startswith(tuple("{" + ns for ns in _EDIT_NAMESPACES)):
            edits = True
        if tag == f"{{{_NS['xmp']}}}Rating":
            rating = max(rating, _int(node.text or ""))
        elif tag == f"{{{_NS['dc']}}}subject":
            keywords |= {t for t in _items(node) if t}
        elif tag == f"{{{_NS['dc']}}}title":
            title = title or next((t for t in _items(node) if t), "")
        elif tag == f"{{{_NS['dc']}}}description":
            description = description or next((t for t in _items(node) if t), "")
    return XmpFacts(rating, frozenset(keywords), title, description, edits)


def read_xmp_file(path: str | os.PathLike[str]) -> XmpFacts:
    """The facts of an ``.xmp`` sidecar (empty if unreadable)."""
    try:
        with open(path, "rb") as f:
            return read_xmp(f.read(_HEAD_BYTES * 4))
    except OSError as err:
        log.info("couldn't read sidecar %s: %s", path, err)
        return XmpFacts()


def read_metadata(path: str | os.PathLike[str]) -> PhotoMetadata:
    """GPS, bit depth and embedded XMP of an image file (empty facts if unreadable)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD_BYTES)
    except OSError as err:
        log.info("couldn't read %s: %s", path, err)
        return PhotoMetadata()
    gps: tuple[float, float] | None = None
    bits = 0
    info_xmp = b""
    try:
        with Image.open(path) as img:
            gps = _gps(img)
            bits = _bit_depth(img, head)
            raw = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp") or b""
            info_xmp = raw.encode("utf-8", "replace") if isinstance(raw, str) else bytes(raw)
    except Exception:  # noqa: BLE001 - any unreadable header: nothing claimed
        log.debug("no image header read from %s", path, exc_info=True)
    return PhotoMetadata(gps, bits, read_xmp(info_xmp) if info_xmp else read_xmp(head))


def _gps(img: Image.Image) -> tuple[float, float] | None:
    try:
        ifd = img.getexif().get_ifd(_TAG_GPS_IFD)
    except Exception:  # noqa: BLE001 - broken EXIF: no position claimed
        return None
    lat, lon = _degrees(ifd.get(2)), _degrees(ifd.get(4))
    if lat is None or lon is None:
        return None
    if str(ifd.get(1, "N")).upper().startswith("S"):
        lat = -lat
    if str(ifd.get(3, "E")).upper().startswith("W"):
        lon = -lon
    return (lat, lon)


def _degrees(value: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return d + m / 60 + s / 3600


def _bit_depth(img: Image.Image, head: bytes) -> int:
    if img.format == "PNG" and head[12:16] == b"IHDR" and len(head) > 24:
        return head[24]
    tags = getattr(img, "tag_v2", None)
    if tags is not None and _TAG_BITS_PER_SAMPLE in tags:
        value = tags[_TAG_BITS_PER_SAMPLE]
        return int(max(value) if isinstance(value, tuple) else value)
    if img.mode.startswith("I;16"):
        return 16
    if img.mode in ("I", "F"):
        return 32
    return 1 if img.mode == "1" else 8


def _int(text: str) -> int:
    try:
        return int(float(text.strip()))
    except ValueError:
        return 0


def _items(node: ET.Element) -> list[str]:
    """Texts of ``rdf:li`` below ``node`` (Bag/Seq/Alt), or its own text."""
    items = [(li.text or "").strip() for li in node.iter(f"{{{_NS['rdf']}}}li")]
    return items or [(node.text or "").strip()]

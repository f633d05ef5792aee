"""Real photo and companion files for the companion tests: JPEGs (optionally with an EXIF GPS
position), XMP sidecars (rating, keywords, raw-developer edits), an iPhone .AAE and a QuickTime
.MOV header."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def jpeg(seed: int, *, gps: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG, distinct per ``seed``; with ``gps``, an EXIF GPS position."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 12"
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.6), 3: "E", 4: (2.0, 17.0, 40.2)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


def png16(seed: int) -> bytes:
    """A 16-bit grayscale PNG (a lossless master with more bit depth than a JPEG)."""
    arr = np.random.default_rng(seed).integers(0, 65535, (48, 64), dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def xmp(*, rating: int = 0, keywords: tuple[str, ...] = (), edits: bool = False, tag: str = "") -> bytes:
    """An XMP sidecar as Lightroom/darktable write it."""
    subject = "".join(f"<rdf:li>{k}</rdf:li>" for k in keywords)
    crs = ' crs:Exposure2012="+0.35" crs:Version="15.0"' if edits else ""
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/" xmp:Rating="{rating}"{crs}>'
        f"<dc:subject><rdf:Bag>{subject}</rdf:Bag></dc:subject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>\n"
        f'<?xpacket end="w"?><!-- {tag} -->'
    ).encode()


def aae(tag: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
        "<key>adjustmentFormatIdentifier</key><string>com.apple.photo</string>"
        f"<key>adjustmentData</key><data>{tag}</data></dict></plist>\n"
    ).encode()


def mov(tag: str = "") -> bytes:
    return b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + tag.encode() + b"\x00" * 4096

"""Decode any supported photo to a small RGB working image, fast and safely.

One decode per file: the caller gets an RGB ``uint8`` array whose long side is at most
:data:`WORKING_LONG_SIDE` (smaller only when the file itself is smaller), the true dimensions
after EXIF orientation, and the metadata a photographer cares about.

Speed: JPEGs are decoded with Pillow's *draft* mode (libjpeg DCT scaling 1/2, 1/4, 1/8), so a
12 MP photo is never decoded at full resolution; other formats are decoded once and reduced
with ``Image.reduce`` (box filter, cheap) before the final resize.

Safety: every failure becomes :class:`~desktop_app.errors.DecodeError` with a short reason a
user can read ("file is truncated", "not an image", ...). Dimensions are checked from the header
before any pixel is decoded (decompression-bomb guard).
"""

from __future__ import annotations

import io
import logging
import os
import re
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from desktop_app.engine.file_read import TransientDecodeError, read_image_file
from desktop_app.errors import DecodeError

log = logging.getLogger(__name__)



WORKING_LONG_SIDE = 512
"""Long side of the working image that features are computed on (pixels)."""

DRAFT_MIN_LONG_SIDE = 448
"""JPEG draft decoding may stop at this long side (then upscaled by <= 14 % to the working size):
it lets a 4000 px photo use the fastest 1/8 DCT scale."""

MAX_MEGAPIXELS_DRAFT = 400
"""Largest JPEG accepted (decoded at 1/8 scale, so a 400 MP panorama needs ~19 MB)."""

MAX_MEGAPIXELS_FULL = 150
"""Largest image accepted in formats that must be decoded at full resolution."""

BACKGROUND = (255, 255, 255)
"""Fixed background transparent images are composited on (what most viewers show)."""

RAW_EXTENSIONS = frozenset(
    ".3fr .ari .arw .bay .cr2 .cr3 .crw .dcr .dcs .dng .erf .fff .iiq .k25 .kdc .mef .mos "
    ".mrw .nef .nrw .orf .pef .raf .raw .rw2 .rwl .srf .sr2 .srw .x3f".split()
)

_LOSSLESS_FORMATS = frozenset({"PNG", "BMP", "GIF", "TIFF", "PPM", "TGA", "ICO", "QOI", "PCX", "DIB"})

# Pillow refuses images above 2 * MAX_IMAGE_PIXELS before we can give a clear reason; our own,
# format-aware limit below is the real guard, so let Pillow open headers up to it.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_MEGAPIXELS_DRAFT * 1_000_000:
    Image.MAX_IMAGE_PIXELS = MAX_MEGAPIXELS_DRAFT * 1_000_000

try:  # HEIC/HEIF support is optional at runtime (pillow-heif wheel may be missing).
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the platform
    HEIF_SUPPORTED = False

# EXIF tags (https://exiftool.org/TagNames/EXIF.html)
_TAG_ORIENTATION = 0x0112
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_DATETIME = 0x0132
_TAG_EXIF_IFD = 0x8769
_TAG_GPS_IFD = 0x8825
_TAG_DATETIME_ORIGINAL = 0x9003

# Orientation -> PIL transpose applied to the stored pixels (same table as ImageOps.exif_transpose).
_ORIENTATION_OPS: dict[int, Image.Transpose | None] = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class DecodedImage:
    """Result of one decode. ``rgb`` is the working image, EXIF orientation applied."""

    rgb: np.ndarray            # (h, w, 3) uint8, long side <= WORKING_LONG_SIDE
    width: int                 # true width after orientation
    height: int                # true height after orientation
    format: str
    lossless: bool
    orientation: int = 1
    date_taken: str | None = None
    camera: str | None = None
    metadata_count: int = 0


def decode_bytes(data: bytes, path: str, *, max_side: int = WORKING_LONG_SIDE) -> DecodedImage:
    """Decode ``data`` (the bytes of the file at ``path``) to a working image.

    ``path`` is used for messages and to recognise camera RAW files by extension.
    Raises :class:`DecodeError` with a user-readable reason on any failure.
    """
    if not data:
        raise DecodeError(path, "file is empty")
    ext = os.path.splitext(path)[1].lower()
    try:
        if ext in RAW_EXTENSIONS:
            return _decode_raw(data, path, max_side=max_side)
        return _decode_pillow(data, path, max_side=max_side)
    except DecodeError:
        raise
    except MemoryError:
        raise TransientDecodeError(path, "not enough memory to decode the image") from None
    except UnidentifiedImageError:
        reason = "file is corrupt (unreadable image header)" if _has_image_magic(data) else "not an image"
        raise DecodeError(path, reason) from None
    except Exception as exc:  # any library failure becomes a reported skip, never a crash
        raise DecodeError(path, _reason_for(exc)) from exc


def decode_file(path: str | os.PathLike[str], *, max_side: int = WORKING_LONG_SIDE) -> DecodedImage:
    """Read and decode the file at ``path`` (see :func:`decode_bytes`)."""
    spath = os.fspath(path)
    return decode_bytes(read_file_bytes(spath), spath, max_side=max_side)


def read_file_bytes(path: str) -> bytes:
    """Read a whole file, turning OS errors into :class:`DecodeError`."""
    return read_file(path)[0]


def read_file(path: str) -> tuple[bytes, os.stat_result]:
    """Read a whole file and its status from the same open file (size and mtime match the bytes).

    Only a regular file of a sane size for its format is read (see
    :mod:`desktop_app.engine.file_read`); anything else is a :class:`DecodeError` with a
    user-readable reason.
    """
    return read_image_file(path)


_MAGICS = (b"\xff\xd8", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")


def _has_image_magic(data: bytes) -> bool:
    """True when the file starts like an image we know (so it is a corrupt image, not another file)."""
    return data.startswith(_MAGICS) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or data[4:8] == b"ftyp"


def _reason_for(exc: BaseException) -> str:
    """A short user-readable reason for a decoder exception."""
    msg = str(exc).lower()
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        found = re.search(r"\((\d+) pixels\)", str(exc))
        if found:
            return f"image too large ({int(found.group(1)) / 1e6:,.0f} megapixels)"
        return "image too large (decompression bomb guard)"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image"
    if "truncated" in msg or "premature end" in msg or "unexpected end" in msg:
        return "file is truncated"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, (SyntaxError, ValueError, OSError, EOFError, IndexError, KeyError, TypeError)):
        detail = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else type(exc).__name__
        return f"file is corrupt ({detail})"
    return f"cannot decode ({type(exc).__name__})"


def _check_size(path: str, width: int, height: int, *, draftable: bool) -> None:
    if width <= 0 or height <= 0:
        raise DecodeError(path, "image has no pixels")
    mp = width * height / 1e6
    limit = MAX_MEGAPIXELS_DRAFT if draftable else MAX_MEGAPIXELS_FULL
    if mp > limit:
        raise DecodeError(path, f"image too large ({mp:,.0f} megapixels)")


def _decode_pillow(data: bytes, path: str, *, max_side: int) -> DecodedImage:
    with warnings.catch_warnings():
        # Our own limit is checked below with a clear message; Pillow's warning is noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img: Image.Image = Image.open(io.BytesIO(data))
    fmt = (img.format or "UNKNOWN").upper()
    width, height = img.size
    _check_size(path, width, height, draftable=fmt == "JPEG")
    exif = _safe_exif(img)
    orientation = _orientation(exif)
    lossless = _is_lossless(img, fmt, data)
    meta = _metadata(img, exif)

    if fmt == "JPEG":
        # DCT scaling: libjpeg decodes straight to >= the requested size (1/2, 1/4, 1/8).
        # Working images may be upscaled a little from DRAFT_MIN_LONG_SIDE; larger requests
        # (display previews) must get at least max_side pixels, never an upscaled draft.
        floor = DRAFT_MIN_LONG_SIDE if max_side <= WORKING_LONG_SIDE else max_side
        scale = floor / max(width, height)
        if scale < 1.0:
            req = (max(1, int(width * scale)), max(1, int(height * scale)))
            mode = "RGB" if img.mode not in ("L", "CMYK") else img.mode
            img.draft(mode, req)
    # First frame / first page only (GIF, TIFF, WebP animation, ...): Image.open already
    # points at frame 0.
    img.load()
    img = _reduce(img, max_side)
    rgb_img = _to_rgb(img)
    op = _ORIENTATION_OPS.get(orientation)
    if op is not None:
        rgb_img = rgb_img.transpose(op)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    rgb_img = _fit(rgb_img, max_side)
    arr = np.asarray(rgb_img, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise DecodeError(path, "unsupported pixel layout")
    return DecodedImage(
        rgb=np.ascontiguousarray(arr), width=width, height=height, format=_format_name(fmt),
        lossless=lossless, orientation=orientation, **meta,
    )


def _format_name(fmt: str) -> str:
    return "HEIF" if fmt == "HEIC" else fmt


def _reduce(img: Image.Image, max_side: int) -> Image.Image:
    """Cheap integer box reduction so the final resize works on a small image."""
    long_side = max(img.size)
    factor = long_side // (max_side * 2)
    if factor >= 2 and img.mode in ("RGB", "RGBA", "L", "LA", "CMYK", "I", "F", "I;16", "RGBX"):
        try:
            return img.reduce(factor)
        except (ValueError, NotImplementedError):
            return img
    return img


def _fit(img: Image.Image, max_side: int) -> Image.Image:
    w, h = img.size
    long_side = max(w, h)
    if long_side <= max_side:
        return img
    s = max_side / long_side
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return img.resize(size, Image.Resampling.BOX if long_side >= 2 * max_side else Image.Resampling.BILINEAR,
                      reducing_gap=None)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Normalise any Pillow mode to 8-bit RGB (alpha composited on :data:`BACKGROUND`)."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        arr = np.asarray(img)
        arr8 = _to_uint8(arr, mode)
        return Image.fromarray(arr8, "L").convert("RGB")
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
        if mode == "RGB":
            return img
    if mode == "PA":
        img = img.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
        bg.alpha_composite(rgba)
        return bg.convert("RGB")
    return img.convert("RGB")   # L, 1, CMYK (incl. Adobe inverted), YCbCr, LAB, HSV, RGBX ...


def _to_uint8(arr: np.ndarray, mode: str) -> np.ndarray:
    """Scale a 16/32-bit or float grayscale array to 8 bits."""
    a = arr.astype(np.float64)
    if mode == "F":
        hi = 1.0 if float(np.nanmax(a, initial=0.0)) <= 1.0 else 255.0
        a = a / hi * 255.0
    elif mode.startswith("I;16"):
        a = a / 257.0
    else:  # 32-bit int: 16-bit data stored in "I" (e.g. 16-bit PNG) or true 8-bit values
        top = float(a.max(initial=0))
        if top > 255:
            a = a / (257.0 if top <= 65535 else top / 255.0)
    return np.clip(np.nan_to_num(a) + 0.5, 0, 255).astype(np.uint8)


def _safe_exif(img: Image.Image) -> Any:
    try:
        return img.getexif()
    except Exception:  # broken EXIF must not make the photo unreadable
        log.debug("unreadable EXIF ignored", exc_info=True)
        return {}


def _orientation(exif: Any) -> int:
    try:
        value = int(exif.get(_TAG_ORIENTATION, 1))
    except (TypeError, ValueError):
        return 1
    return value if value in _ORIENTATION_OPS else 1


def _is_lossless(img: Image.Image, fmt: str, data: bytes) -> bool:
    if fmt == "WEBP":
        # Simple lossless WebP: "VP8L" chunk right after the header; extended: a VP8L chunk.
        return b"VP8L" in data[:4096] and b"VP8 " not in data[:4096]
    if fmt == "TIFF":
        comp = str(img.info.get("compression", "raw")).lower()
        return "jpeg" not in comp
    return fmt in _LOSSLESS_FORMATS


def _exif_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text or None


def _iso_date(value: Any) -> str | None:
    text = _exif_text(value)
    if not text or len(text) < 19:
        return None
    # EXIF: "YYYY:MM:DD HH:MM:SS"
    date, _, time = text[:19].partition(" ")
    parts = date.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or parts[0] == "0000":
        return None
    return f"{parts[0]}-{parts[1]}-{parts[2]}T{time}"


def _metadata(img: Image.Image, exif: Any) -> dict[str, Any]:
    date = camera = None
    count = 0
    try:
        count += len(exif)
        sub = exif.get_ifd(_TAG_EXIF_IFD) if hasattr(exif, "get_ifd") else {}
        count += len(sub)
        if hasattr(exif, "get_ifd"):
            count += len(exif.get_ifd(_TAG_GPS_IFD))
        date = _iso_date(sub.get(_TAG_DATETIME_ORIGINAL)) or _iso_date(exif.get(_TAG_DATETIME))
        make = _exif_text(exif.get(_TAG_MAKE))
        model = _exif_text(exif.get(_TAG_MODEL))
        if make and model and model.lower().startswith(make.lower().split()[0]):
            camera = model
        else:
            camera = " ".join(p for p in (make, model) if p) or None
    except Exception:
        log.debug("unreadable EXIF fields ignored", exc_info=True)
    info = img.info or {}
    count += sum(1 for key in ("icc_profile", "xmp", "XML:com.adobe.xmp", "iptc") if info.get(key))
    return {"date_taken": date, "camera": camera, "metadata_count": count}


# ---------------------------------------------------------------------------------------------
# Camera RAW: the embedded JPEG preview is what the photographer saw in camera; decoding the
# sensor data is the fallback (half size: demosaic-free and 4x faster).

_RAW_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}


def _decode_raw(data: bytes, path: str, *, max_side: int) -> DecodedImage:
    try:
        import rawpy
    except ImportError:  # pragma: no cover - rawpy is a declared dependency
        raise DecodeError(path, "camera RAW support is not installed") from None
    try:
        raw = rawpy.imread(io.BytesIO(data))
    except Exception as exc:
        raise DecodeError(path, f"not a readable camera RAW file ({type(exc).__name__})") from None
    with raw:
        sizes = raw.sizes
        flip = int(getattr(sizes, "flip", 0) or 0)
        orientation = _RAW_FLIP_TO_ORIENTATION.get(flip, 1)
        width, height = int(sizes.width), int(sizes.height)
        if orientation in (6, 8):
            width, height = height, width
        _check_size(path, width, height, draftable=True)
        preview: DecodedImage | None = None
        try:
            thumb = raw.extract_thumb()
            if thumb.format == rawpy.ThumbFormat.JPEG:
                preview = _decode_pillow(bytes(thumb.data), path, max_side=max_side)
            elif thumb.format == rawpy.ThumbFormat.BITMAP:
                img = _fit(Image.fromarray(np.asarray(thumb.data, dtype=np.uint8)).convert("RGB"), max_side)
                preview = DecodedImage(rgb=np.asarray(img), width=img.width, height=img.height,
                                       format="RAW", lossless=True)
        except Exception:
            log.debug("no usable embedded preview in %s", path, exc_info=True)
        if preview is not None:
            rgb = preview.rgb
            # The preview is usually stored unrotated; if so, apply the sensor flip ourselves.
            sensor_op = _ORIENTATION_OPS[orientation] if preview.orientation == 1 else None
            if sensor_op is not None:
                rgb = np.asarray(Image.fromarray(rgb).transpose(sensor_op))
            ph, pw = rgb.shape[:2]
            if (pw > ph) != (width > height) and abs(pw - ph) > 2:
                width, height = height, width
            return DecodedImage(rgb=np.ascontiguousarray(rgb), width=width, height=height, format="RAW",
                                lossless=True, orientation=orientation, date_taken=preview.date_taken,
                                camera=preview.camera, metadata_count=preview.metadata_count)
        try:
            arr = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        except Exception as exc:
            raise DecodeError(path, f"camera RAW data is corrupt ({type(exc).__name__})") from None
    img = _fit(Image.fromarray(arr), max_side)
    return DecodedImage(rgb=np.ascontiguousarray(np.asarray(img)), width=width, height=height,
                        format="RAW", lossless=True, orientation=orientation)


ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is a reported skip, not a grey half

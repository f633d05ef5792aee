"""A photographer's library in miniature: a camera JPEG (with EXIF) and what a library collects
from it — exports, conversions, edits, thumbnails, crops — each with the relation Lookalike
should give it. Used by the relation/original tests and by tests/benchmarks/bench_originals.py.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

CAMERA_MAKE, CAMERA_MODEL = "Canon", "Canon EOS 5D Mark IV"
DAY = 24 * 3600 * 10**9


def exif_bytes(*, taken: str = "2021:06:05 10:00:00", orientation: int = 1,
               camera: bool = True) -> bytes:
    exif = Image.Exif()
    if camera:
        exif[0x010F] = CAMERA_MAKE
        exif[0x0110] = CAMERA_MODEL
        exif.get_ifd(0x8769)[0x9003] = taken
    exif[0x0112] = orientation
    return exif.tobytes()


def encode(img: Image.Image, fmt: str = "JPEG", *, quality: int = 92, exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    kwargs: dict[str, object] = {}
    if fmt == "JPEG":
        kwargs["quality"] = quality
    if exif is not None:
        kwargs["exif"] = exif
    img.convert("RGB").save(buf, fmt, **kwargs)
    return buf.getvalue()


def with_exif(jpeg: bytes, exif: bytes) -> bytes:
    """The same JPEG (same compressed pixels) with an EXIF APP1 segment after SOI, as an editor's
    export that copies the camera's metadata."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    payload = exif if exif.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + exif
    return jpeg[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def _crop(img: Image.Image, area: float) -> Image.Image:
    s = area ** 0.5
    w, h = img.size
    cw, ch = int(w * s), int(h * s)
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return img.crop((x0, y0, x0 + cw, y0 + ch))


def _letterbox(img: Image.Image) -> Image.Image:
    w, h = img.size
    bar = h // 8
    canvas = Image.new("RGB", (w, h + 2 * bar), (0, 0, 0))
    canvas.paste(img, (0, bar))
    return canvas


def _gamma(img: Image.Image, g: float) -> Image.Image:
    lut = [min(255, round(255 * (v / 255) ** g)) for v in range(256)]
    return img.point(lut * 3)


@dataclass(frozen=True)
class Derivative:
    name: str
    relation: str          # the RelationKind value Lookalike should say
    make: Callable[[Image.Image], tuple[bytes, str]]   # camera pixels -> (file bytes, suffix)
    proposed: bool = False  # archived by the default proposal


def _jpg(img: Image.Image, **kw: object) -> tuple[bytes, str]:
    return encode(img, **kw), ".jpg"  # type: ignore[arg-type]


DERIVATIVES: list[Derivative] = [
    Derivative("backup copy", "exact-copy", lambda im: (b"", ".jpg"), True),  # bytes of the camera file
    Derivative("png conversion", "same-pixels", lambda im: (encode(im, "PNG"), ".png"), True),
    Derivative("tiff conversion", "same-pixels", lambda im: (encode(im, "TIFF"), ".tif"), True),
    Derivative("recompressed", "recompressed", lambda im: _jpg(im, quality=70), True),
    Derivative("thumbnail 25", "resized", lambda im: _jpg(
        im.resize((im.width // 4, im.height // 4), Image.Resampling.LANCZOS), quality=85), True),
    Derivative("half size", "resized", lambda im: _jpg(
        im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)), True),
    Derivative("letterboxed export", "border", lambda im: _jpg(_letterbox(im))),
    Derivative("bordered copy", "border", lambda im: _jpg(
        ImageOps.expand(im, max(8, im.width // 20), fill=(255, 255, 255)))),
    Derivative("crop 70", "cropped", lambda im: _jpg(_crop(im, 0.7))),
    Derivative("rotated 90", "rotated", lambda im: _jpg(im.transpose(Image.Transpose.ROTATE_270))),
    Derivative("rotated 180", "rotated", lambda im: _jpg(im.transpose(Image.Transpose.ROTATE_180))),
    Derivative("mirrored", "mirrored", lambda im: _jpg(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT))),
    Derivative("straightened", "straightened", lambda im: _jpg(
        _crop(im.rotate(4, Image.Resampling.BICUBIC), 0.75))),
    Derivative("black and white", "black-and-white", lambda im: _jpg(ImageOps.grayscale(im))),
    Derivative("sharpened", "edited", lambda im: _jpg(im.filter(ImageFilter.UnsharpMask(2, 150, 2)))),
    Derivative("gamma", "edited", lambda im: _jpg(_gamma(im, 0.75))),
    Derivative("saturation", "edited", lambda im: _jpg(ImageEnhance.Color(im).enhance(1.5))),
]

BY_NAME = {d.name: d for d in DERIVATIVES}


def _letterbox_by(img: Image.Image, share: float, colour: tuple[int, int, int]) -> Image.Image:
    w, h = img.size
    bar = max(2, round(h * share / 2))
    canvas = Image.new("RGB", (w, h + 2 * bar), colour)
    canvas.paste(img, (0, bar))
    return canvas


def random_derivatives(rng: np.random.Generator) -> list[Derivative]:
    """The same kinds as :data:`DERIVATIVES` with other parameters, drawn from ``rng``: crops of
    55-85 %, bars and borders of other sizes and colours, other resize factors, qualities,
    angles and edit strengths (parameters the relation thresholds were not tuned on)."""
    q = int(rng.integers(55, 86))
    f = float(rng.uniform(0.2, 0.6))
    crop = float(rng.uniform(0.55, 0.85))
    bar = float(rng.uniform(0.08, 0.3))
    r, g, b = (int(v) for v in rng.choice([(0, 0, 0), (255, 255, 255), (40, 40, 40)]))
    bar_colour = (r, g, b)
    pad = float(rng.uniform(0.02, 0.08))
    pad_colour = tuple(int(v) for v in rng.choice([(255, 255, 255), (0, 0, 0), (200, 190, 170)]))
    angle = float(rng.uniform(2.0, 7.0)) * float(rng.choice([-1, 1]))
    gamma = float(rng.choice([rng.uniform(0.65, 0.85), rng.uniform(1.2, 1.45)]))
    sat = float(rng.choice([rng.uniform(1.3, 1.8), rng.uniform(0.4, 0.7)]))
    amount = int(rng.integers(80, 200))
    turn = rng.choice([Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270])
    flip = rng.choice([Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.FLIP_TOP_BOTTOM])
    return [
        Derivative("backup copy", "exact-copy", lambda im: (b"", ".jpg"), True),
        Derivative("png conversion", "same-pixels", lambda im: (encode(im, "PNG"), ".png"), True),
        Derivative("tiff conversion", "same-pixels", lambda im: (encode(im, "TIFF"), ".tif"), True),
        Derivative("recompressed", "recompressed", lambda im: _jpg(im, quality=q), True),
        Derivative("resized", "resized", lambda im: _jpg(im.resize(
            (max(8, round(im.width * f)), max(8, round(im.height * f))), Image.Resampling.LANCZOS),
            quality=85), True),
        Derivative("letterboxed export", "border", lambda im: _jpg(_letterbox_by(im, bar, bar_colour))),
        Derivative("bordered copy", "border", lambda im: _jpg(ImageOps.expand(
            im, max(6, round(im.width * pad)), fill=pad_colour))),
        Derivative("crop", "cropped", lambda im: _jpg(_crop(im, crop))),
        Derivative("rotated", "rotated", lambda im: _jpg(im.transpose(turn))),
        Derivative("mirrored", "mirrored", lambda im: _jpg(im.transpose(flip))),
        Derivative("straightened", "straightened", lambda im: _jpg(
            _crop(im.rotate(angle, Image.Resampling.BICUBIC), 0.7))),
        Derivative("black and white", "black-and-white", lambda im: _jpg(ImageOps.grayscale(im))),
        Derivative("sharpened", "edited", lambda im: _jpg(im.filter(ImageFilter.UnsharpMask(2, amount, 2)))),
        Derivative("gamma", "edited", lambda im: _jpg(_gamma(im, gamma))),
        Derivative("saturation", "edited", lambda im: _jpg(ImageEnhance.Color(im).enhance(sat))),
    ]


def camera_file(path: Path, rgb: np.ndarray, *, taken: str = "2021:06:05 10:00:00",
                mtime_ns: int = 1_600_000_000 * 10**9, orientation: int = 1) -> bytes:
    """Write a camera JPEG (make, model, DateTimeOriginal); returns its decoded pixels' source
    bytes. With ``orientation`` 6 the pixels are stored rotated and the tag turns them back."""
    img = Image.fromarray(rgb)
    if orientation == 6:          # stored 90° counter-clockwise; the viewer turns it clockwise
        img = img.transpose(Image.Transpose.ROTATE_90)
    data = encode(img, exif=exif_bytes(taken=taken, orientation=orientation))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return data


def write_derivative(path_stem: Path, camera_bytes: bytes, d: Derivative, *,
                     mtime_ns: int, keep_exif: str | None = None) -> Path:
    """Write derivative ``d`` of the camera file next to ``path_stem`` (suffix added). With
    ``keep_exif`` (the camera's date taken), a JPEG derivative carries the camera's EXIF."""
    shown = ImageOps.exif_transpose(Image.open(io.BytesIO(camera_bytes))).convert("RGB")
    data, suffix = d.make(shown)
    if not data:
        data = camera_bytes
    elif keep_exif and suffix == ".jpg":
        data = with_exif(data, exif_bytes(taken=keep_exif))
    path = path_stem.with_name(path_stem.name + suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path

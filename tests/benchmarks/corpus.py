"""Benchmark corpus: real sample photos shipped with scikit-image, their attacked copies,
same-scene pairs (stereo, burst-like) and hard distractors. Written to a directory, never
committed.

Every file gets a ground-truth label:

* ``photo``  - files that are copies of one photograph share it;
* ``scene``  - a stereo partner / burst frame shares the scene (not the photo) of its original;
* ``attack`` - what was done to the original ("original" for the original itself);
* ``kind``   - "minor" (should score >= 90), "bigger" (>= 70), "scene" (70-89), "original",
  "distractor".
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

SKIMAGE_DATA = Path(__import__("skimage").__file__).parent / "data"


@dataclass(frozen=True)
class Item:
    path: str
    photo: str
    scene: str
    attack: str
    kind: str


def _load(name: str) -> Image.Image:
    img = Image.open(SKIMAGE_DATA / name)
    img.load()
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        bg.alpha_composite(img)
        img = bg
    return img.convert("RGB")


# Photos that get the full list of attacks.
ORIGINALS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "camera.png",
             "retina.jpg", "coins.png", "moon.png", "hubble_deep_field.jpg", "page.png", "grass.png"]

# Unrelated images only used as distractors (hard cases for keypoints included).
DISTRACTORS = ["brick.png", "gravel.png", "text.png", "cell.png", "ihc.png", "clock_motion.png", "color.png",
               "microaneurysms.png", "horse.png", "logo.png", "chessboard_GRAY.png"]


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(img: Image.Image, area: float, centre: bool) -> Image.Image:
    w, h = img.size
    s = area ** 0.5
    cw, ch = int(round(w * s)), int(round(h * s))
    x0, y0 = ((w - cw) // 2, (h - ch) // 2) if centre else (w - cw, h - ch)
    return img.crop((x0, y0, x0 + cw, y0 + ch))


def _watermark(img: Image.Image) -> Image.Image:
    out = img.copy().convert("RGBA")
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    size = max(12, out.width // 22)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default(size=size)
    except TypeError:  # very old Pillow
        font = ImageFont.load_default()
    d.text((out.width * 0.45, out.height * 0.88), "© Jane Doe Photography", font=font, fill=(255, 255, 255, 170))
    return Image.alpha_composite(out, layer).convert("RGB")


def _rotate(img: Image.Image, deg: float) -> Image.Image:
    """Rotated on its own canvas (black corners), as a straightening tool without crop does."""
    return img.rotate(deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0))


def _border(img: Image.Image) -> Image.Image:
    """A white frame, the framed picture fitted back into the original pixel size."""
    framed = ImageOps.expand(img, border=max(img.size) // 12, fill=(255, 255, 255))
    return framed.resize(img.size, Image.Resampling.LANCZOS)


def _gamma(img: Image.Image, g: float) -> Image.Image:
    lut = [int(round(255 * (v / 255) ** g)) for v in range(256)] * 3
    return img.point(lut)


# name -> (kind, transform, save format, save kwargs)
Attack = tuple[str, Callable[[Image.Image], Image.Image], str, dict]
ATTACKS: dict[str, Attack] = {
    "jpeg q75": ("minor", lambda i: i, "JPEG", {"quality": 75}),
    "jpeg q50": ("minor", lambda i: i, "JPEG", {"quality": 50}),
    "jpeg q30": ("minor", lambda i: i, "JPEG", {"quality": 30}),
    "jpeg q15": ("minor", lambda i: i, "JPEG", {"quality": 15}),
    "resize 50%": ("minor", lambda i: i.resize((i.width // 2, i.height // 2), Image.Resampling.LANCZOS), "JPEG", {"quality": 90}),
    "resize 25%": ("minor", lambda i: i.resize((i.width // 4, i.height // 4), Image.Resampling.LANCZOS), "JPEG", {"quality": 90}),
    "png": ("minor", lambda i: _jpeg(i, 92), "PNG", {}),
    "webp": ("minor", lambda i: i, "WEBP", {"quality": 80}),
    "tiff": ("minor", lambda i: _jpeg(i, 92), "TIFF", {}),
    "brightness": ("minor", lambda i: ImageEnhance.Brightness(i).enhance(1.15), "JPEG", {"quality": 90}),
    "contrast": ("minor", lambda i: ImageEnhance.Contrast(i).enhance(1.25), "JPEG", {"quality": 90}),
    "gamma": ("minor", lambda i: _gamma(i, 0.8), "JPEG", {"quality": 90}),
    "saturation": ("minor", lambda i: ImageEnhance.Color(i).enhance(1.35), "JPEG", {"quality": 90}),
    "watermark": ("minor", _watermark, "JPEG", {"quality": 90}),
    "crop 90%": ("bigger", lambda i: _crop(i, 0.90, True), "JPEG", {"quality": 90}),
    "crop 90% off": ("bigger", lambda i: _crop(i, 0.90, False), "JPEG", {"quality": 90}),
    "crop 75%": ("bigger", lambda i: _crop(i, 0.75, True), "JPEG", {"quality": 90}),
    "crop 75% off": ("bigger", lambda i: _crop(i, 0.75, False), "JPEG", {"quality": 90}),
    "crop 50%": ("bigger", lambda i: _crop(i, 0.50, True), "JPEG", {"quality": 90}),
    "crop 50% off": ("bigger", lambda i: _crop(i, 0.50, False), "JPEG", {"quality": 90}),
    "rotate 90": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_90), "JPEG", {"quality": 90}),
    "rotate 180": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_180), "JPEG", {"quality": 90}),
    "rotate 270": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_270), "JPEG", {"quality": 90}),
    "rotate 3": ("bigger", lambda i: _rotate(i, 3), "JPEG", {"quality": 90}),
    "rotate -5": ("bigger", lambda i: _rotate(i, -5), "JPEG", {"quality": 90}),
    "mirror": ("bigger", lambda i: i.transpose(Image.Transpose.FLIP_LEFT_RIGHT), "JPEG", {"quality": 90}),
    "strong contrast": ("bigger", lambda i: ImageEnhance.Contrast(i).enhance(1.8), "JPEG", {"quality": 90}),
    "strong gamma": ("bigger", lambda i: _gamma(i, 0.5), "JPEG", {"quality": 90}),
    "grayscale": ("bigger", lambda i: i.convert("L"), "JPEG", {"quality": 90}),
    "blur": ("bigger", lambda i: i.filter(ImageFilter.GaussianBlur(max(1.5, max(i.size) / 250))), "JPEG", {"quality": 90}),
    "sharpen": ("bigger", lambda i: i.filter(ImageFilter.UnsharpMask(3, 250, 2)), "JPEG", {"quality": 90}),
    "squeeze": ("bigger", lambda i: i.resize((int(i.width * 0.75), i.height), Image.Resampling.LANCZOS), "JPEG", {"quality": 90}),
    "border": ("bigger", _border, "JPEG", {"quality": 90}),
    "exif rotate": ("bigger", lambda i: i, "JPEG", {"quality": 90, "orientation": 6}),
    "exif twin": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_270), "JPEG", {"quality": 90}),
}

MINOR_ATTACKS = [k for k, v in ATTACKS.items() if v[0] == "minor"]
BIGGER_ATTACKS = [k for k, v in ATTACKS.items() if v[0] == "bigger"]


def _save(img: Image.Image, path: Path, fmt: str, kwargs: dict) -> None:
    kw = dict(kwargs)
    orientation = kw.pop("orientation", None)
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw["exif"] = exif
    img.save(path, fmt, **kw)


def _slug(s: str) -> str:
    return s.replace(" ", "_").replace("%", "pc").replace("-", "m")


def _burst(img: Image.Image, seed: int) -> Image.Image:
    """Another frame of the same scene: the camera moved (shift + slight perspective)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(img)
    h, w = a.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.035, 0.035, (4, 2)) * [w, h] + np.array([0.05 * w, 0.02 * h])
    m = cv2.getPerspectiveTransform(src, (src + jitter).astype(np.float32))
    out = cv2.warpPerspective(a, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return ImageEnhance.Brightness(Image.fromarray(out)).enhance(float(rng.uniform(0.95, 1.05)))


def _sky(seed: int, size: tuple[int, int] = (900, 600)) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top = rng.uniform(90, 200, 3)
    bottom = rng.uniform(150, 250, 3)
    t = (yy / h)[..., None]
    img = top * (1 - t) + bottom * t + (xx / w)[..., None] * rng.uniform(-20, 20, 3)
    img += cv2.GaussianBlur(rng.normal(0, 6, (h, w, 3)).astype(np.float32), (0, 0), 25) * 4
    img += rng.normal(0, 1.5, (h, w, 3))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def _stars(seed: int, size: tuple[int, int] = (1000, 800)) -> Image.Image:
    """A synthetic star field: hundreds of point sources on a dark, slightly noisy sky."""
    rng = np.random.default_rng(100 + seed)
    w, h = size
    sky = rng.normal(12, 3, (h, w)).astype(np.float32)
    n = int(rng.integers(400, 900))
    xs, ys = rng.uniform(0, w, n), rng.uniform(0, h, n)
    flux = rng.pareto(1.5, n) * 40 + 20
    stars = np.zeros((h, w), np.float32)
    np.add.at(stars, (ys.astype(int), xs.astype(int)), flux)
    sky += cv2.GaussianBlur(stars, (0, 0), 1.2) * 6
    tint = rng.uniform(0.85, 1.0, 3)
    rgb = np.clip(sky[..., None] * tint, 0, 255).astype(np.uint8)
    return Image.fromarray(rgb)


def build(out: Path, *, large: int = 4) -> list[Item]:
    """Write the corpus under ``out`` and return its items (deterministic)."""
    out.mkdir(parents=True, exist_ok=True)
    items: list[Item] = []

    def add(img: Image.Image, name: str, photo: str, scene: str, attack: str, kind: str,
            fmt: str = "JPEG", kwargs: dict | None = None) -> None:
        ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}[fmt]
        path = out / f"{name}.{ext}"
        if not path.exists():
            _save(img, path, fmt, kwargs if kwargs is not None else {"quality": 95} if fmt == "JPEG" else {})
        items.append(Item(str(path), photo, scene, attack, kind))

    for fname in ORIGINALS:
        base = Path(fname).stem
        img = _load(fname)
        add(img, f"{base}__original", base, base, "original", "original", "PNG")
        for attack, (kind, fn, fmt, kw) in ATTACKS.items():
            add(fn(img), f"{base}__{_slug(attack)}", base, base, attack, kind, fmt, kw)
    # same scene, other viewpoint
    add(_load("motorcycle_right.png"), "motorcycle_right__stereo", "motorcycle_right", "motorcycle_left",
        "stereo pair", "scene", "PNG")
    for i, fname in enumerate(["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]):
        base = Path(fname).stem
        add(_burst(_load(fname), i), f"{base}__burst", f"{base}_burst", base, "burst frame", "scene", "JPEG")
    # distractors: other sample images, star-field tiles, flat skies
    for fname in DISTRACTORS:
        base = Path(fname).stem
        add(_load(fname), f"x_{base}", f"x_{base}", f"x_{base}", "distractor", "distractor", "PNG")
    for i in range(6):
        add(_sky(i), f"x_sky{i}", f"x_sky{i}", f"x_sky{i}", "distractor", "distractor", "JPEG")
    for i in range(3):
        add(_stars(i), f"x_stars{i}", f"x_stars{i}", f"x_stars{i}", "distractor", "distractor", "JPEG")
    # >= 12 MP JPEGs (throughput): upscaled originals, same photo as their original
    for fname in ORIGINALS[:large]:
        base = Path(fname).stem
        img = _load(fname)
        s = (12.5e6 / (img.width * img.height)) ** 0.5
        add(img.resize((int(img.width * s), int(img.height * s)), Image.Resampling.BICUBIC),
            f"{base}__12mp", base, base, "upscale 12MP", "minor", "JPEG", {"quality": 92})
    return items


def dump(items: list[Item], path: Path) -> None:
    import json

    path.write_text(json.dumps([it.__dict__ for it in items], indent=1))


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.path.join("/tmp", "lookalike_corpus"))
    its = build(target)
    print(f"{len(its)} files in {target}")

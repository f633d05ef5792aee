"""What the benchmark does to a photo: the copies a library collects, and the other shots.

Every attack has a kind: "minor" (the same photo, should score >= 90), "bigger" (the same photo
with a bigger change, >= 70) or "scene" (another shot of the same scene: 70-89, never >= 90).
"""

from __future__ import annotations

import io
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def crop(img: Image.Image, area: float, where: str = "centre") -> Image.Image:
    """Keep ``area`` of the frame: centred, in a corner ("corner") or touching one edge ("edge")."""
    w, h = img.size
    s = area ** 0.5
    cw, ch = int(round(w * s)), int(round(h * s))
    if where == "centre":
        x0, y0 = (w - cw) // 2, (h - ch) // 2
    elif where == "corner":
        x0, y0 = w - cw, h - ch
    else:                                   # touches the left edge, centred vertically
        x0, y0 = 0, (h - ch) // 2
    return img.crop((x0, y0, x0 + cw, y0 + ch))


def watermark(img: Image.Image) -> Image.Image:
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


def retouch(img: Image.Image) -> Image.Image:
    """A small local retouch: a spot (about 0.3 % of the frame) healed from its surroundings."""
    a = np.asarray(img.convert("RGB")).copy()
    h, w = a.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    r = max(3, int(0.03 * min(w, h)))
    cv2.circle(mask, (int(w * 0.62), int(h * 0.38)), r, 255, -1)
    return Image.fromarray(cv2.inpaint(a, mask, 5, cv2.INPAINT_TELEA))


def rotate(img: Image.Image, deg: float) -> Image.Image:
    """Rotated on its own canvas (black corners), as a straightening tool without crop does."""
    return img.rotate(deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(0, 0, 0))


def border(img: Image.Image, share: float = 1 / 12, fill: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """A uniform frame of ``share`` of the long side, fitted back into the original pixel size."""
    framed = ImageOps.expand(img, border=max(1, int(max(img.size) * share)), fill=fill)
    return framed.resize(img.size, Image.Resampling.LANCZOS)


def letterbox(img: Image.Image, aspect: float) -> Image.Image:
    """Padded with black bars to ``aspect`` (width / height), as a 1:1 or 16:9 export does
    (to 4:3 when the photo already has that aspect: the bars must be there)."""
    w, h = img.size
    if abs(w / h - aspect) < 0.05:
        aspect = 4 / 3 if aspect < 1.2 else 1.0
    if w / h < aspect:
        nw, nh = int(round(h * aspect)), h
    else:
        nw, nh = w, int(round(w / aspect))
    canvas = Image.new("RGB", (nw, nh), (0, 0, 0))
    canvas.paste(img, ((nw - w) // 2, (nh - h) // 2))
    return canvas


def instagram(img: Image.Image) -> Image.Image:
    """Square centre crop (at most 90 % of the short side), colour boost, 1080 px: the usual
    social-media export."""
    w, h = img.size
    s = int(min(w, h) * (0.9 if abs(w - h) < 0.1 * max(w, h) else 1.0))
    sq = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    sq = ImageEnhance.Color(ImageEnhance.Contrast(sq).enhance(1.1)).enhance(1.3)
    return sq.resize((1080, 1080), Image.Resampling.LANCZOS)


def gamma(img: Image.Image, g: float) -> Image.Image:
    lut = [int(round(255 * (v / 255) ** g)) for v in range(256)] * 3
    return img.point(lut)


def mirror(img: Image.Image) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def subject_moved(img: Image.Image, seed: int) -> Image.Image:
    """Another frame of a burst: the camera still, a subject (a sixth of the frame) moved."""
    rng = np.random.default_rng(seed)
    a = np.asarray(img.convert("RGB")).astype(np.float32)
    h, w = a.shape[:2]
    bw, bh = int(w * 0.4), int(h * 0.4)
    x0 = int(rng.uniform(0.1, 0.5) * w)
    y0 = int(rng.uniform(0.1, 0.5) * h)
    dx = int(w * rng.choice([-1, 1]) * rng.uniform(0.08, 0.12))
    dy = int(h * rng.uniform(-0.04, 0.04))
    src = a[y0:y0 + bh, x0:x0 + bw]
    ellipse = np.zeros((h, w), np.float32)
    tx, ty = min(max(0, x0 + dx), w - bw), min(max(0, y0 + dy), h - bh)
    cv2.ellipse(ellipse, (tx + bw // 2, ty + bh // 2), (bw // 2 - 2, bh // 2 - 2), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(ellipse, (0, 0), max(1.0, 0.01 * w))[..., None]
    moved = a.copy()
    moved[ty:ty + bh, tx:tx + bw] = src
    out = a * (1 - mask) + moved * mask
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def viewpoint(img: Image.Image, seed: int) -> Image.Image:
    """Another frame of the same scene: the camera moved (shift + slight perspective)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(img)
    h, w = a.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = rng.uniform(-0.035, 0.035, (4, 2)) * [w, h] + np.array([0.05 * w, 0.02 * h])
    m = cv2.getPerspectiveTransform(src, (src + jitter).astype(np.float32))
    out = cv2.warpPerspective(a, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return ImageEnhance.Brightness(Image.fromarray(out)).enhance(float(rng.uniform(0.95, 1.05)))


# name -> (kind, transform, save format, save kwargs)
Attack = tuple[str, Callable[[Image.Image], Image.Image], str, dict]
ATTACKS: dict[str, Attack] = {
    "jpeg q75": ("minor", lambda i: i, "JPEG", {"quality": 75}),
    "jpeg q50": ("minor", lambda i: i, "JPEG", {"quality": 50}),
    "jpeg q30": ("minor", lambda i: i, "JPEG", {"quality": 30}),
    "jpeg q15": ("minor", lambda i: i, "JPEG", {"quality": 15}),
    "resize 50%": ("minor", lambda i: i.resize((i.width // 2, i.height // 2), Image.Resampling.LANCZOS), "JPEG", {"quality": 90}),
    "resize 25%": ("minor", lambda i: i.resize((i.width // 4, i.height // 4), Image.Resampling.LANCZOS), "JPEG", {"quality": 90}),
    "png": ("minor", lambda i: jpeg(i, 92), "PNG", {}),
    "webp": ("minor", lambda i: i, "WEBP", {"quality": 80}),
    "tiff": ("minor", lambda i: jpeg(i, 92), "TIFF", {}),
    "brightness": ("minor", lambda i: ImageEnhance.Brightness(i).enhance(1.15), "JPEG", {"quality": 90}),
    "contrast": ("minor", lambda i: ImageEnhance.Contrast(i).enhance(1.25), "JPEG", {"quality": 90}),
    "gamma": ("minor", lambda i: gamma(i, 0.8), "JPEG", {"quality": 90}),
    "saturation": ("minor", lambda i: ImageEnhance.Color(i).enhance(1.35), "JPEG", {"quality": 90}),
    "watermark": ("minor", watermark, "JPEG", {"quality": 90}),
    "retouch": ("minor", retouch, "JPEG", {"quality": 90}),
    "crop 90%": ("bigger", lambda i: crop(i, 0.90), "JPEG", {"quality": 90}),
    "crop 90% off": ("bigger", lambda i: crop(i, 0.90, "corner"), "JPEG", {"quality": 90}),
    "crop 75%": ("bigger", lambda i: crop(i, 0.75), "JPEG", {"quality": 90}),
    "crop 75% off": ("bigger", lambda i: crop(i, 0.75, "corner"), "JPEG", {"quality": 90}),
    "crop 50%": ("bigger", lambda i: crop(i, 0.50), "JPEG", {"quality": 90}),
    "crop 50% off": ("bigger", lambda i: crop(i, 0.50, "corner"), "JPEG", {"quality": 90}),
    "crop 50% edge": ("bigger", lambda i: crop(i, 0.50, "edge"), "JPEG", {"quality": 90}),
    "rotate 90": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_90), "JPEG", {"quality": 90}),
    "rotate 180": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_180), "JPEG", {"quality": 90}),
    "rotate 270": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_270), "JPEG", {"quality": 90}),
    "rotate 3": ("bigger", lambda i: rotate(i, 3), "JPEG", {"quality": 90}),
    "rotate -5": ("bigger", lambda i: rotate(i, -5), "JPEG", {"quality": 90}),
    "mirror": ("bigger", mirror, "JPEG", {"quality": 90}),
    "mirror crop 75%": ("bigger", lambda i: crop(mirror(i), 0.75, "corner"), "JPEG", {"quality": 90}),
    "mirror border": ("bigger", lambda i: border(mirror(i), 0.05), "JPEG", {"quality": 90}),
    "strong contrast": ("bigger", lambda i: ImageEnhance.Contrast(i).enhance(1.8), "JPEG", {"quality": 90}),
    "strong gamma": ("bigger", lambda i: gamma(i, 0.5), "JPEG", {"quality": 90}),
    "grayscale": ("bigger", lambda i: i.convert("L"), "JPEG", {"quality": 90}),
    "blur": ("bigger", lambda i: i.filter(ImageFilter.GaussianBlur(max(1.5, max(i.size) / 250))), "JPEG", {"quality": 90}),
    "sharpen": ("bigger", lambda i: i.filter(ImageFilter.UnsharpMask(3, 250, 2)), "JPEG", {"quality": 90}),
    "squeeze": ("bigger", lambda i: i.resize((int(i.width * 0.75), i.height), Image.Resampling.LANCZOS), "JPEG", {"quality": 90}),
    "border": ("bigger", border, "JPEG", {"quality": 90}),
    "border 5% white": ("bigger", lambda i: border(i, 0.05), "JPEG", {"quality": 90}),
    "letterbox 1:1": ("bigger", lambda i: letterbox(i, 1.0), "JPEG", {"quality": 90}),
    "letterbox 16:9": ("bigger", lambda i: letterbox(i, 16 / 9) if i.width / i.height < 16 / 9 - 0.05
                       else letterbox(i, 4 / 3), "JPEG", {"quality": 90}),
    "instagram": ("bigger", instagram, "JPEG", {"quality": 88}),
    "exif rotate": ("bigger", lambda i: i, "JPEG", {"quality": 90, "orientation": 6}),
    "exif twin": ("bigger", lambda i: i.transpose(Image.Transpose.ROTATE_270), "JPEG", {"quality": 90}),
}

# Other shots of the scene of an original (seeded by the photo's position).
SCENE_ATTACKS: dict[str, Callable[[Image.Image, int], Image.Image]] = {
    "burst frame": subject_moved,
    "viewpoint": viewpoint,
}

EXTRA_KINDS = {"upscale 12MP": "minor", "stereo pair": "scene", "burst frame": "scene", "viewpoint": "scene",
               "overlay": "bigger"}


def kind_of(attack: str) -> str:
    if attack in ATTACKS:
        return ATTACKS[attack][0]
    return EXTRA_KINDS.get(attack, "other")

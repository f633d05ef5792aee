"""Benchmark corpora: real photos, their attacked copies, other shots of their scenes and hard
negatives. Written to a directory, never committed.

Two sets of source photos, never mixed:

* ``tuning``   - scikit-image's sample photos (the engine's constants were tuned on these);
* ``heldout``  - other real photographs shipped by Debian packages the engine was never tuned on:
  the Tux Paint templates (``tuxpaint-data``: bark, rocks, sea, trees, a lighthouse, sheep, ...)
  and the Maldives photo of ``sddm-theme-maldives`` (with the theme's own screenshot of it, a
  real "same photo under an overlay" copy). ``.ci/run`` installs both.

Every file gets a ground-truth label:

* ``photo``  - files that are copies of one photograph share it;
* ``scene``  - a burst frame / other viewpoint / stereo partner shares the scene (not the photo);
* ``attack`` - what was done to the original ("original" for the original itself);
* ``kind``   - "minor" (should score >= 90), "bigger" (>= 70), "scene" (70-89), "original",
  "distractor".
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from corpus_attacks import ATTACKS, SCENE_ATTACKS

SKIMAGE_DATA = Path(__import__("skimage").__file__).parent / "data"
TUXPAINT_TEMPLATES = Path("/usr/share/tuxpaint/templates")
MALDIVES = Path("/usr/share/sddm/themes/maldives")
HELDOUT_PACKAGES = ("tuxpaint-data", "sddm-theme-maldives")


@dataclass(frozen=True)
class Item:
    path: str
    photo: str
    scene: str
    attack: str
    kind: str


def _flatten(img: Image.Image) -> Image.Image:
    img.load()
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        bg.alpha_composite(img)
        img = bg
    return img.convert("RGB")


def _load(name: str) -> Image.Image:
    return _flatten(Image.open(SKIMAGE_DATA / name))


# Tuning photos that get the full list of attacks.
ORIGINALS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "camera.png",
             "retina.jpg", "coins.png", "moon.png", "hubble_deep_field.jpg", "page.png", "grass.png"]

# Unrelated tuning images only used as distractors (hard cases for keypoints included).
DISTRACTORS = ["brick.png", "gravel.png", "text.png", "cell.png", "ihc.png", "clock_motion.png", "color.png",
               "microaneurysms.png", "horse.png", "logo.png", "chessboard_GRAY.png"]

# Held-out photos whose scenes look alike (same kind of subject, light or texture).
HELDOUT_LOOKALIKES = [("ocean_splash", "ocean_waves"), ("mossy_bark", "burnt_bark"), ("mossy_bark", "mossy_log"),
                      ("trees_above", "redwoods_above"), ("trees_above", "trees_at_dusk"),
                      ("sun_behind_clouds", "sun_behind_leaves"), ("rocks", "mudstone"), ("cliff", "rocks")]


def heldout_sources() -> dict[str, Path]:
    """Name -> file of every held-out photo present on this machine (empty when not installed)."""
    out = {p.stem: p for p in sorted(TUXPAINT_TEMPLATES.glob("*.jpg"))} if TUXPAINT_TEMPLATES.is_dir() else {}
    if (MALDIVES / "background.jpg").is_file():
        out["maldives"] = MALDIVES / "background.jpg"
    return out


def _slug(s: str) -> str:
    return s.replace(" ", "_").replace("%", "pc").replace("-", "m").replace(":", "x")


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


class _Writer:
    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.items: list[Item] = []

    def add(self, img: Image.Image, name: str, photo: str, scene: str, attack: str, kind: str,
            fmt: str = "JPEG", kwargs: dict | None = None) -> None:
        ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}[fmt]
        path = self.out / f"{name}.{ext}"
        if not path.exists():
            kw = dict(kwargs if kwargs is not None else {"quality": 95} if fmt == "JPEG" else {})
            orientation = kw.pop("orientation", None)
            if orientation is not None:
                exif = Image.Exif()
                exif[0x0112] = orientation
                kw["exif"] = exif
            img.save(path, fmt, **kw)
        self.items.append(Item(str(path), photo, scene, attack, kind))

    def attacked(self, img: Image.Image, base: str, seed: int, *, scenes: bool) -> None:
        self.add(img, f"{base}__original", base, base, "original", "original", "PNG")
        for attack, (kind, fn, fmt, kw) in ATTACKS.items():
            self.add(fn(img), f"{base}__{_slug(attack)}", base, base, attack, kind, fmt, kw)
        if scenes:
            for attack, scene_fn in SCENE_ATTACKS.items():
                self.add(scene_fn(img, seed), f"{base}__{_slug(attack)}", f"{base}_{_slug(attack)}", base,
                         attack, "scene", "JPEG", {"quality": 92})


def build(out: Path, *, large: int = 4, source: str = "tuning") -> list[Item]:
    """Write the corpus of ``source`` ("tuning" or "heldout") under ``out``; its items (deterministic)."""
    if source == "heldout":
        return build_heldout(out)
    if source != "tuning":
        raise ValueError(f"unknown corpus source {source!r}")
    w = _Writer(out)
    for i, fname in enumerate(ORIGINALS):
        w.attacked(_load(fname), Path(fname).stem, i, scenes=True)
    # same scene, other viewpoint: a real stereo pair
    w.add(_load("motorcycle_right.png"), "motorcycle_right__stereo", "motorcycle_right", "motorcycle_left",
          "stereo pair", "scene", "PNG")
    # distractors: other sample images, star-field tiles, flat skies
    for fname in DISTRACTORS:
        base = Path(fname).stem
        w.add(_load(fname), f"x_{base}", f"x_{base}", f"x_{base}", "distractor", "distractor", "PNG")
    for i in range(6):
        w.add(_sky(i), f"x_sky{i}", f"x_sky{i}", f"x_sky{i}", "distractor", "distractor", "JPEG")
    for i in range(3):
        w.add(_stars(i), f"x_stars{i}", f"x_stars{i}", f"x_stars{i}", "distractor", "distractor", "JPEG")
    # >= 12 MP JPEGs (throughput): upscaled originals, same photo as their original
    for fname in ORIGINALS[:large]:
        base = Path(fname).stem
        img = _load(fname)
        s = (12.5e6 / (img.width * img.height)) ** 0.5
        w.add(img.resize((int(img.width * s), int(img.height * s)), Image.Resampling.BICUBIC),
              f"{base}__12mp", base, base, "upscale 12MP", "minor", "JPEG", {"quality": 92})
    return w.items


def build_heldout(out: Path, *, photos: list[str] | None = None) -> list[Item]:
    """Write the held-out corpus (all held-out photos, or only ``photos``) under ``out``."""
    sources = heldout_sources()
    if not sources:
        raise FileNotFoundError(f"no held-out photos: install the Debian packages {', '.join(HELDOUT_PACKAGES)}")
    w = _Writer(out)
    for i, (name, path) in enumerate(sources.items()):
        if photos is not None and name not in photos:
            continue
        w.attacked(_flatten(Image.open(path)), name, i, scenes=True)
    if (photos is None or "maldives" in photos) and (MALDIVES / "maldives.jpg").is_file():
        # the theme's screenshot: the same photo with a login box and a clock drawn over it
        w.add(_flatten(Image.open(MALDIVES / "maldives.jpg")), "maldives__overlay", "maldives", "maldives",
              "overlay", "bigger", "JPEG", {"quality": 95})
    return w.items


def hard_negatives(items: list[Item]) -> list[tuple[int, int, str]]:
    """Pairs of different photos that look alike: (index, index, why). Every one must stay < 50.

    Look-alike scenes (held-out), and copies of different photos that carry the same white border
    or black letterbox bars (a border must not make two photos match).
    """
    index = {(it.photo, it.attack): i for i, it in enumerate(items)}
    out: list[tuple[int, int, str]] = []
    for a, b in HELDOUT_LOOKALIKES:
        if (a, "original") in index and (b, "original") in index:
            out.append((index[(a, "original")], index[(b, "original")], "look-alike scene"))
    photos = sorted({it.photo for it in items if it.kind == "original"})
    for attack in ("border", "border 5% white", "letterbox 1:1", "mirror border"):
        for a, b in itertools.combinations(photos, 2):
            if (a, attack) in index and (b, attack) in index:
                out.append((index[(a, attack)], index[(b, attack)], f"both {attack}"))
    return out


def dump(items: list[Item], path: Path) -> None:
    import json

    path.write_text(json.dumps([it.__dict__ for it in items], indent=1))


__all__ = ["ATTACKS", "Item", "build", "build_heldout", "hard_negatives", "heldout_sources"]

if __name__ == "__main__":
    import sys

    src = sys.argv[2] if len(sys.argv) > 2 else "tuning"
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.path.join("/tmp", f"lookalike_corpus_{src}"))
    its = build(target, source=src)
    print(f"{len(its)} {src} files in {target}")

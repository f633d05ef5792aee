"""Generate a small photo library for UI tests and screenshots: scikit-image sample photos plus
transformed copies (recompressed, resized, format change, mirrored, cropped) and distractors."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def _samples() -> dict[str, np.ndarray]:
    from skimage import data

    left, _right, _disp = data.stereo_motorcycle()
    return {
        "astronaut": data.astronaut(),
        "chelsea": data.chelsea(),
        "coffee": data.coffee(),
        "rocket": data.rocket(),
        "motorcycle": left,
        "hubble": data.hubble_deep_field(),
        "immunohisto": data.immunohistochemistry(),
    }


def make_library(root: Path, *, long_side: int = 360, groups: int = 4, extras: bool = True) -> dict[str, list[Path]]:
    """Write originals and copies under ``root`` (two sub-folders). Returns name -> files, the
    original first. The first ``groups`` samples get copies; the rest stand alone."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "camera").mkdir(exist_ok=True)
    (root / "exports").mkdir(exist_ok=True)
    out: dict[str, list[Path]] = {}
    for n, (name, array) in enumerate(_samples().items()):
        image = Image.fromarray(np.asarray(array)).convert("RGB")
        image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
        original = root / "camera" / f"{name}.png"
        image.save(original)
        files = [original]
        if n < groups:
            copy = root / "exports" / f"{name} (q70).jpg"
            image.save(copy, quality=70)
            files.append(copy)
            small = root / "exports" / f"{name}_small.jpg"
            image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS).save(small, quality=88)
            files.append(small)
            if extras and n % 2 == 0:
                edited = root / "exports" / f"{name}_edit.jpg"
                ImageEnhance.Brightness(image).enhance(1.08).save(edited, quality=90)
                files.append(edited)
            if extras and n == 1:
                mirrored = root / "exports" / f"{name}_mirror.jpg"
                ImageOps.mirror(image).save(mirrored, quality=90)
                files.append(mirrored)
        out[name] = files
    if groups:
        exact = root / "exports" / "astronaut copy.png"
        exact.write_bytes(out["astronaut"][0].read_bytes())   # byte-identical: similarity 100
        out["astronaut"].append(exact)
    (root / "exports" / "notes.txt").write_text("not a photo", encoding="utf-8")
    (root / "exports" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return out


def content_multiset(*roots: Path) -> Counter[str]:
    """Hashes of every regular file's content under ``roots`` (nothing lost, nothing duplicated);
    the marker the workflow writes into an archive folder is not a photo and is left out."""
    from desktop_app.context.scan import ARCHIVE_MARKER

    hashes: Counter[str] = Counter()
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if name == ARCHIVE_MARKER:
                    continue
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    hashes[hashlib.sha256(path.read_bytes()).hexdigest()] += 1
    return hashes


def make_many(root: Path, count: int, *, side: int = 96) -> list[Path]:
    """``count`` small distinct-ish JPEGs (crops of the samples) for scan/cancel tests."""
    root.mkdir(parents=True, exist_ok=True)
    samples = [np.asarray(a) for a in _samples().values()]
    paths = []
    for i in range(count):
        array = samples[i % len(samples)]
        h, w = array.shape[:2]
        y = (i * 37) % max(1, h - h // 2)
        x = (i * 53) % max(1, w - w // 2)
        image = Image.fromarray(array[y:y + h // 2, x:x + w // 2]).convert("RGB").resize((side, side))
        path = root / f"img_{i:04d}.jpg"
        image.save(path, quality=85)
        paths.append(path)
    return paths

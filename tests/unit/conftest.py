"""Fixtures shared by the unit tests: a small library of real sample photos (~400 px)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

_SAMPLES: dict[str, np.ndarray] = {}


def sample(name: str) -> np.ndarray:
    """A scikit-image sample photo as RGB uint8 (cached per test session)."""
    if name not in _SAMPLES:
        from skimage import data

        arr = getattr(data, name)()
        if name == "stereo_motorcycle":
            arr = arr[0]
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        _SAMPLES[name] = np.ascontiguousarray(arr[..., :3])
    return _SAMPLES[name]


def save_photo(path: Path, name: str, *, long_side: int = 400, quality: int = 90,
               fmt: str | None = None) -> Path:
    """Save sample ``name`` resized to ``long_side`` at ``path`` (format from the suffix)."""
    img = Image.fromarray(sample(name))
    scale = long_side / max(img.size)
    img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                     Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = {"quality": quality} if (fmt or path.suffix.lower()) in (".jpg", ".jpeg", "JPEG") else {}
    img.save(path, fmt, **kwargs)
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Five unrelated photos and one near-duplicate (a smaller, recompressed copy)."""
    lib = tmp_path / "library"
    save_photo(lib / "astronaut.jpg", "astronaut")
    save_photo(lib / "astronaut small.jpg", "astronaut", long_side=300, quality=75)
    save_photo(lib / "coffee.png", "coffee")
    save_photo(lib / "trips" / "chelsea.jpg", "chelsea")
    save_photo(lib / "trips" / "rocket.JPG", "rocket")
    save_photo(lib / "trips" / "motorcycle.jpg", "stereo_motorcycle")
    return lib

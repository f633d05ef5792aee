"""Shared helpers for engine tests: real sample photos from scikit-image, written to tmp dirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from PIL import Image
from skimage import data

from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.types import AnalyzedImage


def _rgb(arr: np.ndarray) -> np.ndarray:
    return np.dstack([arr] * 3) if arr.ndim == 2 else arr[..., :3]


PHOTOS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": data.astronaut,
    "chelsea": data.chelsea,
    "coffee": data.coffee,
    "rocket": data.rocket,
    "camera": lambda: _rgb(data.camera()),
    "motorcycle": lambda: data.stereo_motorcycle()[0],
}


@pytest.fixture(scope="session")
def photo() -> Callable[[str], np.ndarray]:
    """``photo(name)`` -> RGB uint8 array of a scikit-image sample photo."""
    cache: dict[str, np.ndarray] = {}

    def get(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = _rgb(PHOTOS[name]())
        return cache[name]

    return get


@pytest.fixture(scope="session")
def save_and_analyze(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., AnalyzedImage]:
    """``save_and_analyze(img, name, **save_kwargs)``: write a PIL image and analyse the file."""
    root = tmp_path_factory.mktemp("engine_imgs")
    cache: dict[str, AnalyzedImage] = {}

    def run(img: Image.Image, name: str, **kwargs: Any) -> AnalyzedImage:
        if name not in cache:
            path: Path = root / name
            img.save(path, **kwargs)
            cache[name] = analyze_file(path)
        return cache[name]

    return run

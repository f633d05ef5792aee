"""A small indexed library for the find-similar and compare page tests (scikit-image photos)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image


@dataclass
class Library:
    root: Path                  # the indexed folder
    outside: Path               # a folder that is NOT part of the context
    store: Any                  # ContextStore
    context: Any                # SearchContext

    def path(self, name: str) -> str:
        return str(self.root / name)


def _photo(array: np.ndarray, long_side: int) -> Image.Image:
    image = Image.fromarray(np.asarray(array)).convert("RGB")
    image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    return image


def build_library(base: Path, *, long_side: int = 480) -> Library:
    """astronaut.jpg + recompressed, rotated and cropped copies, three unrelated photos, and an
    outside folder with a resized astronaut and a corrupt file. Indexed in-process."""
    from skimage import data

    from desktop_app.context.store import ContextStore

    root, outside = base / "library", base / "outside"
    root.mkdir(parents=True)
    outside.mkdir()
    astronaut = _photo(data.astronaut(), long_side)
    astronaut.save(root / "astronaut.jpg", quality=95)
    astronaut.save(root / "astronaut (q60).jpg", quality=60)
    astronaut.rotate(90, expand=True).save(root / "astronaut rotated.jpg", quality=92)
    w, h = astronaut.size
    astronaut.crop((w // 8, h // 8, w - w // 10, h - h // 10)).save(root / "astronaut crop.jpg", quality=92)
    for name, array in (("chelsea", data.chelsea()), ("coffee", data.coffee()), ("rocket", data.rocket())):
        _photo(array, long_side).save(root / f"{name}.jpg", quality=90)
    astronaut.resize((w * 2 // 3, h * 2 // 3), Image.Resampling.LANCZOS).save(outside / "astronaut small.png")
    (outside / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (outside / "notes.jpg").write_text("a text file with a photo's name", encoding="utf-8")

    store = ContextStore(base / "lookalike.sqlite")
    context = store.create("test", [root])
    report = context.index(workers=1)
    assert report.added == 7, report
    return Library(root, outside, store, context)


def library_fixture(name: str) -> Any:
    """A module-scoped pytest fixture ``library``: the library built once per test module."""
    import pytest

    @pytest.fixture(scope="module")
    def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
        lib = build_library(tmp_path_factory.mktemp(name))
        yield lib
        lib.store.close()

    return library

"""Lens and GPS read from a photo's EXIF header (unknown, never an error, when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from desktop_app.engine.exif_details import ExifDetails, read_exif_details


def _photo(path: Path, *, lens: str | None = None, gps: bool = False) -> Path:
    image = Image.fromarray(np.full((40, 60, 3), 128, np.uint8))
    exif = Image.Exif()
    if lens:
        exif[0x8769] = {0xA434: lens, 0xA433: "Canon"}
    if gps:
        exif[0x8825] = {1: "S", 2: (33.0, 51.0, 36.0), 3: "E", 4: (151.0, 12.0, 36.0)}
    image.save(path, exif=exif)
    return path


def test_lens_and_gps_are_read(tmp_path: Path) -> None:
    details = read_exif_details(_photo(tmp_path / "a.jpg", lens="RF24-105mm F4 L", gps=True))
    assert details.lens == "Canon RF24-105mm F4 L"
    assert details.gps is not None and abs(details.gps[0] + 33.86) < 0.01 and abs(details.gps[1] - 151.21) < 0.01
    assert details.gps_text() == "33.8600° S, 151.2100° E"


def test_missing_or_unreadable_is_unknown(tmp_path: Path) -> None:
    assert read_exif_details(_photo(tmp_path / "b.jpg")) == ExifDetails()
    (tmp_path / "c.jpg").write_bytes(b"not a photo")
    assert read_exif_details(tmp_path / "c.jpg") == ExifDetails()
    assert read_exif_details(tmp_path / "missing.jpg") == ExifDetails()

"""Decoding: every format and pixel layout normalised, every bad input a clear DecodeError."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import tifffile
from PIL import Image

from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.decode import WORKING_LONG_SIDE, decode_file
from desktop_app.errors import DecodeError


def _jpeg_bytes(arr: np.ndarray, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", **kwargs)
    return buf.getvalue()


# -- bad input ---------------------------------------------------------------------------------


def _png_with_header_size(arr: np.ndarray, width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    p = bytearray(buf.getvalue())
    ihdr = b"IHDR" + struct.pack(">II", width, height) + bytes(p[24:29])
    p[12:29] = ihdr
    p[29:33] = struct.pack(">I", zlib.crc32(ihdr) & 0xFFFFFFFF)
    return bytes(p)


def _jpeg_with_header_size(arr: np.ndarray, width: int, height: int) -> bytes:
    j = bytearray(_jpeg_bytes(arr))
    i = j.find(b"\xff\xc0")
    j[i + 5:i + 9] = struct.pack(">HH", height, width)
    return bytes(j)


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.jpg", lambda a: b"", "file is empty"),
        ("truncated.jpg", lambda a: _jpeg_bytes(a)[: len(_jpeg_bytes(a)) // 2], "file is truncated"),
        ("corrupt.jpg", lambda a: _jpeg_bytes(a)[:300] + bytes(range(256)) * 20, None),
        ("notes.jpg", lambda a: b"shopping list: eggs, milk\n" * 40, "not an image"),
        ("bomb.png", lambda a: _png_with_header_size(a[:16, :16], 100_000, 100_000), "image too large (10,000 megapixels)"),
        ("huge header.jpg", lambda a: _jpeg_with_header_size(a, 60_000, 60_000), "image too large (3,600 megapixels)"),
        ("huge.png", lambda a: _png_with_header_size(a[:16, :16], 20_000, 10_000), "image too large (200 megapixels)"),
    ],
)
def test_bad_input_is_a_decode_error_with_a_clear_reason(
    tmp_path: Path, photo: Callable[[str], np.ndarray], name: str, make: Callable[[np.ndarray], bytes],
    reason: str | None,
) -> None:
    path = tmp_path / name
    path.write_bytes(make(photo("astronaut")))
    with pytest.raises(DecodeError) as err:
        analyze_file(path)
    assert err.value.path == str(path)
    assert str(err.value).startswith(f"Couldn't read '{path}': ")
    if reason is not None:
        assert err.value.reason == reason
    else:
        assert err.value.reason  # some one-line reason
        assert "\n" not in err.value.reason


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match="file not found"):
        analyze_file(tmp_path / "gone.jpg")
    with pytest.raises(DecodeError):
        analyze_file(tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unreadable_file(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    path = tmp_path / "locked.jpg"
    path.write_bytes(_jpeg_bytes(photo("chelsea")))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: chmod 000 does not make the file unreadable")
        with pytest.raises(DecodeError) as err:
            analyze_file(path)
        assert err.value.reason == "permission denied"
    finally:
        path.chmod(0o644)


# -- formats and pixel layouts -------------------------------------------------------------------


def _close(a: np.ndarray, b: np.ndarray, tol: float = 3.0) -> bool:
    return a.shape == b.shape and float(np.abs(a.astype(float) - b.astype(float)).mean()) < tol


def test_formats_decode_to_the_same_pixels(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    a = photo("astronaut")
    ref = decode_file(_save(tmp_path / "a.png", Image.fromarray(a))).rgb
    assert ref.shape == (512, 512, 3)
    cases: dict[str, tuple[dict[str, Any], str, bool]] = {
        "a.bmp": ({}, "BMP", True), "a.tif": ({}, "TIFF", True), "a.webp": ({"lossless": True}, "WEBP", True),
        "b.webp": ({"quality": 90}, "WEBP", False), "a.jpg": ({"quality": 95}, "JPEG", False),
        "a.heic": ({"quality": 90}, "HEIF", False),
    }
    for name, (kw, fmt, lossless) in cases.items():
        d = decode_file(_save(tmp_path / name, Image.fromarray(a), **kw))
        assert d.format == fmt, name
        assert d.lossless is lossless, name
        assert _close(d.rgb, ref, 4.0), name


def _save(path: Path, img: Image.Image, **kwargs: Any) -> Path:
    img.save(path, **kwargs)
    return path


def test_16bit_cmyk_palette_and_alpha_are_normalised(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    a = photo("astronaut")
    tifffile.imwrite(tmp_path / "rgb16.tif", a.astype(np.uint16) * 257)
    assert _close(decode_file(tmp_path / "rgb16.tif").rgb, a)
    gray = a[..., 1]
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "gray16.png")
    g16 = decode_file(tmp_path / "gray16.png").rgb
    assert _close(g16, np.dstack([gray] * 3))
    Image.fromarray(a).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    assert _close(decode_file(tmp_path / "cmyk.jpg").rgb, a, 6.0)
    Image.fromarray(a).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "pal.png")
    assert _close(decode_file(tmp_path / "pal.png").rgb, a, 8.0)
    # alpha: fully transparent -> the fixed white background, opaque -> the pixels
    rgba = np.dstack([a, np.zeros(a.shape[:2], np.uint8)])
    rgba[:, 256:, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    out = decode_file(tmp_path / "alpha.png").rgb
    assert (out[:, :250] == 255).all()
    assert _close(out[:, 260:], a[:, 260:], 0.5)


def test_first_frame_of_animations_and_multipage(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    a = photo("coffee")
    frames = [Image.fromarray(a), Image.fromarray(255 - a)]
    frames[0].save(tmp_path / "multi.tif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    tif = decode_file(tmp_path / "multi.tif").rgb
    gif = decode_file(tmp_path / "anim.gif").rgb
    first = decode_file(_save(tmp_path / "first.png", frames[0])).rgb
    assert _close(tif, first, 0.5)
    assert _close(gif, first, 12.0)


def test_large_jpeg_uses_draft_decoding_and_keeps_true_size(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    big = Image.fromarray(photo("rocket")).resize((4000, 2666), Image.Resampling.BILINEAR)
    path = _save(tmp_path / "big.jpg", big, quality=90)
    d = decode_file(path)
    assert (d.width, d.height) == (4000, 2666)
    assert max(d.rgb.shape[:2]) <= WORKING_LONG_SIDE
    assert max(d.rgb.shape[:2]) >= 448


def test_exif_orientation_applied_and_facts_read(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    a = photo("chelsea")                      # 451 x 300 landscape
    exif = Image.Exif()
    exif[0x0112] = 6                          # stored landscape, displayed rotated 90 degrees CW
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif.get_ifd(0x8769)[0x9003] = "2021:07:14 18:03:59"
    path = _save(tmp_path / "rot.jpg", Image.fromarray(a), quality=95, exif=exif)
    im = analyze_file(path)
    assert (im.facts.width, im.facts.height) == (300, 451)
    assert im.facts.orientation == 6
    assert im.facts.camera == "Canon EOS R5"
    assert im.facts.date_taken == "2021-07-14T18:03:59"
    assert im.facts.metadata_count >= 4
    twin = decode_file(_save(tmp_path / "twin.png", Image.fromarray(np.rot90(a, -1).copy()))).rgb
    assert _close(decode_file(path).rgb, twin, 4.0)


def test_analyzed_image_is_complete_and_picklable(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    path = _save(tmp_path / "ünïcode name with spaces.jpg", Image.fromarray(photo("coffee")), quality=90)
    im = analyze_file(path)
    assert im.size == path.stat().st_size
    assert im.mtime_ns == path.stat().st_mtime_ns
    assert len(im.content_hash) == 40
    thumb = Image.open(io.BytesIO(im.thumbnail_jpeg))
    assert thumb.format == "JPEG" and max(thumb.size) >= 256
    clone = pickle.loads(pickle.dumps(im))
    assert clone.content_hash == im.content_hash
    assert np.array_equal(clone.features.descriptors, im.features.descriptors)


def test_permission_error_reason_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reason a user sees when the OS refuses to open the file (root can't chmod 000 it away)."""
    import os

    path = tmp_path / "locked.jpg"
    path.write_bytes(b"\xff\xd8")
    real_open = os.open

    def refusing_open(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(DecodeError) as err:
        analyze_file(path)
    assert err.value.reason == "permission denied"


def test_broken_camera_raw_is_a_decode_error(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.CR2"
    path.write_bytes(b"II*\x00" + bytes(range(256)) * 8)
    with pytest.raises(DecodeError) as err:
        analyze_file(path)
    assert "RAW" in err.value.reason


def test_exif_rotated_copy_equals_its_pixel_rotated_twin(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    from desktop_app.engine.similarity import compare_features

    a = photo("astronaut")
    exif = Image.Exif()
    exif[0x0112] = 8                          # displayed rotated 90 degrees counter-clockwise
    tagged = analyze_file(_save(tmp_path / "tagged.png", Image.fromarray(a), exif=exif))
    twin = analyze_file(_save(tmp_path / "twin.png", Image.fromarray(np.rot90(a).copy())))
    assert tagged.facts.orientation == 8
    assert compare_features(tagged.features, twin.features).score == 100.0     # lossless: same pixels
    tagged_jpg = analyze_file(_save(tmp_path / "tagged.jpg", Image.fromarray(a), quality=95, exif=exif))
    twin_jpg = analyze_file(_save(tmp_path / "twin.jpg", Image.fromarray(np.rot90(a).copy()), quality=95))
    assert compare_features(tagged_jpg.features, twin_jpg.features).score >= 99.0


class _FakeRaw:
    """Stands in for a rawpy RawPy object (no camera RAW sample ships with the dependencies)."""

    def __init__(self, *, thumb: bytes | None, flip: int, sensor: tuple[int, int], pixels: np.ndarray | None) -> None:
        import types

        self.sizes = types.SimpleNamespace(width=sensor[0], height=sensor[1], flip=flip)
        self._thumb, self._pixels = thumb, pixels

    def __enter__(self) -> "_FakeRaw":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def extract_thumb(self) -> object:
        import types

        if self._thumb is None:
            raise RuntimeError("no thumbnail")
        return types.SimpleNamespace(format="jpeg", data=self._thumb)

    def postprocess(self, **kwargs: object) -> np.ndarray:
        assert kwargs.get("half_size") is True     # never a full-resolution demosaic
        if self._pixels is None:
            raise RuntimeError("corrupt raw data")
        return self._pixels


def _fake_rawpy(monkeypatch: pytest.MonkeyPatch, raw: _FakeRaw) -> None:
    import sys
    import types

    module = types.SimpleNamespace(
        imread=lambda fh: raw,
        ThumbFormat=types.SimpleNamespace(JPEG="jpeg", BITMAP="bitmap"),
    )
    monkeypatch.setitem(sys.modules, "rawpy", module)


def test_raw_uses_the_embedded_preview_and_the_sensor_orientation(
    tmp_path: Path, photo: Callable[[str], np.ndarray], monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = photo("coffee")                                   # 600 x 400 landscape preview
    _fake_rawpy(monkeypatch, _FakeRaw(thumb=_jpeg_bytes(a, quality=92), flip=6, sensor=(6000, 4000), pixels=None))
    path = tmp_path / "IMG_0002.NEF"
    path.write_bytes(b"raw bytes")
    im = analyze_file(path)
    assert (im.facts.width, im.facts.height) == (4000, 6000)          # portrait, as shot
    assert im.facts.format == "RAW" and im.facts.lossless and im.facts.orientation == 6
    d = decode_file(path).rgb
    assert d.shape[0] > d.shape[1]
    expected = np.asarray(Image.fromarray(np.rot90(a, -1).copy()).resize((d.shape[1], d.shape[0])))
    assert _close(d, expected, 4.0)


def test_raw_without_preview_is_demosaiced_at_half_size(
    tmp_path: Path, photo: Callable[[str], np.ndarray], monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = photo("rocket")
    _fake_rawpy(monkeypatch, _FakeRaw(thumb=None, flip=0, sensor=(a.shape[1] * 2, a.shape[0] * 2), pixels=a))
    path = tmp_path / "IMG_0003.dng"
    path.write_bytes(b"raw bytes")
    im = analyze_file(path)
    assert (im.facts.width, im.facts.height) == (a.shape[1] * 2, a.shape[0] * 2)
    _fake_rawpy(monkeypatch, _FakeRaw(thumb=None, flip=0, sensor=(4000, 3000), pixels=None))
    with pytest.raises(DecodeError, match="camera RAW data is corrupt"):
        analyze_file(path)


def test_tiny_image_still_gets_a_256_px_thumbnail(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    path = _save(tmp_path / "icon.png", Image.fromarray(photo("astronaut")).resize((64, 48)))
    thumb = Image.open(io.BytesIO(analyze_file(path).thumbnail_jpeg))
    assert max(thumb.size) == 256


def test_heic_orientation_is_applied_once(tmp_path: Path, photo: Callable[[str], np.ndarray]) -> None:
    a = photo("chelsea")                      # 451 x 300 landscape, tagged "rotate 90 CW"
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _save(tmp_path / "tagged.heic", Image.fromarray(a), quality=90, exif=exif.tobytes())
    d = decode_file(path)
    assert (d.width, d.height) == (300, 451)
    twin = np.asarray(Image.fromarray(np.rot90(a, -1).copy()))
    assert _close(d.rgb, twin, 6.0)

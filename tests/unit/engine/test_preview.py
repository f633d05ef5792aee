"""Display previews and the difference map (no Qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.preview import difference_map, load_preview, working_to_display
from desktop_app.engine.similarity import compare_features
from desktop_app.errors import DecodeError


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return np.asarray(Image.fromarray(data.astronaut()).resize((384, 384), Image.Resampling.LANCZOS))


def _heat(rgb: np.ndarray) -> np.ndarray:
    """How 'hot' each pixel is drawn: the map paints differences warm (red well above blue)."""
    return rgb[..., 0].astype(int) - rgb[..., 2].astype(int)


def test_load_preview_bounds_size_and_reports_bad_files(tmp_path: Path, astronaut: np.ndarray) -> None:
    path = tmp_path / "big photo.png"
    Image.fromarray(np.tile(astronaut, (2, 3, 1))).save(path)  # 1152 x 768
    preview = load_preview(path, max_side=500)
    assert max(preview.rgb.shape[:2]) <= 500 and preview.rgb.dtype == np.uint8
    assert (preview.width, preview.height) == (1152, 768)
    (tmp_path / "fake.jpg").write_text("hello", encoding="utf-8")
    for name in ("fake.jpg", "gone.jpg"):
        with pytest.raises(DecodeError, match=name):
            load_preview(tmp_path / name)
    with pytest.raises(ValueError):
        load_preview(path, max_side=0)


def test_jpeg_previews_are_not_draft_sized(tmp_path: Path, astronaut: np.ndarray) -> None:
    """A 1536 px JPEG asked at 1200 px must come back at 1200 px, not at a 1/2 or 1/4 DCT draft."""
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.tile(astronaut, (4, 4, 1))).save(path, quality=90)
    assert max(load_preview(path, max_side=1200).rgb.shape[:2]) == 1200
    assert max(load_preview(path, max_side=4000).rgb.shape[:2]) == 1536


def test_working_to_display_scales_each_axis() -> None:
    pts = np.array([[0.0, 0.0], [511.0, 255.0], [255.5, 127.5]], np.float32)
    out = working_to_display(pts, (512, 256), (1024, 512))
    assert out[0] == pytest.approx([0.5, 0.5])
    assert out[1] == pytest.approx([1022.5, 510.5])  # last pixel centre -> centre of the last 2x2 block
    assert out[2] == pytest.approx([511.5, 255.5])


def test_identical_images_show_no_difference(astronaut: np.ndarray) -> None:
    result = difference_map(astronaut, astronaut.copy())
    assert result.mean_ssim > 0.99 and result.coverage > 0.95
    assert np.percentile(_heat(result.rgb), 99) < 10


def test_edited_region_lights_up(astronaut: np.ndarray) -> None:
    edited = astronaut.copy()
    edited[40:120, 250:340] = (255, 255, 0)  # a sticker on the rocket
    result = difference_map(astronaut, edited)
    heat = _heat(result.rgb)
    assert heat[50:110, 260:330].mean() > 80
    assert np.median(heat[200:, :200]) < 10     # untouched areas stay calm
    assert result.mean_ssim < 0.99


def test_rotated_copy_is_aligned_with_the_engine_transform(tmp_path: Path, astronaut: np.ndarray) -> None:
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    Image.fromarray(astronaut).save(a, quality=95)
    Image.fromarray(astronaut).rotate(90, expand=True).save(b, quality=90)
    fa, fb = analyze_file(a).features, analyze_file(b).features
    comparison = compare_features(fa, fb)
    assert comparison.transform is not None
    ra, rb = load_preview(a).rgb, load_preview(b).rgb
    aligned = difference_map(ra, rb, transform=comparison.transform,
                             working_a=fa.working_size, working_b=fb.working_size)
    naive = difference_map(ra, rb)
    assert aligned.aligned and not naive.aligned
    assert aligned.mean_ssim > 0.85 > naive.mean_ssim
    assert np.percentile(_heat(aligned.rgb), 90) < 20


def test_different_aspect_without_transform_does_not_fail(astronaut: np.ndarray) -> None:
    wide = np.asarray(Image.fromarray(astronaut).resize((500, 200)))
    result = difference_map(astronaut, wide)
    assert result.rgb.shape == astronaut.shape and not result.aligned


def test_file_difference_aligns_a_crop_with_features_and_refuses_it_without(tmp_path: Path, astronaut: np.ndarray) -> None:
    from desktop_app.engine.preview import file_difference
    from desktop_app.errors import LookalikeError

    a, crop, copy = tmp_path / "a.png", tmp_path / "crop.jpg", tmp_path / "copy.jpg"
    Image.fromarray(astronaut).save(a)
    Image.fromarray(astronaut[40:360, 20:250]).save(crop, quality=92)    # taller than wide: reframed
    Image.fromarray(astronaut).save(copy, quality=60)
    with pytest.raises(LookalikeError, match="framed differently"):
        file_difference(a, crop)
    fa, fc = analyze_file(a).features, analyze_file(crop).features
    aligned = file_difference(a, crop, features_a=fa, features_b=fc)
    assert aligned.aligned and 0.3 < aligned.coverage < 0.8     # the rest of a is hatched
    assert aligned.mean_ssim > 0.8 and aligned.changed_fraction < 0.2
    same_frame = file_difference(a, copy)                          # recompressed: mapped as is
    assert not same_frame.aligned and 0.5 < same_frame.mean_ssim < 1.0
    assert same_frame.changed_fraction < 0.05


def test_changed_fraction_measures_the_edited_area(astronaut: np.ndarray) -> None:
    assert difference_map(astronaut, astronaut.copy()).changed_fraction < 0.01
    edited = astronaut.copy()
    edited[:192] = 255 - edited[:192]    # the top half inverted
    assert 0.4 < difference_map(astronaut, edited).changed_fraction < 0.7

"""Features: dihedral pHash from one DCT, spread ORB keypoints, compact versioned blobs."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

from desktop_app.engine.features import MAX_KEYPOINTS, apply_dihedral, dihedral_phash, extract_features
from desktop_app.engine.types import ImageFeatures, features_from_bytes, features_to_bytes


def _gray(rgb: np.ndarray) -> np.ndarray:
    return (rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)


@pytest.mark.parametrize("k", range(8))
def test_dihedral_variant_k_is_the_hash_of_the_transformed_image(photo: Callable[[str], np.ndarray], k: int) -> None:
    gray = _gray(photo("chelsea"))
    variants = dihedral_phash(gray)
    direct = dihedral_phash(apply_dihedral(gray, k))[0]
    assert int(np.bitwise_count(np.bitwise_xor(variants[k], direct))) <= 2
    # ... and the 8 variants of a real photo are distinct hashes
    assert len(set(int(v) for v in variants)) == 8


def test_keypoints_are_capped_and_spread(photo: Callable[[str], np.ndarray]) -> None:
    f = extract_features(photo("astronaut"))
    n = len(f.keypoints)
    assert 200 <= n <= MAX_KEYPOINTS
    assert f.descriptors.shape == (n, 32) and f.descriptors.dtype == np.uint8
    w, h = f.working_size
    assert max(w, h) == 512
    # the first 64 (what the index uses) already cover every quarter of the image
    first = f.keypoints[:64]
    quadrants = {(int(x >= w / 2), int(y >= h / 2)) for x, y in first}
    assert quadrants == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_flat_and_tiny_images_do_not_fail() -> None:
    flat = np.full((300, 400, 3), 120, np.uint8)
    f = extract_features(flat)
    assert len(f.keypoints) == len(f.descriptors) < 20
    tiny = extract_features(np.random.default_rng(1).integers(0, 255, (3, 5, 3), dtype=np.uint8))
    assert tiny.phash.shape == (8,) and tiny.working_size[0] == 512


def test_bytes_roundtrip_is_exact_and_compact(photo: Callable[[str], np.ndarray]) -> None:
    f = extract_features(photo("coffee"), true_size=(600, 400))
    blob = features_to_bytes(f)
    assert len(blob) < 24_000       # ~14 KB of ORB + 4.8 KB of mirrored descriptors + ~3.5 KB detail tile
    g = ImageFeatures.from_bytes(blob)
    assert np.array_equal(g.phash, f.phash)
    assert np.array_equal(g.descriptors, f.descriptors)
    assert np.abs(g.keypoints - f.keypoints).max() <= 1 / 32
    assert g.working_size == f.working_size
    assert set(g.extra) == set(f.extra)
    for k in f.extra:
        assert np.array_equal(g.extra[k], f.extra[k])
    assert g.to_bytes() == blob


def test_bad_blob_is_rejected() -> None:
    with pytest.raises(ValueError):
        features_from_bytes(b"nope")
    with pytest.raises(ValueError):
        features_from_bytes(b"XYZ" + bytes(200))

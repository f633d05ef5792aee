"""SimilarityIndex: add/remove, candidates by pHash and by ORB keys, candidate pairs."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
from PIL import Image

from desktop_app.engine.features import extract_features
from desktop_app.engine.index import SimilarityIndex
from desktop_app.engine.types import ImageFeatures


@pytest.fixture(scope="module")
def library(photo: Callable[[str], np.ndarray]) -> dict[str, ImageFeatures]:
    a = Image.fromarray(photo("astronaut"))
    lib = {
        "astronaut": a,
        "crop": a.crop((40, 30, 400, 390)),                       # ~50 % of the area, pHash differs
        "rot4": a.rotate(4, resample=Image.Resampling.BICUBIC),
        "mirror": a.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "small": a.resize((200, 200)),
    }
    for name in ("chelsea", "coffee", "rocket", "camera", "motorcycle"):
        lib[name] = Image.fromarray(photo(name))
    return {k: extract_features(np.asarray(v.convert("RGB"))) for k, v in lib.items()}


def _index(lib: dict[str, ImageFeatures]) -> tuple[SimilarityIndex, dict[int, str]]:
    idx = SimilarityIndex()
    names = dict(enumerate(lib))
    for i, n in names.items():
        idx.add(i, lib[n])
    return idx, names


def test_candidates_find_every_copy_first(library: dict[str, ImageFeatures]) -> None:
    idx, names = _index(library)
    assert len(idx) == len(library)
    got = [names[i] for i, _ in idx.candidates(library["astronaut"], limit=20, exclude=0)]
    assert set(got[:4]) == {"crop", "rot4", "mirror", "small"}
    strengths = [s for _, s in idx.candidates(library["astronaut"], limit=20)]
    assert strengths == sorted(strengths, reverse=True)


def test_candidates_of_unrelated_photo_rank_the_astronaut_copies_below_itself(
    library: dict[str, ImageFeatures],
) -> None:
    idx, names = _index(library)
    got = idx.candidates(library["coffee"], limit=10)
    assert names[got[0][0]] == "coffee" and got[0][1] == 1.0
    copies = [s for i, s in got if names[i] in {"crop", "rot4", "mirror", "small", "astronaut"}]
    assert all(s < 0.5 for s in copies)
    flat = extract_features(np.full((300, 400, 3), 128, np.uint8))
    assert idx.candidates(flat, limit=10) == [] or all(s < 0.5 for _, s in idx.candidates(flat, limit=10))


def test_remove_and_replace(library: dict[str, ImageFeatures]) -> None:
    idx, names = _index(library)
    idx.remove(1)
    idx.remove(12345)                       # unknown: no error
    assert len(idx) == len(library) - 1 and 1 not in idx
    assert 1 not in [i for i, _ in idx.candidates(library["astronaut"], limit=20)]
    idx.add(0, library["coffee"])           # same id again: replaced
    assert len(idx) == len(library) - 1
    top = idx.candidates(library["coffee"], limit=2)
    assert {i for i, _ in top} >= {0}


def test_pending_additions_are_searchable_before_a_rebuild(library: dict[str, ImageFeatures]) -> None:
    idx = SimilarityIndex()
    idx.add(1, library["coffee"])
    assert idx.candidates(library["coffee"], limit=5)[0][0] == 1   # builds the inverted index
    idx.add(2, library["crop"])                                      # pending (not rebuilt)
    idx.add(3, library["astronaut"])
    assert [i for i, _ in idx.candidates(library["astronaut"], limit=5)][:2] in ([3, 2], [2, 3])


def test_candidate_pairs(library: dict[str, ImageFeatures]) -> None:
    idx, names = _index(library)
    pairs = idx.candidate_pairs(limit_per_image=5)
    assert pairs.dtype == np.int64 and pairs.ndim == 2 and pairs.shape[1] == 2
    assert (pairs[:, 0] < pairs[:, 1]).all()
    assert len(np.unique(pairs, axis=0)) == len(pairs)
    found = {frozenset((names[a], names[b])) for a, b in pairs}
    for copy in ("crop", "rot4", "mirror", "small"):
        assert frozenset(("astronaut", copy)) in found
    assert len(SimilarityIndex().candidate_pairs(limit_per_image=5)) == 0


def _random_features(n: int, seed: int = 0) -> list[ImageFeatures]:
    """Unrelated images: uniformly random descriptors and hashes (no extras needed here)."""
    rng = np.random.default_rng(seed)
    return [ImageFeatures(phash=rng.integers(0, 2**63, 8, dtype=np.uint64),
                          keypoints=np.zeros((128, 2), np.float32),
                          descriptors=rng.integers(0, 256, (128, 32), dtype=np.uint8),
                          working_size=(512, 384)) for _ in range(n)]


def test_key_length_grows_with_the_library() -> None:
    from desktop_app.engine import index

    assert index.key_bits(1000 * 128) == index.MIN_KEY_BITS
    assert index.key_bits(100_000 * 128) == 20
    assert index.key_bits(10**9) == index.MAX_KEY_BITS
    bits = [index.key_bits(n * 128) for n in (1000, 10_000, 50_000, 100_000, 1_000_000)]
    assert bits == sorted(bits)


def test_candidate_pairs_with_long_keys_find_every_copy_among_unrelated_images(
        library: dict[str, ImageFeatures], monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.engine import index

    monkeypatch.setattr(index, "TARGET_BUCKET", 0.02)   # the key length of a ~100k library
    idx, names = _index(library)
    for k, f in enumerate(_random_features(1500), start=100):
        idx.add(k, f)
    pairs = idx.candidate_pairs(limit_per_image=6)
    assert idx._bits >= 20                                    # really long keys
    found = {frozenset((names.get(a, a), names.get(b, b))) for a, b in pairs}
    for copy in ("crop", "rot4", "mirror", "small"):
        assert frozenset(("astronaut", copy)) in found
    assert len(pairs) < 2 * len(idx)                          # noise stays rare


def test_candidate_pairs_among_some_images_are_what_those_images_choose(
        library: dict[str, ImageFeatures]) -> None:
    idx, names = _index(library)
    for k, f in enumerate(_random_features(300, seed=1), start=100):
        idx.add(k, f)
    full = {tuple(p) for p in idx.candidate_pairs(limit_per_image=6).tolist()}
    astronaut = next(i for i, n in names.items() if n == "astronaut")
    mine = idx.candidate_pairs(limit_per_image=6, among=np.asarray([astronaut]))
    assert {tuple(p) for p in mine.tolist()} <= full
    partners = {b if a == astronaut else a for a, b in mine.tolist() if astronaut in (a, b)}
    assert {names.get(p) for p in partners} >= {"crop", "rot4", "mirror", "small"}
    assert len(idx.candidate_pairs(limit_per_image=6, among=np.asarray([10**6]))) == 0


def test_candidate_pairs_report_progress_and_stop_when_it_raises(
        library: dict[str, ImageFeatures], monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.engine import index

    monkeypatch.setattr(index, "PAIR_BLOCK", 4)
    idx, _ = _index(library)
    seen: list[tuple[int, int]] = []
    idx.candidate_pairs(progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(idx), len(idx)) and len(seen) == -(-len(idx) // 4)

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        idx.candidate_pairs(progress=stop)

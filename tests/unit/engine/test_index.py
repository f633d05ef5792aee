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

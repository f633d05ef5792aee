"""Grouping scored pairs into clusters around originals, without chaining."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.engine.grouping import group_duplicates, original_rank_key
from desktop_app.engine.types import ImageFacts


def test_no_chaining_a_b_c() -> None:
    # A~B and B~C but A and C are not alike: never one group.
    clusters = group_duplicates([1, 2], [2, 3], [95.0, 93.0], threshold=90,
                                rank={1: 0, 2: 1, 3: 2})
    assert clusters == [[(1, 100.0), (2, 95.0)]]


def test_original_is_best_ranked_and_similarities_are_to_it() -> None:
    # B is the best copy; A and C both match B, A~C too (but scores shown are to B).
    clusters = group_duplicates([1, 2, 1], [2, 3, 3], [96.0, 92.0, 99.0], threshold=90,
                                rank={2: 0, 1: 1, 3: 2})
    assert clusters == [[(2, 100.0), (1, 96.0), (3, 92.0)]]


def test_threshold_and_singletons_and_duplicate_pairs() -> None:
    a = np.array([1, 2, 1, 4], np.int64)
    b = np.array([2, 1, 3, 5], np.int64)
    s = np.array([80.0, 91.0, 60.0, 89.9], np.float32)
    assert group_duplicates(a, b, s, threshold=90) == [[(1, 100.0), (2, 91.0)]]
    assert group_duplicates(a, b, s, threshold=95) == []
    assert group_duplicates(a, b, s, threshold=50) == [[(1, 100.0), (2, 91.0), (3, 60.0)],
                                                        [(4, 100.0), (5, 89.9)]]


def test_excluded_pairs_are_never_grouped() -> None:
    clusters = group_duplicates([1, 1], [2, 3], [99.0, 95.0], threshold=90,
                                rank={1: 0, 2: 1, 3: 2}, exclude=[(2, 1)])
    assert clusters == [[(1, 100.0), (3, 95.0)]]


def test_every_member_meets_threshold_to_original_random() -> None:
    rng = np.random.default_rng(3)
    n, m = 300, 3000
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    s = rng.uniform(50, 100, m).astype(np.float32)
    best: dict[tuple[int, int], float] = {}
    for x, y, v in zip(a.tolist(), b.tolist(), s.tolist()):
        if x != y:
            key = (min(x, y), max(x, y))
            best[key] = max(best.get(key, 0.0), v)
    rank = {i: float(rng.uniform()) for i in range(n)}
    clusters = group_duplicates(a, b, s, threshold=85, rank=rank)
    seen: set[int] = set()
    for cluster in clusters:
        original = cluster[0][0]
        assert len(cluster) >= 2
        for member, sim in cluster[1:]:
            key = (min(original, member), max(original, member))
            assert sim == pytest.approx(best[key], abs=0.01) and sim >= 85
            assert rank[original] <= rank[member]
        ids = [i for i, _ in cluster]
        assert not seen.intersection(ids)
        seen.update(ids)


def test_original_rank_rule() -> None:
    def key(w: int, h: int, lossless: bool, size: int, mtime: int, date: str | None = None) -> tuple[object, ...]:
        return original_rank_key(ImageFacts(w, h, "PNG" if lossless else "JPEG", lossless,
                                            date_taken=date), size=size, mtime_ns=mtime)

    assert key(4000, 3000, False, 1, 9) < key(2000, 1500, True, 10**9, 0)  # most pixels
    assert key(100, 100, True, 1, 9) < key(100, 100, False, 10**9, 0)       # then lossless
    assert key(100, 100, False, 2000, 9) < key(100, 100, False, 1000, 0)    # then larger file
    assert key(100, 100, False, 1, 9 * 10**18) > key(100, 100, False, 1, 10**9)  # then older
    # EXIF date taken beats a recent mtime (a copy made today of a 2010 photo).
    assert key(100, 100, False, 1, 1_700_000_000 * 10**9, "2010-05-01T10:00:00") < key(
        100, 100, False, 1, 1_600_000_000 * 10**9)

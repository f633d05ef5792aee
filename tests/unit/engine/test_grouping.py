"""Grouping scored pairs into clusters around originals, without chaining."""

from __future__ import annotations

from typing import Sequence

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
    def key(w: int, h: int, lossless: bool, size: int, mtime: int, date: str | None = None,
            camera: str | None = None) -> tuple[object, ...]:
        return original_rank_key(ImageFacts(w, h, "PNG" if lossless else "JPEG", lossless,
                                            date_taken=date, camera=camera),
                                 size=size, mtime_ns=mtime)

    # Camera metadata first: the camera JPEG before a bigger, lossless export without EXIF.
    assert key(1000, 800, False, 1, 9, "2010-05-01T10:00:00", "Canon EOS") < key(
        2000, 1500, True, 10**9, 0)
    assert key(4000, 3000, False, 1, 9) < key(2000, 1500, True, 10**9, 0)  # then most pixels
    assert key(100, 100, False, 1, 9 * 10**18) > key(100, 100, False, 1, 10**9)  # then older
    # EXIF date taken beats a recent mtime (a copy made today of a 2010 photo).
    assert key(100, 100, False, 1, 1_700_000_000 * 10**9, "2010-05-01T10:00:00") < key(
        100, 100, False, 1, 1_600_000_000 * 10**9)
    # A lossless file and a larger file only break the last ties.
    assert key(100, 100, True, 1, 9) < key(100, 100, False, 10**9, 9)


def test_group_is_not_split_by_a_derivative_first_in_the_order() -> None:
    # 1 = letterboxed export (first in the order), 2 = camera file (the true source),
    # 3 and 4 = copies of the camera file that score below 90 against the letterboxed export.
    a = [1, 1, 2, 2, 2]
    b = [2, 3, 3, 4, 1]
    s = [87.0, 86.0, 99.0, 98.0, 87.0]
    rank = {1: 0, 2: 1, 3: 2, 4: 3}
    plain = group_duplicates(a, b, s, threshold=85, rank=rank)
    assert plain[0][0][0] == 1                       # without a chooser: the export is the centre
    asked: list[tuple[int, list[int]]] = []

    def choose(first: int, candidates: Sequence[int]) -> int:
        asked.append((first, list(candidates)))
        return 2 if 2 in candidates else first

    clusters = group_duplicates(a, b, s, threshold=90, rank=rank, choose_centre=choose)
    assert clusters == [[(2, 100.0), (3, 99.0), (4, 98.0)]]
    clusters = group_duplicates(a, b, s, threshold=85, rank=rank, choose_centre=choose)
    assert clusters == [[(2, 100.0), (3, 99.0), (4, 98.0), (1, 87.0)]]
    assert asked[-1][1][0] == asked[-1][0]


def test_a_chooser_that_keeps_the_first_image_changes_nothing() -> None:
    rng = np.random.default_rng(5)
    n, m = 400, 4000
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    s = rng.uniform(50, 100, m).astype(np.float32)
    rank = {i: float(rng.uniform()) for i in range(n)}
    for threshold in (60, 85, 95):
        plain = group_duplicates(a, b, s, threshold=threshold, rank=rank)
        chosen = group_duplicates(a, b, s, threshold=threshold, rank=rank,
                                  choose_centre=lambda first, candidates: first)
        assert chosen == plain

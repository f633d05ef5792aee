"""Regroup timing: group_duplicates over 10,000 images with realistic pair counts.

Run: ``python tests/benchmarks/bench_grouping.py`` (prints figures; target < 100 ms).
The pairs mimic a cached ScoredPairs down to the floor 50: ~10 candidate pairs per image with
scores spread over 50-100, plus clusters of near-duplicates (bursts, copies).
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from desktop_app.engine.grouping import group_duplicates, original_rank_key, rank_positions
from desktop_app.engine.types import ImageFacts


def make_pairs(n: int, per_image: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    m = n * per_image // 2
    a = rng.integers(0, n, m)
    b = rng.integers(0, n, m)
    score = rng.uniform(50, 80, m)
    # 15 % of images in clusters of 2-8 near-duplicates (scores 85-100)
    extra_a, extra_b, extra_s = [], [], []
    start = 0
    while start < n * 0.15:
        size = int(rng.integers(2, 9))
        ids = np.arange(start, start + size)
        for i in range(size):
            for j in range(i + 1, size):
                extra_a.append(ids[i]); extra_b.append(ids[j]); extra_s.append(rng.uniform(85, 100))
        start += size
    a = np.concatenate([a, extra_a]).astype(np.int64)
    b = np.concatenate([b, extra_b]).astype(np.int64)
    score = np.concatenate([score, extra_s]).astype(np.float32)
    keep = a != b
    return a[keep] + 1, b[keep] + 1, score[keep]


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = np.random.default_rng(2)
    keys = {i + 1: original_rank_key(ImageFacts(int(rng.integers(800, 6000)), 3000, "JPEG", False),
                                     size=int(rng.integers(1, 10**7)), mtime_ns=int(rng.integers(0, 10**18)))
            for i in range(n)}
    t0 = time.perf_counter()
    rank = rank_positions(keys)  # what SearchContext caches once per index generation
    print(f"rank positions for {n} images (once per index change): "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms")
    for per_image in (10, 40):
        a, b, s = make_pairs(n, per_image)
        for threshold in (90.0, 70.0, 50.0):
            times = []
            for _ in range(7):
                t0 = time.perf_counter()
                clusters = group_duplicates(a, b, s, threshold=threshold, rank=rank)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{n} images, {len(a):>7} pairs, threshold {threshold:4.0f}: "
                  f"median {statistics.median(times):6.1f} ms, best {min(times):6.1f} ms, "
                  f"{len(clusters)} groups")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

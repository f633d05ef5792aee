"""Measuring helpers shared by the benchmark scripts (timings, regroup figures, peak RSS)."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np


def nice() -> None:
    """Lower this process's priority: the benchmarks share a small machine."""
    try:
        os.nice(10)
    except OSError:
        pass


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def timed_ms(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Run ``fn`` ``repeats`` times; its durations in ms and its last result."""
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, result


def find_similar_ms(ctx: Any, refs: Sequence[int], *, count: int = 20, seed: int = 0) -> list[float]:
    """find_similar latencies (ms) for ``count`` references drawn at random from ``refs``."""
    rng = np.random.default_rng(seed)
    times = []
    for k in rng.choice(len(refs), size=min(count, len(refs)), replace=False):
        t0 = time.perf_counter()
        ctx.find_similar(refs[int(k)], threshold=70, max_count=20)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def print_regroup(ctx: Any, pairs: Any, *, repeats: int) -> None:
    """Print find_duplicates(pairs=...) group counts and median time at thresholds 90 and 70."""
    for threshold in (90.0, 70.0):
        times, groups = timed_ms(lambda: ctx.find_duplicates(threshold=threshold, pairs=pairs),
                                 repeats)
        print(f"find_duplicates(pairs=...) at {threshold:.0f}: {len(groups)} groups, "
              f"median {statistics.median(times):.1f} ms")

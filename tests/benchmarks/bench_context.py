"""Search-context figures: index throughput, scored pairs, regroup, find_similar, memory.

Run (nice it on a shared machine)::

    python tests/benchmarks/bench_context.py --images 1000 --big 40 --workers 2

Builds a synthetic library in a temporary folder: ``--images`` distinct synthetic "photos"
(random scenes of shapes, gradients, text and texture, 640 px) of which 10 % get a
near-duplicate (resized + recompressed) and 5 % a crop, plus ``--big`` 12 MP JPEGs for decode
throughput. Prints images/s for indexing (cold and incremental), scored-pairs time and pair
counts, regroup time at 90/70, find_similar latency and peak RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import find_similar_ms, peak_rss_mb, print_regroup  # noqa: E402

from desktop_app.context.store import ContextStore  # noqa: E402

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike".split()


def synthetic_photo(seed: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        a, b, d = rng.uniform(-1, 1, 3)
        img[..., c] = 128 + 60 * np.sin(a * xx / 90 + b * yy / 70 + d * 6)
    low = rng.normal(0, 25, (h // 16 + 1, w // 16 + 1, 3)).astype(np.float32)
    img += cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(15, 40))):
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = rng.integers(0, 4)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if kind == 0:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 150)), y + int(rng.integers(10, 150))),
                          color, -1)
        elif kind == 1:
            cv2.ellipse(img, (x, y), (int(rng.integers(5, 80)), int(rng.integers(5, 80))),
                        float(rng.uniform(0, 180)), 0, 360, color, -1)
        elif kind == 2:
            pts = rng.integers(0, [w, h], (int(rng.integers(3, 7)), 2)).astype(np.int32)
            cv2.fillPoly(img, [pts], color)
        else:
            cv2.putText(img, str(rng.choice(WORDS)), (x, y), cv2.FONT_HERSHEY_SIMPLEX,
                        float(rng.uniform(0.5, 2.0)), color, int(rng.integers(1, 4)))
    noise = rng.normal(0, 6, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def build_library(root: Path, n: int, big: int) -> int:
    count = 0
    for i in range(n):
        img = synthetic_photo(i)
        folder = root / f"roll{i // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"img{i:05d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        count += 1
        if i % 10 == 3:
            small = cv2.resize(img, (480, 360), interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(folder / f"img{i:05d}-small.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 70])
            count += 1
        if i % 20 == 7:
            cv2.imwrite(str(folder / f"img{i:05d}-crop.jpg"), img[60:420, 80:560],
                        [cv2.IMWRITE_JPEG_QUALITY, 90])
            count += 1
    for i in range(big):
        img = cv2.resize(synthetic_photo(10**6 + i), (4000, 3000), interpolation=cv2.INTER_CUBIC)
        (root / "big").mkdir(exist_ok=True)
        cv2.imwrite(str(root / "big" / f"big{i:03d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        count += 1
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--big", type=int, default=40, help="12 MP JPEGs for decode throughput")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", help="build/keep the library and database in this folder")
    args = ap.parse_args()

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lookalike-bench-"))
    lib = tmp / "library"
    t0 = time.perf_counter()
    if not lib.exists():
        files = build_library(lib, args.images, args.big)
        print(f"library: {files} files in {time.perf_counter() - t0:.1f} s ({lib})")
    store = ContextStore(tmp / "bench.sqlite")
    try:
        ctx = store.open_or_create("bench")
        if args.big:
            big = store.open_or_create("big")
            big.add_folder(lib / "big")
            t0 = time.perf_counter()
            rep = big.index(workers=args.workers)
            dt = time.perf_counter() - t0
            print(f"index 12 MP JPEGs: {rep.added} in {dt:.1f} s = {rep.added / dt:.1f} images/s "
                  f"({args.workers} workers, incl. pool start)")
        ctx.add_folder(lib)
        t0 = time.perf_counter()
        rep = ctx.index(workers=args.workers)
        dt = time.perf_counter() - t0
        print(f"index 640 px JPEGs: {rep.added + rep.unchanged} images, added {rep.added} in "
              f"{dt:.1f} s = {rep.added / max(dt, 1e-9):.1f} images/s")
        t0 = time.perf_counter()
        rep = ctx.index(workers=args.workers)
        print(f"re-index, nothing changed: {rep.unchanged} unchanged in "
              f"{time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        index = ctx.cache.similarity_index(ctx)
        print(f"similarity index build: {len(index)} images in {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        pairs = ctx.scored_pairs(workers=args.workers)
        dt = time.perf_counter() - t0
        print(f"scored_pairs (first): {len(pairs.a)} pairs >= {pairs.floor:.0f} in {dt:.1f} s")
        ctx.cache.invalidate()
        t0 = time.perf_counter()
        pairs = ctx.scored_pairs()
        print(f"scored_pairs (cached in SQLite, cold memory): {time.perf_counter() - t0:.2f} s")
        print_regroup(ctx, pairs, repeats=5)
        times = find_similar_ms(ctx, [record.id for record in ctx.images()], seed=0)
        print(f"find_similar (indexed reference): median {statistics.median(times):.1f} ms, "
              f"max {max(times):.1f} ms")
        print(f"peak RSS: {peak_rss_mb():.0f} MB; index memory: "
              f"{getattr(index, 'memory_bytes', lambda: 0)() / 1e6:.1f} MB; "
              f"database: {(tmp / 'bench.sqlite').stat().st_size / 1e6:.0f} MB")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

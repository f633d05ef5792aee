"""Context at scale without decoding: open and query a 100,000-image context.

Run (nice it; writes a ~2.5 GB database in a temporary folder, removed at the end)::

    python tests/benchmarks/bench_context_scale.py --images 100000

Phase 1 writes a database directly: ``--images`` image rows whose features are real ORB/pHash
features of sample photos with their bits scrambled per image (realistic sizes and
distributions, all different), plus cached pair scores (5 per image over the floor). Phase 2, in
a fresh process, measures what a user waits for: opening the context (records + similarity
index), find_similar (indexed and external reference), loading the cached pairs, regrouping at
90 and 70, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import find_similar_ms, peak_rss_mb, print_regroup  # noqa: E402


def base_features() -> list:
    from PIL import Image
    from skimage import data

    from desktop_app.engine.analyze import analyze_bytes

    out = []
    names = ["astronaut", "coffee", "chelsea", "rocket", "camera", "cat", "hubble_deep_field",
             "immunohistochemistry", "coins", "moon", "page", "text", "brick", "grass", "gravel"]
    for name in names:
        arr = getattr(data, name)()
        img = Image.fromarray(arr).convert("RGB")
        for angle in (0, 90):
            buf = io.BytesIO()
            img.rotate(angle, expand=True).save(buf, "JPEG", quality=90)
            out.append(analyze_bytes(buf.getvalue(), f"{name}.jpg"))
    return out


def build(db: Path, n: int) -> None:
    from desktop_app.context.indexer import index_view
    from desktop_app.context.store import ContextStore
    from desktop_app.engine.types import ImageFeatures

    rng = np.random.default_rng(0)
    bases = base_features()
    store = ContextStore(db)
    ctx = store.create("scale")
    conn = store.conn()
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    for i in range(1, n + 1):
        base = bases[i % len(bases)]
        f = base.features
        desc = f.descriptors ^ rng.integers(0, 256, f.descriptors.shape, dtype=np.uint8) & \
            rng.integers(0, 256, f.descriptors.shape, dtype=np.uint8)
        feats = ImageFeatures(phash=rng.integers(0, 2**63, 8, dtype=np.uint64),
                              keypoints=f.keypoints, descriptors=desc,
                              working_size=f.working_size, extra=f.extra)
        facts = base.facts
        conn.execute(
            "INSERT INTO images (id, context_id, path, root, size, mtime_ns, content_hash, width,"
            " height, format, lossless, date_taken, camera, orientation, metadata_count,"
            " indexed_at, paired) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)",
            (i, ctx.id, f"/library/roll{i // 500:04d}/IMG_{i:06d}.jpg", "/library",
             int(rng.integers(10**6, 10**7)), int(rng.integers(10**18, 2 * 10**18)),
             f"{i:040x}", facts.width, facts.height, facts.format, int(facts.lossless), None,
             None, 1, 0, "2026-01-01T00:00:00"))
        conn.execute("INSERT INTO features VALUES (?, ?)", (i, feats.to_bytes()))
        conn.execute("INSERT INTO index_features VALUES (?, ?)", (i, index_view(feats).to_bytes()))
        conn.execute("INSERT INTO thumbnails VALUES (?, ?)", (i, base.thumbnail_jpeg))
        if i % 5000 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    a = rng.integers(1, n + 1, 5 * n)
    b = rng.integers(1, n + 1, 5 * n)
    s = rng.uniform(50, 100, 5 * n)
    keep = a != b
    rows = {(min(x, y), max(x, y)): v for x, y, v in zip(a[keep].tolist(), b[keep].tolist(),
                                                          s[keep].tolist())}
    conn.executemany("INSERT INTO pair_scores (context_id, a, b, score) VALUES (?,?,?,?)",
                     [(ctx.id, x, y, v) for (x, y), v in rows.items()])
    conn.execute("COMMIT")
    store.close()
    print(f"built {n} images + {len(rows)} pairs in {time.perf_counter() - t0:.0f} s; "
          f"database {db.stat().st_size / 1e9:.2f} GB")


def query(db: Path) -> None:
    from desktop_app.context.store import ContextStore

    store = ContextStore(db)
    ctx = store.open("scale")
    t0 = time.perf_counter()
    records = ctx.cache.records(ctx)
    t1 = time.perf_counter()
    index = ctx.cache.similarity_index(ctx)
    t2 = time.perf_counter()
    print(f"open: {len(records)} records in {t1 - t0:.1f} s, similarity index in {t2 - t1:.1f} s "
          f"({index.memory_bytes() / 1e6:.0f} MB)")
    times = find_similar_ms(ctx, list(records), seed=1)
    print(f"find_similar, indexed reference: median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms")
    from PIL import Image
    from skimage import data

    ext = Path(tempfile.mkdtemp()) / "query.jpg"
    Image.fromarray(data.astronaut()).resize((3000, 3000)).save(ext, quality=90)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        ctx.find_similar(ext, threshold=70, max_count=20)
        times.append((time.perf_counter() - t) * 1000)
    print(f"find_similar, external 9 MP JPEG (decode included): median "
          f"{statistics.median(times):.0f} ms")
    t = time.perf_counter()
    pairs = ctx.scored_pairs()
    print(f"scored_pairs from SQLite: {len(pairs.a)} pairs in {time.perf_counter() - t:.1f} s")
    print_regroup(ctx, pairs, repeats=3)
    print(f"peak RSS of the querying process: {peak_rss_mb():.0f} MB")
    store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--phase", choices=("all", "build", "query"), default="all")
    ap.add_argument("--db", help="database path (kept); default: a temporary one, removed")
    args = ap.parse_args()
    tmp = None
    if args.db:
        db = Path(args.db)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="lookalike-scale-"))
        db = tmp / "scale.sqlite"
    try:
        if args.phase in ("all", "build") and not db.exists():
            build(db, args.images)
        if args.phase == "query":
            query(db)
        elif args.phase == "all":  # a fresh process: RSS of a user opening the context
            subprocess.run([sys.executable, __file__, "--phase", "query", "--db", str(db)],
                           check=True, env=dict(os.environ))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

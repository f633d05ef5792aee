"""Scale of the product's own path: pair scoring, incremental adds and find_similar at 100,000.

    nice python tests/benchmarks/bench_scale.py [--n 100000] [--pairs-n 100000]
        [--growth 25000,50000] [--add 1000] [--workers 2] [--keep DIR]

Decoding 100,000 photos is not needed to measure what happens after decoding: the real corpus
(``corpus.py``: sample photos, their attacked copies, distractors) is analysed once, then a
context database is written directly with the real images hidden among synthetic *unrelated*
ones. A synthetic image's ORB descriptors are real descriptors of the corpus with every bit
flipped with p = 0.2 (~51 of 256 bits: the same kind of corner, not the same corner: a true
match between copies is within ~10-40 bits). The previous generator flipped 12 bits, so at
100,000 images every real descriptor came back in ~90 synthetic images within 12 bits: the
corpus photos became hubs sharing keys with hundreds of "unrelated" images, which real
unrelated photos are not. Its pHashes are real pHashes with
every bit flipped with p = 0.3 (distance ~19: "looks a bit like" a real photo), its small
grayscale image a real photo's with the 8x8 blocks shuffled, its other features a real photo's.

Then, in a fresh process (so its peak RSS is the product's, not the generator's):

* ``SearchContext.scored_pairs(workers=...)``: the context's pair scoring from scratch
  (candidate generation + verification in the process pool + writing), timed, with the peak
  RSS of the process and of the verification workers;
* candidate recall per attack class: was the (copy, original) pair verified at all;
* incremental: ``--add`` more images (paired = 0, as the indexer leaves them), scored again;
* regrouping at 90 and 70, and ``find_similar`` latency and candidate recall per attack class
  (every copy of the corpus as the query).

``--growth`` runs the pair scoring alone at smaller sizes first, to show how it grows.
(The context's open/query benchmark without pair scoring is ``bench_context_scale.py``.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build as build_corpus  # noqa: E402
from measure import nice, peak_rss_mb  # noqa: E402

from desktop_app.engine.types import AnalyzedImage, ImageFeatures  # noqa: E402

DESCRIPTOR_FLIP = 0.2
PHASH_FLIP = 0.3


class Synth:
    """Makes unrelated-image features whose statistics are those of real photos (see above)."""

    def __init__(self, real: list[ImageFeatures], seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.pool = np.concatenate([f.descriptors for f in real])
        self.kp_pool = np.concatenate([f.keypoints for f in real])
        self.phash = np.stack([f.phash for f in real])
        self.real = real

    def make(self, n_kp: int = 300) -> ImageFeatures:
        rng = self.rng
        flips = np.packbits(rng.random((n_kp, 256)) < DESCRIPTOR_FLIP, axis=1)
        desc = self.pool[rng.integers(0, len(self.pool), n_kp)] ^ flips
        template = self.real[int(rng.integers(0, len(self.real)))]
        ph = self.phash[int(rng.integers(0, len(self.phash)))].copy()
        bits = rng.random((8, 64)) < PHASH_FLIP
        ph ^= (bits.astype(np.uint64) << np.arange(64, dtype=np.uint64)).sum(axis=1).astype(np.uint64)
        extra = dict(template.extra)
        extra["digest"] = rng.integers(0, 256, 16, dtype=np.uint8)
        if "gray" in extra:  # the template's small image with its 8x8 blocks shuffled: its own
            gray = extra["gray"]  # picture (real tones and texture), not a copy of the template's
            h, w = (gray.shape[0] // 8) * 8, (gray.shape[1] // 8) * 8
            blocks = gray[:h, :w].reshape(h // 8, 8, w // 8, 8).swapaxes(1, 2).reshape(-1, 8, 8)
            blocks = blocks[rng.permutation(len(blocks))]
            out = gray.copy()
            out[:h, :w] = blocks.reshape(h // 8, w // 8, 8, 8).swapaxes(1, 2).reshape(h, w)
            extra["gray"] = out
        return ImageFeatures(phash=ph, keypoints=self.kp_pool[rng.integers(0, len(self.kp_pool), n_kp)],
                             descriptors=desc, working_size=template.working_size, extra=extra)


# ------------------------------------------------------------------------------ build phase


def _insert(conn, image_id: int, ctx_id: int, path: str, content_hash: str,  # type: ignore[no-untyped-def]
            analyzed: AnalyzedImage, feats: ImageFeatures) -> None:
    from desktop_app.context.analysis import index_view

    f = analyzed.facts
    conn.execute(
        "INSERT INTO images (id, context_id, path, root, size, mtime_ns, content_hash, width,"
        " height, format, lossless, date_taken, camera, orientation, metadata_count,"
        " indexed_at, paired) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
        (image_id, ctx_id, path, "/library", analyzed.size, image_id, content_hash, f.width,
         f.height, f.format, int(f.lossless), None, None, 1, 0, "2026-01-01T00:00:00"))
    conn.execute("INSERT INTO features VALUES (?, ?)", (image_id, feats.to_bytes()))
    conn.execute("INSERT INTO index_features VALUES (?, ?)", (image_id, index_view(feats).to_bytes()))
    conn.execute("INSERT INTO thumbnails VALUES (?, ?)", (image_id, b"\xff\xd8\xff\xd9"))


def analyse_corpus(out: Path, workers: int) -> tuple[list, list[AnalyzedImage]]:
    from desktop_app.engine.analyze import analyze_file

    items = build_corpus(out)
    with ProcessPoolExecutor(workers, initializer=nice) as pool:
        analysed = list(pool.map(analyze_file, [it.path for it in items], chunksize=4))
    return items, analysed


def build_db(db: Path, n: int, extra: int, corpus_dir: Path, workers: int) -> None:
    """A context of ``n`` images (the corpus among synthetic ones) + ``extra`` held back."""
    from desktop_app.context.store import ContextStore

    items, analysed = analyse_corpus(corpus_dir, workers)
    synth = Synth([a.features for a in analysed])
    store = ContextStore(db)
    ctx = store.create("scale")
    held_back = store.create("held")  # the incremental step moves its images into "scale"
    conn = store.conn()
    t0 = time.perf_counter()
    rng = np.random.default_rng(1)
    # real images at random places among the synthetic ones (ids = insertion order)
    slots = set(rng.choice(n, size=len(items), replace=False).tolist())
    labels: dict[int, dict[str, str]] = {}
    real_iter = iter(range(len(items)))
    conn.execute("BEGIN")
    for image_id in range(1, n + extra + 1):
        ctx_id = ctx.id if image_id <= n else held_back.id
        if image_id - 1 in slots:
            k = next(real_iter)
            a = analysed[k]
            _insert(conn, image_id, ctx_id, items[k].path, a.content_hash, a, a.features)
            it = items[k]
            labels[image_id] = {"photo": it.photo, "scene": it.scene, "attack": it.attack,
                                "kind": it.kind}
        else:
            template = analysed[image_id % len(analysed)]
            _insert(conn, image_id, ctx_id, f"/library/synthetic/{image_id:07d}.jpg",
                    f"{image_id:040x}", template, synth.make())
        if image_id % 5000 == 0:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    store.close()
    (db.parent / "labels.json").write_text(json.dumps(labels))
    print(f"  built {n:,} images (+{extra:,} held back) in {time.perf_counter() - t0:.0f} s; "
          f"database {db.stat().st_size / 1e9:.2f} GB", flush=True)


def reset_db(db: Path, size: int) -> None:
    """Forget every pair score and put the held-back images back (a fresh first run)."""
    import sqlite3

    conn = sqlite3.connect(db)
    ids = dict(conn.execute("SELECT name, id FROM contexts").fetchall())
    with conn:
        conn.execute("DELETE FROM pair_scores")
        conn.execute("UPDATE images SET paired=0")
        if "held" in ids:
            conn.execute("UPDATE images SET context_id=? WHERE id>?", (ids["held"], size))
    conn.close()


# ------------------------------------------------------------------------------ pairs phase


class ChildPeak(threading.Thread):
    """Largest peak RSS (VmHWM) seen among this process's descendants (the verification
    workers: on Linux children of the forkserver, itself our child), sampled every second from
    /proc (Linux; 0 elsewhere). ``RUSAGE_CHILDREN`` can't tell: a spawned child's maximum
    includes the parent's pages it shared between fork and exec."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        me = str(os.getpid())
        while not self.stopped.wait(1.0):
            parent: dict[str, str] = {}
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    parent[stat.parent.name] = stat.read_text().rsplit(")", 1)[1].split()[1]
                except (OSError, IndexError):
                    continue
            for pid in parent:
                ancestor, hops = parent.get(pid, ""), 0
                while ancestor not in ("", me, "0", "1") and hops < 8:
                    ancestor, hops = parent.get(ancestor, ""), hops + 1
                if ancestor != me:
                    continue
                try:
                    for line in (Path("/proc") / pid / "status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                except (OSError, IndexError, ValueError):
                    continue

    @property
    def mb(self) -> float:
        return self.peak_kb / 1024


def recall_by_attack(labels: dict[int, dict[str, str]], found: set[tuple[int, int]]
                     ) -> tuple[float, dict[str, float]]:
    originals = {v["photo"]: i for i, v in labels.items() if v["kind"] == "original"}
    hits: dict[str, list[bool]] = defaultdict(list)
    for i, v in labels.items():
        if v["kind"] in ("original", "distractor"):
            continue
        o = originals[v["scene"] if v["kind"] == "scene" else v["photo"]]
        hits[v["attack"]].append((min(i, o), max(i, o)) in found)
    overall = float(np.mean([h for v in hits.values() for h in v]))
    return overall, {a: float(np.mean(v)) for a, v in hits.items()}


def _misses(per_attack: dict[str, float]) -> str:
    low = {a: r for a, r in per_attack.items() if r < 1}
    return "; per class below 1: " + ", ".join(f"{a} {r:.2f}" for a, r in sorted(low.items())) \
        if low else "; every class 1.00"


def run_pairs(db: Path, workers: int, full: bool) -> None:
    from desktop_app.context.store import ContextStore
    from desktop_app.engine.progress import Progress

    labels = {int(k): v for k, v in json.loads((db.parent / "labels.json").read_text()).items()}
    store = ContextStore(db)
    ctx = store.open("scale")
    n = ctx.image_count()
    last = [0.0]

    def progress(p: Progress) -> None:
        now = time.monotonic()
        if now - last[0] > 15 or p.done == p.total:
            last[0] = now
            eta = f", ETA {p.eta_seconds:.0f} s" if p.eta_seconds is not None else ""
            print(f"    {p.current}: {p.done:,}/{p.total:,} at {p.rate:,.0f}/s{eta}", flush=True)

    children = ChildPeak()
    children.start()
    t0 = time.perf_counter()
    pairs = ctx.scored_pairs(workers=workers, progress=progress)
    total = time.perf_counter() - t0
    children.stopped.set()
    conn = store.conn()
    verified = conn.execute("SELECT COUNT(*) FROM pair_scores").fetchone()[0]
    print(f"{n:,} images: scored_pairs from scratch {total:.0f} s on {workers} workers "
          f"({verified:,} pairs verified, {verified / n:.1f}/image, {len(pairs.a):,} >= 50); "
          f"total on 2 cores ~{total:.0f} s", flush=True)
    print(f"peak RSS {peak_rss_mb():.0f} MB (each verification worker at most {children.mb:.0f} MB)",
          flush=True)
    found = {(int(a), int(b)) for a, b in conn.execute("SELECT a, b FROM pair_scores")}
    overall, per = recall_by_attack(labels, found)
    print(f"  candidate recall (copy-original pair verified): {overall:.3f}{_misses(per)}")
    if not full:
        store.close()
        return
    # -- incremental: the held-back images join, as an index run leaves them (paired = 0)
    held = store.open("held")
    added = held.image_count()
    added_ids = {r[0] for r in conn.execute("SELECT id FROM images WHERE context_id=?", (held.id,))}
    before_gen = ctx.generation()
    conn.execute("BEGIN")
    conn.execute("UPDATE images SET context_id=? WHERE context_id=?", (ctx.id, held.id))
    conn.execute("UPDATE contexts SET generation = generation + 1 WHERE id=?", (ctx.id,))
    conn.execute("COMMIT")
    ctx.cache.apply(ctx, before_gen, added_ids, set())  # what an index run does after adding
    before = verified
    t0 = time.perf_counter()
    ctx.scored_pairs(workers=workers)
    t_add = time.perf_counter() - t0
    verified = conn.execute("SELECT COUNT(*) FROM pair_scores").fetchone()[0]
    print(f"incremental: {added:,} images added to {n:,}: scored in {t_add:.1f} s "
          f"({verified - before:,} new pairs verified)", flush=True)
    t0 = time.perf_counter()
    pairs = ctx.scored_pairs()
    print(f"scored_pairs again (nothing new): {time.perf_counter() - t0:.2f} s, "
          f"{len(pairs.a):,} pairs", flush=True)
    for threshold in (90.0, 70.0):
        t0 = time.perf_counter()
        groups = ctx.find_duplicates(threshold=threshold, pairs=pairs)
        print(f"regroup at {threshold:.0f}: {len(groups):,} groups in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    # -- find_similar with every copy of the corpus as the query
    from desktop_app.context.search import SIMILAR_CANDIDATES_MIN

    index = ctx.cache.similarity_index(ctx)
    times, cand, final = [], set(), set()
    for i, v in labels.items():
        if v["kind"] in ("original", "distractor"):
            continue
        t0 = time.perf_counter()
        # every copy of a photo is similar to every other (~35 of them): ask for enough
        # results that the original is not cut off by the count
        results = ctx.find_similar(i, threshold=70, max_count=60)
        times.append((time.perf_counter() - t0) * 1000)
        for r in results:
            final.add((min(i, r.image.id), max(i, r.image.id)))
        for c, _ in index.candidates(ctx.features(i), limit=max(SIMILAR_CANDIDATES_MIN, 120),
                                     exclude=i):
            cand.add((min(i, c), max(i, c)))
    overall, per = recall_by_attack(labels, cand)
    print(f"find_similar at {ctx.image_count():,}: median {statistics.median(times):.0f} ms, "
          f"max {max(times):.0f} ms; candidate recall {overall:.3f}{_misses(per)}")
    overall, per = recall_by_attack(labels, final)
    print(f"  found at >= 70: {overall:.3f}{_misses(per)}")
    print(f"peak RSS {peak_rss_mb():.0f} MB (after incremental, regroup and find_similar)")
    store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="library size for the full run")
    ap.add_argument("--pairs-n", type=int, default=None, help="same as --n (kept for old commands)")
    ap.add_argument("--growth", default="25000,50000", help="smaller sizes scored first ('' for none)")
    ap.add_argument("--add", type=int, default=1000, help="images added for the incremental step")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", type=Path, help="work folder (kept); default: a temporary one")
    ap.add_argument("--phase", choices=("all", "build", "pairs"), default="all", help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    nice()
    if args.phase == "build":
        build_db(args.db, args.size, args.add if args.full else 0, args.db.parent.parent / "corpus",
                 args.workers)
        return 0
    if args.phase == "pairs":
        run_pairs(args.db, args.workers, args.full)
        return 0
    n = args.pairs_n or args.n
    work = args.keep or Path(tempfile.mkdtemp(prefix="lookalike_scale_"))
    sizes = [int(s) for s in args.growth.split(",") if s.strip() and int(s) < n] + [n]
    try:
        for size in sizes:
            full = size == n
            db = work / f"n{size}" / "scale.sqlite"
            print(f"== {size:,} images", flush=True)
            if db.exists():  # kept from an earlier run: score again from scratch
                reset_db(db, size)
            else:
                db.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run([sys.executable, __file__, "--phase", "build", "--db", str(db),
                                "--size", str(size), "--add", str(args.add), "--workers",
                                str(args.workers)] + (["--full"] if full else []), check=True)
            subprocess.run([sys.executable, __file__, "--phase", "pairs", "--db", str(db),
                            "--workers", str(args.workers)] + (["--full"] if full else []),
                           check=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

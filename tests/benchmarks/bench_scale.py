"""Scale of the engine's candidate index: memory and latency at 100,000 images, all pairs at 10,000.

    python tests/benchmarks/bench_scale.py [--out DIR] [--n 100000] [--pairs-n 10000]

Decoding 100,000 photos is not needed to measure the index: the real corpus (see
``corpus.py``) is analysed once, then synthetic *unrelated* images are made by sampling real
ORB descriptors from the whole corpus (each with a few bits flipped, so the bucket statistics
are those of real photos) and real pHashes with bits flipped. The real copies are hidden among
them; the script reports

* ``SimilarityIndex`` memory for N images and process RSS,
* ``candidates()`` latency and the recall of each attack among the top 60 candidates
  (what ``find_similar`` verifies) at N images,
* ``candidate_pairs()`` + ``compare_features`` on every candidate for a 10,000-image library
  (the work behind ``find_duplicates``), extrapolated to 2 cores.

(The search context's own end-to-end scale benchmark is ``bench_context_scale.py``.)
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import build  # noqa: E402
from measure import nice  # noqa: E402

from desktop_app.engine.analyze import analyze_file  # noqa: E402
from desktop_app.engine.index import SimilarityIndex  # noqa: E402
from desktop_app.engine.similarity import compare_features  # noqa: E402
from desktop_app.engine.types import ImageFeatures  # noqa: E402


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Synth:
    """Makes unrelated-image features whose descriptor statistics are those of real photos."""

    def __init__(self, real: list[ImageFeatures], seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.pool = np.concatenate([f.descriptors for f in real])
        self.kp_pool = np.concatenate([f.keypoints for f in real])
        self.phash = np.stack([f.phash for f in real])
        self.real = real

    def make(self, n_kp: int = 500) -> ImageFeatures:
        rng = self.rng
        desc = self.pool[rng.integers(0, len(self.pool), n_kp)].copy()
        # flip ~12 of 256 bits per descriptor: another observation of a similar corner
        flips = rng.integers(0, 256, (n_kp, 12))
        np.bitwise_xor.at(desc, (np.repeat(np.arange(n_kp), 12), flips.ravel() // 8),
                          (1 << (flips.ravel() % 8)).astype(np.uint8))
        template = self.real[int(rng.integers(0, len(self.real)))]
        # a real photo's hashes with each bit flipped with p = 0.3: "looks a bit like" it
        # (distance ~19), a harder background than uniform random hashes (distance ~32)
        ph = self.phash[int(rng.integers(0, len(self.phash)))].copy()
        bits = rng.random((8, 64)) < 0.3
        ph ^= (bits.astype(np.uint64) << np.arange(64, dtype=np.uint64)).sum(axis=1).astype(np.uint64)
        extra = dict(template.extra)
        extra["digest"] = rng.integers(0, 256, 16, dtype=np.uint8)
        return ImageFeatures(phash=ph, keypoints=self.kp_pool[rng.integers(0, len(self.kp_pool), n_kp)],
                             descriptors=desc, working_size=template.working_size, extra=extra)


def main(argv: list[str] | None = None) -> int:  # noqa: C901 - a linear script
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="corpus directory (kept); default: a temp dir")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--pairs-n", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    nice()
    tmp = tempfile.TemporaryDirectory(prefix="lookalike_corpus_") if args.out is None else None
    out = Path(tmp.name) if tmp else args.out
    items = build(out)
    with ProcessPoolExecutor(args.workers, initializer=nice) as pool:
        real = [a.features for a in pool.map(analyze_file, [it.path for it in items], chunksize=4)]
    print(f"real corpus: {len(real)} images")
    synth = Synth(real)
    rss0 = _rss_mb()

    # -- N-image index ---------------------------------------------------------------------------
    idx = SimilarityIndex()
    n_syn = args.n - len(real)
    batch = [synth.make() for _ in range(min(3000, n_syn))]
    t0 = time.perf_counter()
    for i, f in enumerate(real):
        idx.add(i, f)
    for j in range(n_syn):      # a batch of synthetic features reused (index memory is what counts)
        idx.add(len(real) + j, batch[j % len(batch)])
    t_add = time.perf_counter() - t0
    del batch
    t0 = time.perf_counter()
    idx.candidates(real[0], limit=60)          # the first query builds the inverted index
    t_build = time.perf_counter() - t0
    print(f"index {len(idx):,} images: add {t_add:.1f} s, build {t_build:.2f} s, "
          f"index memory {idx.memory_bytes() / 2**20:.0f} MB ({idx.memory_bytes() / len(idx):.0f} B/image), "
          f"process RSS {_rss_mb():.0f} MB (+{_rss_mb() - rss0:.0f} MB for the index)")

    originals = {it.photo: i for i, it in enumerate(items) if it.kind == "original"}
    lat = []
    found: dict[str, list[bool]] = defaultdict(list)
    for i, it in enumerate(items):
        if it.kind in ("original", "distractor"):
            continue
        o = originals[it.photo] if it.kind != "scene" else originals[it.scene]
        t0 = time.perf_counter()
        cands = idx.candidates(real[i], limit=60, exclude=i)
        lat.append(time.perf_counter() - t0)
        found[it.attack].append(o in {c for c, _ in cands})
    lat_ms = np.array(lat) * 1000
    print(f"candidates(limit=60) at {len(idx):,}: median {np.median(lat_ms):.1f} ms, "
          f"p95 {np.percentile(lat_ms, 95):.1f} ms")
    miss = {a: 1 - float(np.mean(v)) for a, v in found.items() if np.mean(v) < 1}
    print(f"original among the top-60 candidates of its copy: "
          f"{np.mean([x for v in found.values() for x in v]):.3f}"
          + (f"; misses: {', '.join(f'{a} {m:.0%}' for a, m in sorted(miss.items()))}" if miss else ""))
    # find_similar = candidates + verify the top 60 (features come from the store)
    spare = [synth.make() for _ in range(60)]
    times = []
    for name in ("astronaut", "coffee", "camera", "moon"):
        q = real[originals[name]]
        t0 = time.perf_counter()
        for n_c, (c, _) in enumerate(idx.candidates(q, limit=60)):
            compare_features(q, real[c] if c < len(real) else spare[n_c])
        times.append(time.perf_counter() - t0)
    print(f"find_similar-like query (candidates + up to 60 verifications) at {len(idx):,}: "
          f"median {np.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    del idx

    # -- all pairs of a 10k library ----------------------------------------------------------------
    n2 = args.pairs_n
    t0 = time.perf_counter()
    feats = list(real) + [synth.make() for _ in range(n2 - len(real))]
    print(f"(made {n2 - len(real):,} synthetic feature sets in {time.perf_counter() - t0:.0f} s)")
    idx2 = SimilarityIndex()
    for i, f in enumerate(feats):
        idx2.add(i, f)
    t0 = time.perf_counter()
    pairs = idx2.candidate_pairs(limit_per_image=12)
    t_pairs = time.perf_counter() - t0
    # Synthetic descriptors are resampled from the real images, so a probe would find false
    # correspondences a real unrelated photo never offers: a pair with a synthetic image is
    # verified against a real photo of another scene instead (the cost of a real rejection).
    scenes = [it.scene for it in items]
    heads = [i for i, it in enumerate(items) if it.kind in ("original", "distractor")]

    def partner(x: int, other: int) -> ImageFeatures:
        if x < len(real):
            return feats[x]
        ref = scenes[other] if other < len(real) else None
        pick = [h for h in heads if scenes[h] != ref]
        return real[pick[x % len(pick)]]

    t0 = time.perf_counter()
    n_scored = 0
    for a, b in pairs:
        if compare_features(partner(int(a), int(b)), partner(int(b), int(a))).score >= 50:
            n_scored += 1
    t_verify = time.perf_counter() - t0
    print(f"{n2:,} images: candidate_pairs {t_pairs:.1f} s -> {len(pairs):,} pairs "
          f"({len(pairs) / n2:.1f}/image); verify {t_verify:.1f} s in one process "
          f"({t_verify / max(1, len(pairs)) * 1000:.2f} ms/pair), {n_scored:,} pairs >= 50; "
          f"total on 2 cores ~{t_pairs + t_verify / 2:.0f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

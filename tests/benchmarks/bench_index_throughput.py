"""Index throughput against the decode-only floor on 12 MP camera-size JPEGs, side by side.

    nice python tests/benchmarks/bench_index_throughput.py [--images 48] [--workers 2] [--rounds 5]

Writes ``--images`` 12 MP JPEGs (4000 x 3000, quality 92) in a temporary folder: scikit-image's
sample photos upscaled, with a little sensor-like noise so they compress like camera files
(~3-4 MB), not like smooth upscales. Then, alternating ``--rounds`` times so a busy machine
hurts both alike:

* **floor** - what no indexer can beat: read each file and decode it with Pillow's DCT-scaled
  draft decode (the same 1/8 scale the engine uses), on ``--workers`` processes;
* **index** - ``SearchContext.index(workers=...)`` on the folder from scratch: read, content
  hash, decode, features, thumbnail, results written to SQLite.

Prints both rates (images/s, median of the rounds) and their ratio, the median of each round's
own ratio (steadier on a busy machine), then where one image's time
goes in a single process (read, hash, decode, features, thumbnail, serialise).

The floor's workers are started and warmed before its clock starts. The index's are not: on
Linux they are forked from a server process that imports and warms up the engine once per
session (see ``desktop_app.context.pool``), so round 1 pays that start (~0.3 s, a "cold" first
index of a session) and later rounds don't; both are printed next to the median.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import nice  # noqa: E402

SOURCES = ["astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "retina", "cat",
           "immunohistochemistry"]
SIZE = (4000, 3000)


def make_jpeg(args: tuple[str, int, Path]) -> str:
    from skimage import data

    name, seed, folder = args
    arr = getattr(data, name)() if name != "motorcycle_left" else data.stereo_motorcycle()[0]
    img = Image.fromarray(arr[..., :3] if arr.ndim == 3 else np.dstack([arr] * 3)).convert("RGB")
    rng = np.random.default_rng(seed)
    # a different framing per file, so the files are not copies of each other
    w, h = img.size
    s = rng.uniform(0.7, 1.0)
    cw, ch = int(w * s), int(h * s)
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    big = img.crop((x0, y0, x0 + cw, y0 + ch)).resize(SIZE, Image.Resampling.BICUBIC)
    pixels = np.asarray(big, np.int16) + rng.normal(0, 4, (SIZE[1], SIZE[0], 1)).astype(np.int16)
    out = folder / f"IMG_{seed:04d}.jpg"
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=92)
    return str(out)


def decode_only(path: str) -> tuple[int, int]:
    """The floor: read the file, then Pillow's DCT-scaled decode at the engine's scale."""
    from desktop_app.engine.decode import DRAFT_MIN_LONG_SIDE

    with open(path, "rb") as fh:
        data = fh.read()
    img = Image.open(io.BytesIO(data))
    w, h = img.size
    scale = DRAFT_MIN_LONG_SIDE / max(w, h)
    img.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
    img.load()
    return img.size


def floor_rate(paths: list[str], workers: int) -> float:
    with ProcessPoolExecutor(workers, initializer=nice) as pool:
        list(pool.map(decode_only, paths[:workers]))          # workers started and warm
        t0 = time.perf_counter()
        list(pool.map(decode_only, paths, chunksize=1))
        return len(paths) / (time.perf_counter() - t0)


def index_rate(folder: Path, workers: int, db_dir: Path) -> float:
    from desktop_app.context.store import ContextStore

    shutil.rmtree(db_dir, ignore_errors=True)
    db_dir.mkdir(parents=True)
    with ContextStore(db_dir / "throughput.sqlite") as store:
        ctx = store.create("throughput", [folder])
        t0 = time.perf_counter()
        report = ctx.index(workers=workers)
        seconds = time.perf_counter() - t0
    assert report.added == len(list(folder.glob("*.jpg"))), report
    return report.added / seconds


def breakdown(path: str) -> dict[str, float]:
    """Milliseconds per step for one image in this process (median of a few runs)."""
    from desktop_app.context.analysis import index_view
    from desktop_app.engine.analyze import content_hash, make_thumbnail
    from desktop_app.engine.decode import decode_bytes
    from desktop_app.engine.features import extract_features

    steps: dict[str, list[float]] = {k: [] for k in
                                     ("read", "hash", "decode", "features", "thumbnail", "serialise")}
    for _ in range(5):
        t = [time.perf_counter()]
        data = Path(path).read_bytes()
        t.append(time.perf_counter())
        content_hash(data)
        t.append(time.perf_counter())
        decoded = decode_bytes(data, path)
        t.append(time.perf_counter())
        feats = extract_features(decoded.rgb, true_size=(decoded.width, decoded.height))
        t.append(time.perf_counter())
        make_thumbnail(decoded.rgb)
        t.append(time.perf_counter())
        feats.to_bytes()
        index_view(feats).to_bytes()
        t.append(time.perf_counter())
        for k, name in enumerate(steps):
            steps[name].append((t[k + 1] - t[k]) * 1000)
    return {k: statistics.median(v) for k, v in steps.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=48)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)  # a shared machine: several short, alternating rounds
    args = ap.parse_args(argv)
    nice()
    work = Path(tempfile.mkdtemp(prefix="lookalike_throughput_"))
    try:
        folder = work / "photos"
        folder.mkdir()
        t0 = time.perf_counter()
        jobs = [(SOURCES[i % len(SOURCES)], i, folder) for i in range(args.images)]
        with ProcessPoolExecutor(args.workers, initializer=nice) as pool:
            paths = list(pool.map(make_jpeg, jobs))
        mb = sum(Path(p).stat().st_size for p in paths) / len(paths) / 1e6
        print(f"{len(paths)} JPEGs of {SIZE[0]}x{SIZE[1]} ({mb:.1f} MB each) written in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        floors, indexes = [], []
        for r in range(args.rounds):
            floors.append(floor_rate(paths, args.workers))
            indexes.append(index_rate(folder, args.workers, work / "db"))
            print(f"  round {r + 1}: floor {floors[-1]:.1f} images/s, index {indexes[-1]:.1f} "
                  f"images/s", flush=True)
        floor, index = statistics.median(floors), statistics.median(indexes)
        print(f"decode-only floor: {floor:.1f} images/s on {args.workers} processes")
        print(f"index throughput:  {index:.1f} images/s on {args.workers} processes")
        print(f"ratio index / floor: {index / floor:.2f}")
        # Each round's own ratio, then their median: other jobs that slow a round slow both its
        # halves, while the two medians above may come from different rounds.
        ratios = sorted(i / f for i, f in zip(indexes, floors))
        print(f"  paired: median of the rounds' own ratios {statistics.median(ratios):.2f} "
              f"(rounds {ratios[0]:.2f}-{ratios[-1]:.2f})")
        if len(indexes) > 1:
            warm = statistics.median(indexes[1:])
            print(f"  first round (worker server cold): {indexes[0]:.1f} images/s, ratio "
                  f"{indexes[0] / floors[0]:.2f}; later rounds (warm): {warm:.1f} images/s, ratio "
                  f"{warm / statistics.median(floors[1:]):.2f}")
        steps = breakdown(paths[0])
        print("one image in one process: " + ", ".join(f"{k} {v:.1f} ms" for k, v in steps.items())
              + f" (total {sum(steps.values()):.1f} ms)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Accuracy and speed of duplicate finding on a corpus of real photos and their copies.

    python tests/benchmarks/bench_accuracy.py [--out DIR] [--workers N] [--no-context]

Builds the corpus (see ``corpus.py``) in DIR (default: a temp dir), then measures

* the engine directly: ``analyze_file`` in a process pool, ``SimilarityIndex.candidate_pairs``,
  ``compare_features`` on every candidate, non-chaining grouping around the best copy;
* the product, if the search context is available: ``ctx.index`` + ``ctx.find_duplicates``;
* the ``imagehash`` pHash baseline on the same corpus (similarity = 100 * (1 - d / 64)).

Prints pairwise precision / recall / F1 at thresholds 90 and 70, recall per attack, the score
range per attack, throughput, find_duplicates time and peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import ATTACKS, Item, build  # noqa: E402
from measure import nice  # noqa: E402

from desktop_app.engine.analyze import analyze_file  # noqa: E402
from desktop_app.engine.index import SimilarityIndex  # noqa: E402
from desktop_app.engine.similarity import compare_features  # noqa: E402
from desktop_app.engine.types import AnalyzedImage  # noqa: E402

Pair = tuple[int, int]


def analyze_all(items: list[Item], workers: int) -> tuple[list[AnalyzedImage], float]:
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers, initializer=nice) as pool:
        res = list(pool.map(analyze_file, [it.path for it in items], chunksize=4))
    return res, time.perf_counter() - t0


def quality_order(images: list[AnalyzedImage]) -> list[int]:
    """Best copy first: most pixels, lossless, larger file (the documented default rule)."""
    return sorted(range(len(images)), key=lambda i: (-images[i].facts.pixels, not images[i].facts.lossless,
                                                     -images[i].size, images[i].path))


def group(order: list[int], scores: dict[Pair, float], threshold: float) -> list[list[int]]:
    """Non-chaining groups: every member meets the threshold against the group's original."""
    nbrs: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (a, b), s in scores.items():
        if s >= threshold:
            nbrs[a].append((b, s))
            nbrs[b].append((a, s))
    taken: set[int] = set()
    groups = []
    for i in order:
        if i in taken or i not in nbrs:
            continue
        members = [j for j, _ in nbrs[i] if j not in taken]
        if members:
            taken.add(i)
            taken.update(members)
            groups.append([i, *members])
    return groups


def product_group(images: list[AnalyzedImage], order: list[int], scores: dict[Pair, float],
                  threshold: float) -> list[list[int]]:
    """The product's grouping (engine.grouping, default best-copy rule) when present, else :func:`group`."""
    try:
        from desktop_app.engine.grouping import group_duplicates, original_rank_key
    except ImportError:
        return group(order, scores, threshold)
    keys = list(scores)
    rank = {i: original_rank_key(im.facts, size=im.size, mtime_ns=im.mtime_ns, path=im.path)
            for i, im in enumerate(images)}
    clusters = group_duplicates([k[0] for k in keys], [k[1] for k in keys], [scores[k] for k in keys],
                                threshold=threshold, rank=rank)
    return [[m for m, _ in c] for c in clusters]


def pairs_of(groups: list[list[int]]) -> set[Pair]:
    out = set()
    for g in groups:
        for a, b in itertools.combinations(sorted(g), 2):
            out.add((a, b))
    return out


def evaluate(items: list[Item], groups90: list[list[int]], groups70: list[list[int]]) -> dict:
    n = len(items)
    minorish = {i for i, it in enumerate(items) if it.kind in ("original", "minor")}
    by_photo: dict[str, list[int]] = defaultdict(list)
    by_scene: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        by_photo[it.photo].append(i)
        by_scene[it.scene].append(i)
    p90 = {p for g in by_photo.values() for p in itertools.combinations(sorted(set(g) & minorish), 2)}
    p70 = {p for g in by_scene.values() for p in itertools.combinations(sorted(g), 2)}
    got90, got70 = pairs_of(groups90), pairs_of(groups70)
    same_photo = lambda p: items[p[0]].photo == items[p[1]].photo  # noqa: E731
    same_scene = lambda p: items[p[0]].scene == items[p[1]].scene  # noqa: E731

    def prf(got: set[Pair], ok: Callable, pos: set[Pair]) -> tuple[float, float, float, int]:
        tp_prec = sum(1 for p in got if ok(p))
        prec = tp_prec / len(got) if got else 1.0
        rec = len(got & pos) / len(pos) if pos else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return prec, rec, f1, len(got) - tp_prec

    originals = {it.photo: i for i, it in enumerate(items) if it.kind == "original"}
    per_attack: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for i, it in enumerate(items):
        if it.kind in ("original", "distractor"):
            continue
        o = originals.get(it.photo) if it.kind != "scene" else originals.get(it.scene)
        if o is None:
            continue
        p = (min(i, o), max(i, o))
        per_attack[it.attack].append((p in got90, p in got70))
    minor_pairs = [v for a, vs in per_attack.items() for v in vs if _kind(a) == "minor"]
    all_pairs = [v for a, vs in per_attack.items() for v in vs if _kind(a) != "scene"]
    return {
        "n": n, "at90": prf(got90, same_photo, p90), "at70": prf(got70, same_scene, p70),
        "per_attack": per_attack,
        "minor_recall90": float(np.mean([v[0] for v in minor_pairs])) if minor_pairs else 0.0,
        "all_recall70": float(np.mean([v[1] for v in all_pairs])) if all_pairs else 0.0,
        "scene90": sum(v[0] for a, vs in per_attack.items() if _kind(a) == "scene" for v in vs),
        "scene70": float(np.mean([v[1] for a, vs in per_attack.items() if _kind(a) == "scene" for v in vs])),
    }


def _kind(attack: str) -> str:
    if attack in ATTACKS:
        return ATTACKS[attack][0]
    return {"upscale 12MP": "minor", "stereo pair": "scene", "burst frame": "scene"}.get(attack, "other")


def engine_scores(images: list[AnalyzedImage]) -> tuple[dict[Pair, float], float, int]:
    t0 = time.perf_counter()
    idx = SimilarityIndex()
    for i, im in enumerate(images):
        idx.add(i, im.features)
    cands = idx.candidate_pairs(limit_per_image=10)
    scores: dict[Pair, float] = {}
    for a, b in cands:
        c = compare_features(images[a].features, images[b].features)
        if c.score >= 50:
            scores[(int(a), int(b))] = c.score
    return scores, time.perf_counter() - t0, len(cands)


def imagehash_scores(items: list[Item]) -> tuple[dict[Pair, float], float]:
    import imagehash
    from PIL import Image, ImageOps

    t0 = time.perf_counter()
    hashes = []
    for it in items:
        with Image.open(it.path) as im:
            hashes.append(imagehash.phash(ImageOps.exif_transpose(im)))
    scores = {}
    for a, b in itertools.combinations(range(len(items)), 2):
        s = 100.0 * (1 - (hashes[a] - hashes[b]) / 64.0)
        if s >= 50:
            scores[(a, b)] = s
    return scores, time.perf_counter() - t0


def context_groups(corpus_dir: Path, items: list[Item], workers: int) -> dict | None:
    try:
        from desktop_app.context.store import ContextStore
    except Exception as exc:  # the context may not exist yet
        print(f"  (context unavailable: {type(exc).__name__}: {exc})")
        return None
    index_of = {os.path.realpath(it.path): i for i, it in enumerate(items)}
    with tempfile.TemporaryDirectory() as tmp:
        store = ContextStore(Path(tmp) / "bench.sqlite")
        try:
            ctx = store.create("bench", folders=[str(corpus_dir)])
            t0 = time.perf_counter()
            report = ctx.index(workers=workers)
            t_index = time.perf_counter() - t0
            out: dict = {"index_s": t_index, "indexed": report.added, "skipped": len(report.skipped)}
            groups = {}
            for t in (90.0, 70.0):        # the first call scores the pairs (cold), then cached
                t0 = time.perf_counter()
                clusters = ctx.find_duplicates(threshold=t)
                out[f"find_duplicates_{int(t)}_s"] = time.perf_counter() - t0
                groups[t] = [[index_of[os.path.realpath(m.image.path)] for m in c.members] for c in clusters]
            pairs = ctx.scored_pairs()
            t0 = time.perf_counter()
            ctx.find_duplicates(threshold=80.0, pairs=pairs)
            out["regroup_s"] = time.perf_counter() - t0
            out["eval"] = evaluate(items, groups[90.0], groups[70.0])
            return out
        except Exception as exc:
            print(f"  (context run failed: {type(exc).__name__}: {exc})")
            return None
        finally:
            store.close()


def _fmt(res: tuple[float, float, float, int]) -> str:
    return f"P={res[0]:.3f} R={res[1]:.3f} F1={res[2]:.3f} (wrong pairs {res[3]})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="corpus directory (kept); default: a temp dir")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-context", action="store_true", help="skip the search-context run")
    ap.add_argument("--scores", action="store_true", help="print every attack's score per photo")
    args = ap.parse_args(argv)
    nice()
    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="lookalike_corpus_")
        out = Path(tmp.name)
    else:
        out = args.out
    t0 = time.perf_counter()
    items = build(out)
    print(f"corpus: {len(items)} files in {out} (built in {time.perf_counter() - t0:.1f} s)")

    images, t_an = analyze_all(items, args.workers)
    big = [i for i, it in enumerate(items) if it.attack == "upscale 12MP"]
    t0 = time.perf_counter()
    for i in big:
        analyze_file(items[i].path)
    t_big = (time.perf_counter() - t0) / max(1, len(big))
    print(f"analyze: {len(items) / t_an:.1f} images/s with {args.workers} workers; "
          f"12 MP JPEG {t_big * 1000:.0f} ms each (one process)")

    scores, t_pairs, n_cand = engine_scores(images)
    order = quality_order(images)
    ev = evaluate(items, product_group(images, order, scores, 90.0), product_group(images, order, scores, 70.0))
    t0 = time.perf_counter()
    product_group(images, order, scores, 90.0)
    t_group = time.perf_counter() - t0
    print(f"engine find_duplicates: {t_pairs:.2f} s ({n_cand} candidate pairs verified, "
          f"{t_pairs / max(1, n_cand) * 1000:.2f} ms per pair); regroup {t_group * 1000:.1f} ms")

    hscores, t_h = imagehash_scores(items)
    hev = evaluate(items, product_group(images, order, hscores, 90.0), product_group(images, order, hscores, 70.0))

    # direct scores of every copy against its original
    originals = {it.photo: i for i, it in enumerate(items) if it.kind == "original"}
    direct: dict[str, list[float]] = defaultdict(list)
    for i, it in enumerate(items):
        if it.kind in ("original", "distractor"):
            continue
        o = originals[it.photo] if it.kind != "scene" else originals[it.scene]
        direct[it.attack].append(compare_features(images[o].features, images[i].features).score)
    twins = [compare_features(images[i].features, images[j].features).score
             for i, it in enumerate(items) if it.attack == "exif rotate"
             for j, jt in enumerate(items) if jt.attack == "exif twin" and jt.photo == it.photo]
    worst_neg = sorted(((s, p) for p, s in scores.items() if items[p[0]].scene != items[p[1]].scene), reverse=True)[:5]

    print()
    print(f"{'attack':18s} {'kind':7s} {'min':>6s} {'median':>6s} {'max':>6s}  {'rec@90':>6s} {'rec@70':>6s}  {'pHash@90':>8s} {'pHash@70':>8s}")
    for attack in sorted(direct, key=lambda a: (["minor", "bigger", "scene"].index(_kind(a)), a)):
        s = direct[attack]
        r = ev["per_attack"][attack]
        h = hev["per_attack"][attack]
        print(f"{attack:18s} {_kind(attack):7s} {min(s):6.1f} {np.median(s):6.1f} {max(s):6.1f}  "
              f"{np.mean([x[0] for x in r]):6.2f} {np.mean([x[1] for x in r]):6.2f}  "
              f"{np.mean([x[0] for x in h]):8.2f} {np.mean([x[1] for x in h]):8.2f}")
        if args.scores:
            print("    " + " ".join(f"{v:.0f}" for v in s))
    print(f"EXIF-rotated vs pixel-rotated twin: {', '.join(f'{s:.1f}' for s in twins)}")
    print("highest different-scene scores: " + ", ".join(
        f"{s:.1f} {Path(items[a].path).name}~{Path(items[b].path).name}" for s, (a, b) in worst_neg) if worst_neg
        else "highest different-scene scores: none >= 50")
    print()
    print(f"{'':24s} {'Lookalike engine':48s} {'imagehash pHash':48s}")
    for t, key in ((90, "at90"), (70, "at70")):
        print(f"threshold {t}: pairwise   {_fmt(ev[key]):48s} {_fmt(hev[key]):48s}")
    print(f"recall@90 minor attacks  {ev['minor_recall90']:<48.3f} {hev['minor_recall90']:<48.3f}")
    print(f"recall@70 all attacks    {ev['all_recall70']:<48.3f} {hev['all_recall70']:<48.3f}")
    print(f"same-scene pairs >= 90   {ev['scene90']:<48d} {hev['scene90']:<48d}")
    print(f"same-scene recall@70     {ev['scene70']:<48.3f} {hev['scene70']:<48.3f}")
    for t, key in ((90, "at90"), (70, "at70")):
        gain = ev[key][2] / hev[key][2] if hev[key][2] else float("inf")
        print(f"F1 gain over pHash at {t}: x{gain:.2f}")
    print(f"imagehash time: {t_h:.2f} s")

    if not args.no_context:
        print()
        print("search context (product path):")
        cres = context_groups(out, items, args.workers)
        if cres:
            e = cres["eval"]
            print(f"  ctx.index: {cres['indexed']} images in {cres['index_s']:.1f} s "
                  f"({cres['indexed'] / cres['index_s']:.1f} images/s), skipped {cres['skipped']}")
            print(f"  find_duplicates(90) {cres['find_duplicates_90_s']:.2f} s (scores every candidate pair), "
                  f"then (70) {cres['find_duplicates_70_s']:.2f} s; regroup from cached pairs "
                  f"{cres['regroup_s'] * 1000:.0f} ms")
            print(f"  threshold 90: {_fmt(e['at90'])}; minor recall {e['minor_recall90']:.3f}")
            print(f"  threshold 70: {_fmt(e['at70'])}; all-attack recall {e['all_recall70']:.3f}")
    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ru_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {ru_self:.0f} MB (this process), {ru_kids:.0f} MB (largest worker)")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Searching a context: duplicate groups from the cached pair scores, similar images, comparisons.

No all-pairs work: pair scores come from :mod:`desktop_app.context.pairs` (computed once, stored);
find_similar verifies a bounded number of candidates from the engine's index.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from desktop_app.context.blobs import blobs_by_id
from desktop_app.context.cache import IndexedContext
from desktop_app.context.originals import Originals
from desktop_app.context.scan import normalize_path
from desktop_app.context.types import DuplicateCluster, ScoredPairs, SimilarResult
from desktop_app.context.verify import score_pair
from desktop_app.engine.grouping import group_duplicates
from desktop_app.engine.types import Comparison, ImageFeatures
from desktop_app.errors import DecodeError

log = logging.getLogger(__name__)

SIMILAR_CANDIDATES_MIN = 140  # find_similar verifies max(this, 2 * max_count) candidates: at
#                               100,000 images the original of a 50 % crop ranks up to ~130
SIMILAR_THREADS = 2          # threads verifying find_similar's candidates


# ------------------------------------------------------------------ duplicates


def find_duplicates(ctx: IndexedContext, *, threshold: float,
                    pairs: ScoredPairs) -> list[DuplicateCluster]:
    """Group ``pairs`` at ``threshold`` around originals (see engine.grouping), in memory."""
    if threshold < pairs.floor:
        log.warning("threshold %.1f is below the cached floor %.1f; pairs under the floor are "
                    "not known", threshold, pairs.floor)
    records = ctx.cache.records(ctx)
    a = np.asarray(pairs.a, dtype=np.int64)
    b = np.asarray(pairs.b, dtype=np.int64)
    s = np.asarray(pairs.score, dtype=np.float32)
    if pairs.extra.get("generation") != ctx.cache.records_generation():  # pairs from an older state
        ids = np.fromiter(records.keys(), dtype=np.int64, count=len(records))
        keep = np.isin(a, ids) & np.isin(b, ids)
        a, b, s = a[keep], b[keep], s[keep]
    originals = Originals(ctx, records)  # the provenance rule picks each group's original
    clusters = group_duplicates(a, b, s, threshold=threshold, rank=ctx.cache.rank(ctx),
                                exclude=distinct_id_pairs(ctx),
                                choose_centre=originals.choose_centre)
    return originals.clusters(clusters)


def distinct_id_pairs(ctx: IndexedContext) -> list[tuple[int, int]]:
    """The user's "not duplicates" decisions (by content hash) as pairs of current image ids."""
    decisions = ctx.distinct_decisions()
    if not decisions:
        return []
    by_hash = ctx.cache.by_hash(ctx)
    return [(x, y) for d in decisions
            for x in by_hash.get(d.hash_a, ()) for y in by_hash.get(d.hash_b, ())]


# ------------------------------------------------------------------ similar / compare


def resolve(ctx: IndexedContext, ref: int | str | os.PathLike[str]
            ) -> tuple[int | None, str, ImageFeatures]:
    """(id or None, content hash, features) of an image id, an indexed path or any image file."""
    if isinstance(ref, bool):
        raise TypeError(f"an image is given by id or path, not {ref!r}")
    if isinstance(ref, (int, np.integer)):
        rec = ctx.image(int(ref))
        return rec.id, rec.content_hash, ctx.features(rec.id)
    path = normalize_path(ref)
    found = ctx.image_by_path(path)
    if found is not None:
        return found.id, found.content_hash, ctx.features(found.id)
    if not os.path.exists(path):
        raise DecodeError(path, "file not found")
    if os.path.isdir(path):
        raise DecodeError(path, "it is a folder, not an image")
    from desktop_app.engine import analyze

    analyzed = analyze.analyze_file(path)  # external: analysed, not added
    return None, analyzed.content_hash, analyzed.features


def find_similar(ctx: IndexedContext, reference: int | str | os.PathLike[str], *,
                 threshold: float, max_count: int) -> list[SimilarResult]:
    if max_count <= 0:
        return []
    ref_id, ref_hash, ref_feats = resolve(ctx, reference)
    records = ctx.cache.records(ctx)
    index = ctx.cache.similarity_index(ctx)
    limit = max(SIMILAR_CANDIDATES_MIN, 2 * max_count)
    ids = [int(i) for i, _ in index.candidates(ref_feats, limit=limit)]
    identical = set(ctx.cache.by_hash(ctx).get(ref_hash, ()))
    wanted = [i for i in dict.fromkeys(list(identical) + ids) if i != ref_id and i in records]
    results: list[SimilarResult] = []
    blobs = blobs_by_id(ctx.conn, "features", [i for i in wanted if i not in identical])

    def score(image_id: int) -> float | None:
        if image_id in identical:
            return 100.0
        blob = blobs.get(image_id)
        return None if blob is None else score_pair(ref_feats, ImageFeatures.from_bytes(blob))

    # OpenCV's matching releases the GIL: two threads verify the candidates on two cores
    with ThreadPoolExecutor(SIMILAR_THREADS) as pool:
        scores = list(pool.map(score, wanted))
    for image_id, s in zip(wanted, scores):
        if s is not None and s >= threshold:
            results.append(SimilarResult(records[image_id], round(s, 2)))
    results.sort(key=lambda r: (-r.similarity, r.image.path))
    return results[:max_count]


def compare(ctx: IndexedContext, a: int | str | os.PathLike[str],
            b: int | str | os.PathLike[str]) -> Comparison:
    from desktop_app.engine import similarity

    _, _, fa = resolve(ctx, a)
    _, _, fb = resolve(ctx, b)
    return similarity.compare_features(fa, fb)

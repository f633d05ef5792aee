"""Searching a context: cached pair scores, duplicate groups, similar images, comparisons.

No all-pairs work: candidates come from the engine's :class:`SimilarityIndex` (hashes + an index
over ORB descriptors) plus exact content-hash duplicates, and only candidates are verified with
``compare_features``. Pair scores >= :data:`FLOOR` are stored in SQLite once; an image's pairs are
recomputed only when it is new or changed (``images.paired = 0``), so regrouping at any threshold
is in-memory work.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, Protocol

import numpy as np

from desktop_app.context.protocols import ContextDatabase
from desktop_app.context.records import IMAGE_COLUMNS, record_from_row
from desktop_app.context.scan import normalize_path
from desktop_app.context.schema import iter_chunks, transaction
from desktop_app.context.types import (
    DistinctDecision, DuplicateCluster, ImageRecord, ScoredPairs, SimilarResult,
)
from desktop_app.engine.grouping import group_duplicates, original_rank_key, rank_positions
from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.engine.types import Comparison, ImageFeatures
from desktop_app.errors import Cancelled, ContextError, DecodeError

if TYPE_CHECKING:  # pragma: no cover
    from desktop_app.engine.index import SimilarityIndex

log = logging.getLogger(__name__)

FLOOR = 50.0                 # pair scores below this are not stored (the scale's "unrelated")
CANDIDATES_PER_IMAGE = 6     # SimilarityIndex candidates verified per image for scored_pairs
SIMILAR_CANDIDATES_MIN = 40  # find_similar verifies max(this, 2 * max_count) candidates
FEATURE_CACHE_SIZE = 2048    # decoded ImageFeatures kept while verifying pairs
WRITE_BATCH = 2000
PATCH_LIMIT = 2000           # changes applied to a cached SimilarityIndex in place; more: rebuild
VERIFY_CHUNK = 256           # pairs per job when verifying on every core
VERIFY_POOL_MIN_PAIRS = 3000  # below this, starting worker processes costs more than it saves


class IndexedContext(Protocol):
    """What searching needs of a context (:class:`~desktop_app.context.search_context.SearchContext`)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def store(self) -> ContextDatabase: ...
    @property
    def cache(self) -> ContextCache: ...
    @property
    def conn(self) -> sqlite3.Connection: ...
    def generation(self) -> int: ...
    def image(self, image_id: int) -> ImageRecord: ...
    def image_by_path(self, path: str | os.PathLike[str]) -> ImageRecord | None: ...
    def features(self, image_id: int) -> ImageFeatures: ...
    def distinct_decisions(self) -> list[DistinctDecision]: ...


class ContextCache:
    """In-memory views of one context, each valid for one ``generation`` of its images."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[int, ImageRecord] | None = None
        self._records_gen = -1
        self._by_hash: dict[str, list[int]] | None = None
        self._rank: dict[int, int] | None = None
        self._index: SimilarityIndex | None = None
        self._index_gen = -1
        self._pairs: ScoredPairs | None = None
        self._pairs_gen = -1

    def records(self, ctx: "IndexedContext") -> dict[int, ImageRecord]:
        gen = ctx.generation()
        with self._lock:
            if self._records is None or self._records_gen != gen:
                rows = ctx.conn.execute(
                    f"SELECT {IMAGE_COLUMNS} FROM images WHERE context_id=?", (ctx.id,))
                self._records = {r[0]: record_from_row(r) for r in rows}
                self._records_gen = gen
                self._by_hash = None
                self._rank = None
            return self._records

    def by_hash(self, ctx: "IndexedContext") -> dict[str, list[int]]:
        records = self.records(ctx)
        with self._lock:
            if self._by_hash is None:
                groups: dict[str, list[int]] = {}
                for rec in records.values():
                    groups.setdefault(rec.content_hash, []).append(rec.id)
                self._by_hash = groups
            return self._by_hash

    def rank(self, ctx: "IndexedContext") -> dict[int, int]:
        """Position of each image by the default original rule (0 = best copy)."""
        records = self.records(ctx)
        with self._lock:
            if self._rank is None:
                self._rank = rank_positions({
                    i: original_rank_key(r.facts, size=r.size, mtime_ns=r.mtime_ns, path=r.path)
                    for i, r in records.items()})
            return self._rank

    def similarity_index(self, ctx: "IndexedContext") -> "SimilarityIndex":
        """The engine's candidate index over every image, built once by streaming the blobs."""
        from desktop_app.engine.index import SimilarityIndex

        gen = ctx.generation()
        with self._lock:
            if self._index is None or self._index_gen != gen:
                started = time.monotonic()
                index = SimilarityIndex()
                missing: list[int] = []
                probe: ImageFeatures | None = None
                for image_id, blob in ctx.conn.execute(
                        "SELECT i.id, x.blob FROM images i LEFT JOIN index_features x"
                        " ON x.image_id = i.id WHERE i.context_id=?", (ctx.id,)):
                    if blob is None:
                        missing.append(int(image_id))
                    else:
                        probe = ImageFeatures.from_bytes(bytes(blob))
                        index.add(int(image_id), probe)
                if missing:
                    _backfill_index_features(ctx, index, missing)
                if probe is not None:
                    # One query now builds the engine's inverted index here (in the caller's
                    # worker thread), not in the user's first search (~3 s at 100,000 images).
                    index.candidates(probe, limit=1)
                self._index, self._index_gen = index, gen
                log.info("similarity index of %r: %d images in %.2f s", ctx.name, len(index),
                         time.monotonic() - started)
            return self._index

    def pairs(self, gen: int) -> ScoredPairs | None:
        with self._lock:
            return self._pairs if self._pairs_gen == gen else None

    def set_pairs(self, gen: int, pairs: ScoredPairs) -> None:
        with self._lock:
            self._pairs, self._pairs_gen = pairs, gen

    def apply(self, ctx: "IndexedContext", before: int, analysed: set[int], removed: set[int]) -> None:
        """Follow a change made through ``ctx``: patch the similarity index, drop the rest."""
        after = ctx.generation()
        with self._lock:
            if after == before:
                return
            self._records = self._by_hash = self._rank = None
            self._pairs = None
            small = len(analysed) + len(removed) <= PATCH_LIMIT
            if self._index is not None and self._index_gen == before and small:
                try:
                    for image_id in removed | analysed:
                        try:
                            self._index.remove(image_id)
                        except (LookupError, ValueError):  # KeyError is a LookupError
                            pass  # was not in the index (e.g. added by this very change)
                    for image_id, blob in _index_blobs(ctx, sorted(analysed)).items():
                        self._index.add(image_id, ImageFeatures.from_bytes(blob))
                    self._index_gen = after
                except Exception:  # any doubt: rebuild from the database next time
                    log.exception("couldn't update the similarity index in place; will rebuild")
                    self._index = None
            else:  # big changes: rebuilding from the compact slices is faster than patching
                self._index = None

    def invalidate(self) -> None:
        with self._lock:
            self._records = self._by_hash = self._rank = self._index = self._pairs = None


BLOB_TABLES = frozenset({"features", "index_features"})
IN_CHUNK = 500           # ids per ``IN (...)`` (SQLite bounds the number of parameters)


def blobs_by_id(conn: Any, table: str, ids: Iterable[int]) -> dict[int, bytes]:
    """``{image_id: blob}`` from ``table`` ("features" or "index_features") for ``ids``.

    The one chunked ``SELECT ... IN`` of the context: the caches, find_similar and the pair
    verification workers (their own read-only connection) all load features through it.
    """
    if table not in BLOB_TABLES:
        raise ValueError(f"not a feature table: {table!r}")
    wanted = list(ids)
    out: dict[int, bytes] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        part = wanted[start:start + IN_CHUNK]
        for image_id, blob in conn.execute(
                f"SELECT image_id, blob FROM {table} WHERE image_id IN ({','.join('?' * len(part))})",
                part):
            out[int(image_id)] = bytes(blob)
    return out


def _index_blobs(ctx: "IndexedContext", ids: list[int]) -> dict[int, bytes]:
    """The candidate-index slices of ``ids`` (full features where a slice is missing)."""
    out = blobs_by_id(ctx.conn, "index_features", ids)
    missing = [i for i in ids if i not in out]
    if missing:
        out.update(blobs_by_id(ctx.conn, "features", missing))
    return out


def _backfill_index_features(ctx: "IndexedContext", index: "SimilarityIndex",
                             ids: list[int]) -> None:
    """Images indexed before schema 2 have no index slice yet: derive and store it once."""
    from desktop_app.context.indexer import index_view

    conn = ctx.conn
    for chunk in iter_chunks(ids, 500):
        slices = []
        for image_id, blob in blobs_by_id(conn, "features", chunk).items():
            feats = ImageFeatures.from_bytes(blob)  # blobs_by_id gives bytes and int ids
            index.add(image_id, feats)
            slices.append((image_id, index_view(feats).to_bytes()))
        with transaction(conn):
            conn.executemany("INSERT OR REPLACE INTO index_features (image_id, blob) VALUES (?, ?)",
                             slices)


# ------------------------------------------------------------------ pair scores


def _verify(fa: ImageFeatures, fb: ImageFeatures) -> float:
    from desktop_app.engine import similarity

    return float(similarity.compare_features(fa, fb).score)


class _FeatureCache:
    """LRU of decoded features, loading blobs on demand (a 100k context never fits in RAM)."""

    def __init__(self, ctx: "IndexedContext", size: int = FEATURE_CACHE_SIZE) -> None:
        self.ctx = ctx
        self.size = size
        self.items: OrderedDict[int, ImageFeatures] = OrderedDict()

    def get(self, image_id: int) -> ImageFeatures:
        feats = self.items.get(image_id)
        if feats is not None:
            self.items.move_to_end(image_id)
            return feats
        feats = self.ctx.features(image_id)
        self.items[image_id] = feats
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return feats


def scored_pairs(ctx: "IndexedContext", *, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None, workers: int | None = None) -> ScoredPairs:
    """All pair scores >= FLOOR, computing only pairs that involve new or changed images."""
    gen = ctx.generation()
    cached = ctx.cache.pairs(gen)
    if cached is not None:
        return cached
    conn = ctx.conn
    pending = [int(r[0]) for r in conn.execute(
        "SELECT id FROM images WHERE context_id=? AND paired=0 ORDER BY id", (ctx.id,))]
    if pending:
        _score_pending(ctx, pending, progress=progress, cancel=cancel, workers=workers)
    rows = conn.execute("SELECT a, b, score FROM pair_scores WHERE context_id=?",
                        (ctx.id,)).fetchall()
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    pairs = ScoredPairs(a=arr[:, 0].astype(np.int64), b=arr[:, 1].astype(np.int64),
                        score=arr[:, 2].astype(np.float32), floor=FLOOR,
                        extra={"generation": gen, "computed": len(pending)})
    ctx.cache.set_pairs(gen, pairs)
    return pairs


def _candidate_set(ctx: "IndexedContext", pending: list[int],
                   query: list[int] | None = None) -> set[tuple[int, int]]:
    """Candidate pairs involving ``pending`` (per-image queries only for ``query``, if given)."""
    index = ctx.cache.similarity_index(ctx)
    pending_arr = np.asarray(pending, dtype=np.int64)
    out: set[tuple[int, int]] = set()
    if len(pending) * 4 >= max(len(index), 1):  # most images are new: one batch query
        cand = np.asarray(index.candidate_pairs(limit_per_image=CANDIDATES_PER_IMAGE),
                          dtype=np.int64).reshape(-1, 2)
        keep = np.isin(cand[:, 0], pending_arr) | np.isin(cand[:, 1], pending_arr)
        for x, y in cand[keep].tolist():
            if x != y:
                out.add((min(x, y), max(x, y)))
    else:
        for image_id in (pending if query is None else query):
            feats = ctx.features(image_id)
            for other, _ in index.candidates(feats, limit=CANDIDATES_PER_IMAGE + 1):
                other = int(other)
                if other != image_id:
                    out.add((min(image_id, other), max(image_id, other)))
    return out


def _score_pending(ctx: "IndexedContext", pending: list[int], *, progress: ProgressFn | None,
                   cancel: CancelToken | None, workers: int | None = None) -> None:
    """Score the pairs of ``pending`` images, working on contents, not files.

    Byte-identical files share one content, hence one set of scores: a copy of an image that is
    already scored inherits its scores without any verification, and a candidate pair is
    verified once per pair of contents, its score given to every pair of their files.
    """
    conn = ctx.conn
    records = ctx.cache.records(ctx)
    by_hash = ctx.cache.by_hash(ctx)
    pending = [p for p in pending if p in records]
    pending_set = set(pending)

    def group(i: int) -> list[int]:
        return sorted(by_hash.get(records[i].content_hash, [i]))

    exact: set[tuple[int, int]] = set()
    for ids in by_hash.values():
        if len(ids) > 1 and pending_set.intersection(ids):
            ordered = sorted(ids)
            exact.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1:])
    rows: list[tuple[int, int, int, float]] = [(ctx.id, x, y, 100.0) for x, y in exact]
    complete: list[int] = []
    # 1. Copies of contents already scored inherit the stored scores.
    for p in pending:
        same = group(p)
        scored_twin = next((i for i in same if i not in pending_set), None)
        if scored_twin is None:
            continue
        complete.append(p)
        for a, b, score in conn.execute("SELECT a, b, score FROM pair_scores WHERE a=? OR b=?",
                                        (scored_twin, scored_twin)).fetchall():
            other = b if a == scored_twin else a
            if other not in same and other in records:
                rows.append((ctx.id, min(p, other), max(p, other), float(score)))
    rest = [p for p in pending if p not in set(complete)]
    # 2. One representative (smallest id) per new content; candidates mapped onto contents.
    reps = sorted({group(p)[0] for p in rest})
    content_pairs: set[tuple[int, int]] = set()
    for x, y in (_candidate_set(ctx, rest, query=reps) if rest else ()):
        if x in records and y in records:
            rx, ry = group(x)[0], group(y)[0]
            if rx != ry:
                content_pairs.add((min(rx, ry), max(rx, ry)))
    candidates = sorted(content_pairs)
    total = len(candidates)
    started = time.monotonic()
    # A content is complete (its files paired=1) once every candidate pair involving it is
    # verified, so a cancelled run keeps its finished images and the next run resumes.
    remaining: dict[int, int] = dict.fromkeys(reps, 0)
    for x, y in candidates:
        for i in (x, y):
            if i in remaining:
                remaining[i] += 1
    for rep, n in remaining.items():
        if n == 0:
            complete.extend(group(rep))
    last_report = 0.0
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if n_workers > 1 and total >= VERIFY_POOL_MIN_PAIRS:
        scored = _verify_in_pool(str(ctx.store.db_path), candidates, n_workers, cancel)
    else:
        scored = _verify_here(ctx, candidates)
    done = 0
    for chunk, scores in scored:
        for (x, y), score in zip(chunk, scores):
            if score >= FLOOR:
                for fx in group(x):  # every file of one content with every file of the other
                    for fy in group(y):
                        rows.append((ctx.id, min(fx, fy), max(fx, fy), float(score)))
            for i in (x, y):
                if i in remaining:
                    remaining[i] -= 1
                    if remaining[i] == 0:
                        complete.extend(group(i))
        done += len(chunk)
        if len(rows) >= WRITE_BATCH or len(complete) >= WRITE_BATCH:
            _write_pairs(conn, rows, complete)
            rows, complete = [], []
        if cancel is not None and cancel.cancelled:
            break
        now = time.monotonic()
        if progress is not None and (now - last_report > 0.1 or done == total):
            last_report = now
            progress(Progress.since(started, done, total, "Comparing candidate pairs"))
    close = getattr(scored, "close", None)
    if close is not None:
        close()  # stops the worker pool now, not whenever the generator is collected
    _write_pairs(conn, rows, complete)
    if cancel is not None and cancel.cancelled:
        raise Cancelled("cancelled by the user")
    log.info("verified %d candidate content pairs (+%d exact) for %d images in %.1f s "
             "(%d workers)", total, len(exact), len(pending), time.monotonic() - started,
             n_workers)


ScoredChunks = Iterable[tuple[list[tuple[int, int]], list[float]]]


def _verify_here(ctx: "IndexedContext", pairs: list[tuple[int, int]]) -> ScoredChunks:
    """Verify pairs in this thread, features through an LRU (pairs are sorted by first id)."""
    feats = _FeatureCache(ctx)
    for chunk in _chunks(pairs, VERIFY_CHUNK):
        scores = []
        for x, y in chunk:
            try:
                scores.append(_verify(feats.get(x), feats.get(y)))
            except ContextError:
                scores.append(0.0)  # removed meanwhile
        yield chunk, scores


def _verify_in_pool(db_path: str, pairs: list[tuple[int, int]], n_workers: int,
                    cancel: CancelToken | None) -> ScoredChunks:
    """Verify pairs on every core; workers read feature blobs from the database themselves."""
    import concurrent.futures as cf

    from desktop_app.context.indexer import _new_pool

    pool = _new_pool(n_workers)
    if pool is None:
        raise ContextError("Couldn't start worker processes to compare images.")
    try:
        chunks = list(_chunks(pairs, VERIFY_CHUNK))
        window = n_workers * 3
        futures: dict[int, cf.Future[list[float]]] = {}
        nxt = 0
        for i in range(len(chunks)):
            while nxt < len(chunks) and nxt < i + window:
                futures[nxt] = pool.submit(verify_chunk_job, db_path, chunks[nxt])
                nxt += 1
            if cancel is not None and cancel.cancelled:
                return
            yield chunks[i], futures.pop(i).result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(pairs: list[tuple[int, int]], size: int) -> Iterable[list[tuple[int, int]]]:
    for i in range(0, len(pairs), size):
        yield pairs[i:i + size]


_WORKER_CONN: Any = None


def verify_chunk_job(db_path: str, pairs: list[tuple[int, int]]) -> list[float]:
    """Worker process: load the features a chunk needs (read-only) and score its pairs."""
    global _WORKER_CONN
    import sqlite3

    from desktop_app.engine import similarity

    if _WORKER_CONN is None:
        from pathlib import Path

        _WORKER_CONN = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True,
                                       timeout=60)
    ids = sorted({i for pair in pairs for i in pair})
    feats = {image_id: ImageFeatures.from_bytes(blob)
             for image_id, blob in blobs_by_id(_WORKER_CONN, "features", ids).items()}
    out = []
    for x, y in pairs:
        fx, fy = feats.get(x), feats.get(y)
        out.append(0.0 if fx is None or fy is None
                   else float(similarity.compare_features(fx, fy).score))
    return out


def _write_pairs(conn: Any, rows: list[tuple[int, int, int, float]], complete: list[int]) -> None:
    """Store verified pairs and mark images whose pairs are all known, in one transaction."""
    if not rows and not complete:
        return

    with transaction(conn):
        for row in rows:
            try:
                conn.execute("INSERT OR REPLACE INTO pair_scores (context_id, a, b, score)"
                             " VALUES (?,?,?,?)", row)
            except Exception as err:  # an image deleted meanwhile (foreign key): skip the pair
                log.debug("pair %s not stored: %s", row[1:3], err)
        for chunk in iter_chunks(complete, 500):
            conn.execute(f"UPDATE images SET paired=1 WHERE id IN ({','.join('?' * len(chunk))})",
                         chunk)


# ------------------------------------------------------------------ duplicates


def find_duplicates(ctx: "IndexedContext", *, threshold: float,
                    pairs: ScoredPairs) -> list[DuplicateCluster]:
    """Group ``pairs`` at ``threshold`` around originals (see engine.grouping), in memory."""
    if threshold < pairs.floor:
        log.warning("threshold %.1f is below the cached floor %.1f; pairs under the floor are "
                    "not known", threshold, pairs.floor)
    records = ctx.cache.records(ctx)
    a = np.asarray(pairs.a, dtype=np.int64)
    b = np.asarray(pairs.b, dtype=np.int64)
    s = np.asarray(pairs.score, dtype=np.float32)
    if pairs.extra.get("generation") != ctx.cache._records_gen:  # pairs from an older state
        ids = np.fromiter(records.keys(), dtype=np.int64, count=len(records))
        keep = np.isin(a, ids) & np.isin(b, ids)
        a, b, s = a[keep], b[keep], s[keep]
    clusters = group_duplicates(a, b, s, threshold=threshold, rank=ctx.cache.rank(ctx),
                                exclude=distinct_id_pairs(ctx))
    return [DuplicateCluster(tuple(SimilarResult(records[i], float(score)) for i, score in c))
            for c in clusters]


def distinct_id_pairs(ctx: "IndexedContext") -> list[tuple[int, int]]:
    """The user's "not duplicates" decisions (by content hash) as pairs of current image ids."""
    decisions = ctx.distinct_decisions()
    if not decisions:
        return []
    by_hash = ctx.cache.by_hash(ctx)
    return [(x, y) for d in decisions
            for x in by_hash.get(d.hash_a, ()) for y in by_hash.get(d.hash_b, ())]


# ------------------------------------------------------------------ similar / compare


def resolve(ctx: "IndexedContext", ref: int | str | os.PathLike[str]
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


def find_similar(ctx: "IndexedContext", reference: int | str | os.PathLike[str], *,
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
    for image_id in wanted:
        if image_id in identical:
            score = 100.0
        else:
            blob = blobs.get(image_id)
            if blob is None:
                continue
            score = _verify(ref_feats, ImageFeatures.from_bytes(blob))
        if score >= threshold:
            results.append(SimilarResult(records[image_id], round(score, 2)))
    results.sort(key=lambda r: (-r.similarity, r.image.path))
    return results[:max_count]


def compare(ctx: "IndexedContext", a: int | str | os.PathLike[str],
            b: int | str | os.PathLike[str]) -> Comparison:
    from desktop_app.engine import similarity

    _, _, fa = resolve(ctx, a)
    _, _, fb = resolve(ctx, b)
    return similarity.compare_features(fa, fb)

"""Pair scores of a context: candidate pairs from the engine's index, verified on every core,
stored once; incremental, cancellable and resumable.

* **Contents, not files.** Byte-identical files share one content, hence one set of scores: a
  pair of them scores 100 without verification, a new copy of a content already scored inherits
  its scores, and a candidate pair is verified once per pair of contents.
* **Only new pairs.** Images new or changed since the last run have ``images.paired = 0``; only
  their candidate pairs are generated (``SimilarityIndex.candidate_pairs(among=...)``) and
  verified. Adding 1,000 photos to a scored library of 100,000 verifies ~6,000 pairs.
* **Every verified pair is stored**, also those under :data:`FLOOR` (they are what a resumed run
  skips); reading the scores back keeps those >= FLOOR. An image is marked ``paired = 1`` once
  every candidate pair involving its content is verified.
* **Bounded memory.** Ids, pairs and scores live in numpy arrays; the verification workers read
  the features they need from the database themselves; results are written in batches.
* **Progress** with rate and ETA for both phases ("Finding candidate pairs", "Comparing
  candidate pairs"); a cancel keeps everything verified so far.
"""

from __future__ import annotations

import logging
import sqlite3
import time

import numpy as np

from desktop_app.context import verify
from desktop_app.context.cache import IndexedContext
from desktop_app.context.pool import WorkerPool, default_workers
from desktop_app.context.reporting import ProgressReporter
from desktop_app.context.schema import iter_chunks, transaction
from desktop_app.context.types import ScoredPairs
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.errors import Cancelled

log = logging.getLogger(__name__)

FLOOR = 50.0                 # pair scores below this are not returned (the scale's "unrelated")
CANDIDATES_PER_IMAGE = 6     # candidate partners verified per image (plus strong ones)
VERIFY_CHUNK = 256           # pairs per verification job
VERIFY_POOL_MIN_PAIRS = 3000  # below this, starting worker processes costs more than it saves
WRITE_BATCH = 20_000         # pair rows per transaction
READ_CHUNK = 100_000         # rows fetched at a time when loading scores
FINDING = "Finding candidate pairs"
COMPARING = "Comparing candidate pairs"


def scored_pairs(ctx: IndexedContext, *, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None, workers: int | None = None) -> ScoredPairs:
    """All pair scores >= FLOOR, computing only pairs that involve new or changed images."""
    gen = ctx.generation()
    cached = ctx.cache.pairs(gen)
    if cached is not None:
        return cached
    conn = ctx.conn
    pending = np.fromiter((r[0] for r in conn.execute(
        "SELECT id FROM images WHERE context_id=? AND paired=0", (ctx.id,))), np.int64)
    computed = 0
    if len(pending):
        computed = score_pending(ctx, pending, progress=progress, cancel=cancel, workers=workers)
    a, b, score = load_scores(conn, ctx.id)
    pairs = ScoredPairs(a=a, b=b, score=score, floor=FLOOR,
                        extra={"generation": gen, "computed": computed})
    ctx.cache.set_pairs(gen, pairs)
    return pairs


def load_scores(conn: sqlite3.Connection, context_id: int, *, floor: float = FLOOR
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stored pairs scoring >= ``floor`` as arrays (a, b int64; score float32), read in chunks."""
    parts: list[np.ndarray] = []
    cur = conn.execute("SELECT a, b, score FROM pair_scores WHERE context_id=? AND score>=?",
                       (context_id, floor))
    while rows := cur.fetchmany(READ_CHUNK):
        parts.append(np.asarray(rows, np.float64).reshape(-1, 3))
    arr = np.concatenate(parts) if parts else np.zeros((0, 3))
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2].astype(np.float32)


class _Contents:
    """The context's images grouped by content hash: a representative (smallest id) each."""

    def __init__(self, conn: sqlite3.Connection, context_id: int) -> None:
        ids, groups, paired = [], [], []
        code: dict[str, int] = {}
        for image_id, content_hash, done in conn.execute(
                "SELECT id, content_hash, paired FROM images WHERE context_id=? ORDER BY id",
                (context_id,)):
            ids.append(image_id)
            groups.append(code.setdefault(content_hash, len(code)))
            paired.append(done)
        self.ids = np.asarray(ids, np.int64)                # sorted
        self.group = np.asarray(groups, np.int64)
        self.paired = np.asarray(paired, bool)
        first = np.unique(self.group, return_index=True)[1]  # ids sorted: first = smallest
        self.rep_of_group = self.ids[first]
        sizes = np.bincount(self.group, minlength=len(first))
        # contents with several files, by representative (few: byte-identical copies)
        self.multi = {int(self.rep_of_group[g]): self.ids[self.group == g]
                      for g in np.flatnonzero(sizes > 1)}

    def pos(self, ids: np.ndarray) -> np.ndarray:
        p = np.searchsorted(self.ids, ids)
        return np.minimum(p, max(len(self.ids) - 1, 0))

    def known(self, ids: np.ndarray) -> np.ndarray:
        return (self.ids[self.pos(ids)] == ids) if len(self.ids) else np.zeros(len(ids), bool)

    def rep(self, ids: np.ndarray) -> np.ndarray:
        return self.rep_of_group[self.group[self.pos(ids)]]

    def members(self, image_id: int) -> np.ndarray:
        """Every file of ``image_id``'s content."""
        rep = int(self.rep(np.asarray([image_id]))[0])
        return self.multi.get(rep, np.asarray([image_id], np.int64))


def score_pending(ctx: IndexedContext, pending: np.ndarray, *, progress: ProgressFn | None,
                  cancel: CancelToken | None, workers: int | None = None) -> int:
    """Score the pairs of ``pending`` images; returns how many images were pending."""
    conn = ctx.conn
    started = time.monotonic()
    prog = ProgressReporter(progress, cancel)
    contents = _Contents(conn, ctx.id)
    pending = np.unique(pending[contents.known(pending)])
    if len(pending) == 0:
        return 0
    writer = _PairWriter(conn, ctx.id)
    new_reps = _inherit_and_exact(conn, contents, pending, writer)
    writer.flush()
    if len(new_reps) == 0:
        return len(pending)
    prog.report(0, len(new_reps), FINDING, force=True)

    def rows_done(done: int, total: int) -> None:
        prog.report(done, total, FINDING)
        if prog.cancelled():
            raise Cancelled("cancelled by the user")

    index = ctx.cache.similarity_index(ctx)
    cand = index.candidate_pairs(limit_per_image=CANDIDATES_PER_IMAGE, among=new_reps,
                                 progress=rows_done)
    cand = cand[contents.known(cand[:, 0]) & contents.known(cand[:, 1])]
    ra, rb = contents.rep(cand[:, 0]), contents.rep(cand[:, 1])
    keep = ra != rb
    todo = np.unique(np.stack([np.minimum(ra, rb), np.maximum(ra, rb)], axis=1)[keep], axis=0)
    todo = todo[~_already_verified(conn, ctx.id, todo)]
    finder_seconds = time.monotonic() - started
    # A content is complete once every pair involving it is verified (it may have none).
    remaining = np.bincount(np.searchsorted(new_reps, todo[np.isin(todo, new_reps)]),
                            minlength=len(new_reps))
    writer.complete(np.concatenate([contents.members(r) for r in new_reps[remaining == 0]])
                    if np.any(remaining == 0) else np.zeros(0, np.int64))
    n_workers = default_workers(workers) if len(todo) >= VERIFY_POOL_MIN_PAIRS else 1
    prog.restart()
    done = 0
    db_path = str(ctx.store.db_path)
    jobs = [(db_path, todo[i:i + VERIFY_CHUNK]) for i in range(0, len(todo), VERIFY_CHUNK)]
    with WorkerPool(verify.verify_chunk_job, workers=n_workers, on_crash=verify.lost_chunk) as pool:
        for (_, chunk), scores in pool.run(jobs, should_stop=prog.cancelled):
            writer.add(contents, chunk, scores)
            ends = chunk[np.isin(chunk, new_reps)]
            np.subtract.at(remaining, np.searchsorted(new_reps, ends), 1)
            finished = np.unique(np.searchsorted(new_reps, ends))
            finished = finished[remaining[finished] == 0]
            if len(finished):
                writer.complete(np.concatenate([contents.members(r) for r in new_reps[finished]]))
            done += len(chunk)
            prog.report(done, len(todo), COMPARING)
    writer.flush()
    if prog.cancelled():
        raise Cancelled("cancelled by the user")
    prog.report(done, len(todo), COMPARING, force=True)
    log.info("pairs of %d new images: %d candidate content pairs found in %.1f s, verified in "
             "%.1f s (%d workers)", len(pending), len(todo), finder_seconds,
             time.monotonic() - started - finder_seconds, n_workers)
    return len(pending)


def _inherit_and_exact(conn: sqlite3.Connection, contents: _Contents, pending: np.ndarray,
                       writer: "_PairWriter") -> np.ndarray:
    """Write what needs no verification; return the contents (representatives) left to score.

    Files of one content pair at 100; a pending file whose content has a scored file (a new
    copy of a photo already known) takes that file's stored scores and is complete.
    """
    rows: list[tuple[int, int, float]] = []
    pending_groups = np.unique(contents.group[contents.pos(pending)])
    for g in pending_groups.tolist():
        members = contents.multi.get(int(contents.rep_of_group[g]))
        if members is not None:
            rows += [(int(x), int(y), 100.0) for i, x in enumerate(members) for y in members[i + 1:]]
    scored_group = np.zeros(len(contents.rep_of_group), bool)
    scored_group[contents.group[contents.paired]] = True
    inheriting = pending[scored_group[contents.group[contents.pos(pending)]]]
    for p in inheriting.tolist():
        same = contents.members(p)
        twin = int(same[contents.paired[contents.pos(same)]][0])
        for a, b, score in conn.execute("SELECT a, b, score FROM pair_scores WHERE a=? OR b=?",
                                        (twin, twin)).fetchall():
            other = b if a == twin else a
            if other not in same:
                rows.append((min(p, other), max(p, other), float(score)))
    writer.rows(rows)
    writer.complete(inheriting)
    new_groups = pending_groups[~scored_group[pending_groups]]
    return np.sort(contents.rep_of_group[new_groups])


def _already_verified(conn: sqlite3.Connection, context_id: int, pairs: np.ndarray) -> np.ndarray:
    """Which of ``pairs`` (a < b) have a stored score (a cancelled run verified them)."""
    if len(pairs) == 0:
        return np.zeros(0, bool)
    parts: list[np.ndarray] = []
    cur = conn.execute("SELECT a, b FROM pair_scores WHERE context_id=?", (context_id,))
    while rows := cur.fetchmany(READ_CHUNK):
        parts.append(np.asarray(rows, np.int64).reshape(-1, 2))
    if not parts:
        return np.zeros(len(pairs), bool)
    stored = np.concatenate(parts)
    width = int(max(stored.max(), pairs.max())) + 1
    return np.isin(pairs[:, 0] * width + pairs[:, 1], stored[:, 0] * width + stored[:, 1])


class _PairWriter:
    """Buffers verified pairs (every file of one content with every file of the other) and
    completed images; writes them in batches, one transaction each."""

    def __init__(self, conn: sqlite3.Connection, context_id: int) -> None:
        self.conn = conn
        self.context_id = context_id
        self.pending: list[tuple[int, int, int, float]] = []
        self.completed: list[int] = []

    def rows(self, rows: list[tuple[int, int, float]]) -> None:
        self.pending += [(self.context_id, a, b, s) for a, b, s in rows]
        self._maybe_flush()

    def add(self, contents: _Contents, chunk: np.ndarray, scores: np.ndarray) -> None:
        for (x, y), score in zip(chunk.tolist(), scores.tolist()):
            if x in contents.multi or y in contents.multi:  # x, y are representatives
                for fx in contents.members(x).tolist():
                    for fy in contents.members(y).tolist():
                        self.pending.append((self.context_id, min(fx, fy), max(fx, fy), score))
            else:
                self.pending.append((self.context_id, x, y, score))
        self._maybe_flush()

    def complete(self, ids: np.ndarray) -> None:
        self.completed += np.asarray(ids, np.int64).tolist()
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self.pending) >= WRITE_BATCH or len(self.completed) >= WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending and not self.completed:
            return
        rows, done = self.pending, self.completed
        self.pending, self.completed = [], []
        with transaction(self.conn) as conn:
            try:
                conn.executemany("INSERT OR REPLACE INTO pair_scores (context_id, a, b, score)"
                                 " VALUES (?,?,?,?)", rows)
            except sqlite3.IntegrityError:  # an image deleted meanwhile (foreign key): row by row
                for row in rows:
                    try:
                        conn.execute("INSERT OR REPLACE INTO pair_scores (context_id, a, b, score)"
                                     " VALUES (?,?,?,?)", row)
                    except sqlite3.IntegrityError:
                        log.debug("pair %s not stored: an image is gone", row[1:3])
            for part in iter_chunks(done, 500):
                conn.execute(f"UPDATE images SET paired=1 WHERE id IN ({','.join('?' * len(part))})",
                             part)

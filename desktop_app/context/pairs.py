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
import queue
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from desktop_app.context import verify
from desktop_app.context.cache import IndexedContext
from desktop_app.context.pool import WorkerPool, default_workers
from desktop_app.context.reporting import ProgressReporter
from desktop_app.context.schema import iter_chunks, transaction
from desktop_app.context.types import ScoredPairs
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.errors import Cancelled

if TYPE_CHECKING:  # pragma: no cover
    from desktop_app.engine.index import SimilarityIndex

log = logging.getLogger(__name__)

FLOOR = 50.0                 # pair scores below this are not returned (the scale's "unrelated")
CANDIDATES_PER_IMAGE = 6     # candidate partners verified per image (plus strong ones)
VERIFY_CHUNK = 256           # pairs per verification job
VERIFY_POOL_MIN_PAIRS = 3000  # below this, starting worker processes costs more than it saves
WRITE_BATCH = 20_000         # pair rows per transaction
READ_CHUNK = 100_000         # rows fetched at a time when loading scores
_WIDTH = 1 << 31             # pair code a * _WIDTH + b (image ids < 2**31)
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
    index = ctx.cache.similarity_index(ctx)
    n_workers = default_workers(workers) \
        if len(new_reps) * CANDIDATES_PER_IMAGE >= VERIFY_POOL_MIN_PAIRS else 1
    finder = _Finder(index, contents, new_reps, _verified_codes(conn, ctx.id))
    db_path = str(ctx.store.db_path)
    prog.report(0, len(new_reps), FINDING, force=True)
    checked = np.zeros(len(new_reps), np.int64)      # verified pairs per new content
    comparing_from = -1                              # pairs verified when finding ended
    done = 0

    def jobs() -> Iterator[verify.VerifyJob]:
        for chunk in finder.chunks(VERIFY_CHUNK, should_stop=prog.cancelled):
            yield db_path, chunk
            if not finder.finished.is_set():
                prog.report(finder.rows_done, len(new_reps), FINDING)

    def complete(positions: np.ndarray) -> None:
        if len(positions):
            writer.complete(np.concatenate([contents.members(r) for r in new_reps[positions]]))

    finder.start()
    try:
        with WorkerPool(verify.verify_chunk_job, workers=n_workers,
                        on_crash=verify.lost_chunk) as pool:
            for (_, chunk), scores in pool.run(jobs(), should_stop=prog.cancelled):
                writer.add(contents, chunk, scores)
                ends = np.searchsorted(new_reps, chunk[np.isin(chunk, new_reps)])
                np.add.at(checked, ends, 1)
                done += len(chunk)
                if finder.finished.is_set():
                    if comparing_from < 0:  # every pair is known now: count down from here
                        comparing_from = done - len(chunk)
                        prog.restart()
                        complete(np.flatnonzero(checked == finder.total))
                    else:
                        ends = np.unique(ends)
                        complete(ends[checked[ends] == finder.total[ends]])
                    prog.report(done - comparing_from, finder.pairs - comparing_from, COMPARING)
                else:
                    prog.report(finder.rows_done, len(new_reps), FINDING)
    finally:
        finder.stop()
    finder.raise_error()
    if not prog.cancelled() and comparing_from < 0:  # finding ended after the last verification
        complete(np.flatnonzero(checked == finder.total))
    writer.flush()
    if prog.cancelled():
        raise Cancelled("cancelled by the user")
    prog.report(finder.pairs, finder.pairs, COMPARING, force=True)
    log.info("pairs of %d new images: %d candidate content pairs found in %.1f s and verified "
             "(%d workers) in %.1f s in all", len(pending), finder.pairs, finder.seconds,
             n_workers, time.monotonic() - started)
    return len(pending)


class _Finder(threading.Thread):
    """Finds candidate content pairs in the background, block by block of images, while the
    workers verify the first ones (the index's work and the verification overlap on 2 cores).

    Pairs already verified (a cancelled run stored them) or already found are dropped; ``total``
    counts each new content's pairs, final once ``finished`` is set.
    """

    def __init__(self, index: "SimilarityIndex", contents: _Contents, new_reps: np.ndarray,
                 verified: np.ndarray) -> None:
        super().__init__(name="candidate-pairs", daemon=True)
        self.index = index
        self.contents = contents
        self.new_reps = new_reps
        self.verified = verified                     # sorted codes a * WIDTH + b
        self.total = np.zeros(len(new_reps), np.int64)
        self.pairs = 0
        self.rows_done = 0
        self.seconds = 0.0
        self.finished = threading.Event()
        self._stop_requested = threading.Event()
        self._queue: queue.Queue[np.ndarray] = queue.Queue()
        self._seen: set[int] = set()
        self._error: BaseException | None = None

    def run(self) -> None:
        started = time.monotonic()
        blocks = self.index.iter_candidate_pairs(limit_per_image=CANDIDATES_PER_IMAGE,
                                                 among=self.new_reps)
        try:
            for rows_done, _, pairs in blocks:
                if self._stop_requested.is_set():
                    break
                fresh = self._fresh(pairs)
                if len(fresh):
                    ends = fresh[np.isin(fresh, self.new_reps)]
                    np.add.at(self.total, np.searchsorted(self.new_reps, ends), 1)
                    self.pairs += len(fresh)
                    self._queue.put(fresh)
                self.rows_done = rows_done
        except BaseException as err:  # handed to the caller's thread (raise_error)
            self._error = err
        finally:
            blocks.close()
            self.seconds = time.monotonic() - started
            self.finished.set()

    def _fresh(self, pairs: np.ndarray) -> np.ndarray:
        """The block's pairs as content pairs, minus those verified or found before."""
        c = self.contents
        pairs = pairs[c.known(pairs[:, 0]) & c.known(pairs[:, 1])]
        ra, rb = c.rep(pairs[:, 0]), c.rep(pairs[:, 1])
        keep = ra != rb
        pairs = np.unique(np.stack([np.minimum(ra, rb), np.maximum(ra, rb)], axis=1)[keep], axis=0)
        code = pairs[:, 0] * _WIDTH + pairs[:, 1]
        if len(self.verified):
            pos = np.minimum(np.searchsorted(self.verified, code), len(self.verified) - 1)
            new = self.verified[pos] != code
            pairs, code = pairs[new], code[new]
        new = np.fromiter((k not in self._seen for k in code.tolist()), bool, len(code))
        self._seen.update(code[new].tolist())
        return pairs[new]

    def chunks(self, size: int, *, should_stop: Callable[[], bool]) -> Iterator[np.ndarray]:
        """Found pairs in chunks of ``size`` (smaller at the end) until finding is over."""
        buffer: list[np.ndarray] = []
        held = 0
        while True:
            try:
                part = self._queue.get(timeout=0.1)
            except queue.Empty:
                if should_stop():
                    return
                if self.finished.is_set() and self._queue.empty():
                    break
                if held and held < size and not self._queue.qsize():
                    # nothing more for now: keep the workers busy with what there is
                    merged = np.concatenate(buffer)
                    buffer, held = [], 0
                    yield merged
                continue
            buffer.append(part)
            held += len(part)
            while held >= size:
                merged = np.concatenate(buffer)
                yield merged[:size]
                buffer, held = [merged[size:]], held - size
        if held:
            yield np.concatenate(buffer)

    def stop(self) -> None:
        self._stop_requested.set()
        self.join()

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error


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


def _verified_codes(conn: sqlite3.Connection, context_id: int) -> np.ndarray:
    """Sorted codes ``a * _WIDTH + b`` of every stored pair (what a cancelled run verified)."""
    parts: list[np.ndarray] = []
    cur = conn.execute("SELECT a, b FROM pair_scores WHERE context_id=?", (context_id,))
    while rows := cur.fetchmany(READ_CHUNK):
        pairs = np.asarray(rows, np.int64).reshape(-1, 2)
        parts.append(pairs[:, 0] * _WIDTH + pairs[:, 1])
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


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

"""Incremental indexing of a context's folders: walk, diff against the database, analyse.

* unchanged files (same size and mtime) are not read at all;
* a new path whose bytes equal a vanished record (content hash, checked only for files of a
  matching size) is a **move**: the record keeps its id, features, thumbnail and pair scores;
* a new path whose bytes equal a present record is a **copy**: its facts, features and
  thumbnail are copied, not decoded again;
* changed files are re-analysed (their cached pair scores dropped); vanished files dropped;
* a file that can't be decoded is a **skip** with the reason, retried only when it changes;
* a folder that is missing (an unplugged drive) is reported offline and its records are kept.

Analysis runs in a process pool (every core by default; ``workers=1`` runs in this process);
results are written by this thread alone, in batches, each batch its own transaction, so a
cancel (or a crash) keeps everything indexed so far and readers in other connections see a
consistent database at all times (WAL).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import sqlite3
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable

from desktop_app.context.scan import FoundFile, is_under, owning_root, walk_images
from desktop_app.context.schema import (
    bump_generation, from_db, iter_chunks, now_iso, to_db, transaction,
)
from desktop_app.context.types import ImageRecord, IndexReport, SkippedFile
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.types import AnalyzedImage, ImageFacts, ImageFeatures
from desktop_app.errors import Cancelled, DecodeError

log = logging.getLogger(__name__)

BATCH_SIZE = 64          # results per transaction
BATCH_SECONDS = 2.0      # ... or this long, whichever comes first
PROGRESS_INTERVAL = 0.1  # seconds between progress reports (a GUI needs no more)
CRASH_REASON = "the image decoder crashed on this file"
RETRY_MTIME = -1         # skips.mtime_ns of a transient skip: never matches, so always retried

ProgressFn = Callable[[Progress], None]


# ---------------------------------------------------------------- worker side (picklable)


@dataclass(frozen=True)
class Outcome:
    """Result of analysing one file, sent back from a worker process."""

    path: str
    kind: str                                  # "ok" | "skip" | "gone"
    reason: str = ""
    transient: bool = False                    # a skip that may go away with the file unchanged
    content_hash: str = ""
    facts: ImageFacts | None = None
    features_blob: bytes = b""
    index_blob: bytes = b""                    # see index_view()
    thumbnail: bytes = b""


def index_view(features: ImageFeatures) -> ImageFeatures:
    """The part of ``features`` the engine's SimilarityIndex reads (pHash + first descriptors).

    ``SimilarityIndex.add`` uses the pHash and the first ``INDEX_KEYPOINTS`` descriptors (the
    strongest, see engine.features); storing just that slice keeps index building cheap.
    """
    from desktop_app.engine import index as index_module

    keep = getattr(index_module, "INDEX_KEYPOINTS", None)
    if keep is None:  # the engine didn't say what it needs: keep everything but extras
        keep = len(features.descriptors)
    return ImageFeatures(phash=features.phash, keypoints=features.keypoints[:keep],
                         descriptors=features.descriptors[:keep],
                         working_size=features.working_size)


def analyze_job(path: str) -> Outcome:
    """Analyse one file; never raises for a bad file (it becomes a skip)."""
    from desktop_app.engine import analyze as analyze_module  # looked up per call: patchable

    from desktop_app.engine.decode import TransientDecodeError

    try:
        analyzed: AnalyzedImage = analyze_module.analyze_file(path)
    except DecodeError as err:
        if not os.path.exists(path):
            return Outcome(path, "gone")
        # permission denied, I/O errors, low memory: retried on the next index (see _Writer)
        return Outcome(path, "skip", reason=err.reason,
                       transient=isinstance(err, TransientDecodeError))
    except FileNotFoundError:
        return Outcome(path, "gone")
    except OSError as err:
        return Outcome(path, "skip", reason=err.strerror or str(err), transient=True)
    except MemoryError:
        return Outcome(path, "skip", reason="not enough memory to decode the image", transient=True)
    except Exception as err:  # a decoder bug must not stop a 100,000-file scan
        log.exception("unexpected error analysing %r", path)
        return Outcome(path, "skip", reason=f"unexpected decoder error ({type(err).__name__})")
    return Outcome(
        path,
        "ok",
        content_hash=analyzed.content_hash,
        facts=analyzed.facts,
        features_blob=analyzed.features.to_bytes(),
        index_blob=index_view(analyzed.features).to_bytes(),
        thumbnail=analyzed.thumbnail_jpeg,
    )


def file_content_hash(path: str) -> str:
    """The content hash the engine stores for ``path`` (the engine's own function, same bytes)."""
    from desktop_app.engine import analyze as analyze_module

    with open(path, "rb") as fh:
        data = fh.read()
    return str(analyze_module.content_hash(data))


# ---------------------------------------------------------------- main side


@dataclass
class IndexChanges:
    """What an index run changed, so the caller can update in-memory caches incrementally."""

    report: IndexReport
    analysed_ids: set[int] = field(default_factory=set)   # new or re-analysed features
    removed_ids: set[int] = field(default_factory=set)
    moved_ids: set[int] = field(default_factory=set)


@dataclass
class _Record:
    id: int
    path: str
    root: str
    size: int
    mtime_ns: int
    content_hash: str


def _record(row: tuple[Any, ...]) -> _Record:
    return _Record(row[0], from_db(row[1]), from_db(row[2]), row[3], row[4], row[5])


class _Progress:
    """Rate/ETA bookkeeping; a callback raising Cancelled counts as a cancel request."""

    def __init__(self, callback: ProgressFn | None, cancel: CancelToken | None) -> None:
        self.callback = callback
        self.cancel = cancel
        self.cancel_requested = False
        self.start = time.monotonic()
        self.last = 0.0

    def cancelled(self) -> bool:
        if self.cancel is not None and self.cancel.cancelled:
            self.cancel_requested = True
        return self.cancel_requested

    def report(self, done: int, total: int, current: str, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_INTERVAL and done < total:
            return
        self.last = now
        try:
            self.callback(Progress.since(self.start, done, total, current))
        except Cancelled:
            self.cancel_requested = True


class _Writer:
    """Applies outcomes in batches, one transaction per batch, from the calling thread only."""

    def __init__(self, conn: sqlite3.Connection, context_id: int, known: dict[str, _Record],
                 found: dict[str, FoundFile], changes: IndexChanges, counts: dict[str, int]) -> None:
        self.conn = conn
        self.context_id = context_id
        self.known = known
        self.found = found
        self.changes = changes
        self.counts = counts
        self.pending: list[Outcome] = []
        self.last_flush = time.monotonic()

    def add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        if len(self.pending) >= BATCH_SIZE or time.monotonic() - self.last_flush > BATCH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        with transaction(self.conn):
            for outcome in batch:
                self._apply(outcome)
            bump_generation(self.conn, self.context_id)
        self.last_flush = time.monotonic()

    def _apply(self, out: Outcome) -> None:
        conn, cid = self.conn, self.context_id
        found = self.found.get(out.path)
        old = self.known.get(out.path)
        if old is None:  # added meanwhile through another path (add_image in another thread)?
            row = conn.execute("SELECT id, path, root, size, mtime_ns, content_hash FROM images"
                               " WHERE context_id=? AND path=?", (cid, to_db(out.path))).fetchone()
            old = None if row is None else _record(row)
        if out.kind == "ok" and found is not None and out.facts is not None:
            # Store the size/mtime seen by the walk: if the file changed while being read, the
            # next scan sees a newer mtime and analyses it again (never a stale record).
            values = (to_db(found.root), found.size, found.mtime_ns, out.content_hash) + facts_values(
                out.facts) + (now_iso(),)
            if old is not None:
                conn.execute(
                    "UPDATE images SET root=?, size=?, mtime_ns=?, content_hash=?, width=?,"
                    " height=?, format=?, lossless=?, date_taken=?, camera=?, orientation=?,"
                    " metadata_count=?, indexed_at=?, paired=0 WHERE id=?",
                    values + (old.id,),
                )
                conn.execute("DELETE FROM pair_scores WHERE a=? OR b=?", (old.id, old.id))
                image_id = old.id
                self.counts["updated"] += 1
            else:
                cur = conn.execute(
                    "INSERT INTO images (context_id, path, root, size, mtime_ns, content_hash,"
                    " width, height, format, lossless, date_taken, camera, orientation,"
                    " metadata_count, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (cid, to_db(out.path)) + values,
                )
                image_id = int(cur.lastrowid or 0)
                self.counts["added"] += 1
            conn.execute("INSERT OR REPLACE INTO features (image_id, blob) VALUES (?, ?)",
                         (image_id, out.features_blob))
            conn.execute("INSERT OR REPLACE INTO thumbnails (image_id, jpeg) VALUES (?, ?)",
                         (image_id, out.thumbnail))
            conn.execute("INSERT OR REPLACE INTO index_features (image_id, blob) VALUES (?, ?)",
                         (image_id, out.index_blob))
            conn.execute("DELETE FROM skips WHERE context_id=? AND path=?", (cid, to_db(out.path)))
            self.changes.analysed_ids.add(image_id)
            return
        if out.kind == "skip" and found is not None:
            # Only a genuine decode failure of an unchanged file is not retried; a transient
            # one (permission denied: chmod keeps the mtime) is stored with a stamp no file has.
            conn.execute(
                "INSERT OR REPLACE INTO skips (context_id, path, size, mtime_ns, reason)"
                " VALUES (?,?,?,?,?)",
                (cid, to_db(out.path), found.size,
                 RETRY_MTIME if out.transient else found.mtime_ns, out.reason),
            )
        else:  # vanished while we worked on it
            conn.execute("DELETE FROM skips WHERE context_id=? AND path=?", (cid, to_db(out.path)))
        if old is not None:  # it was an image and now is unreadable or gone: drop the record
            conn.execute("DELETE FROM images WHERE id=?", (old.id,))
            self.changes.removed_ids.add(old.id)
            self.counts["removed"] += 1


def apply_outcome(conn: sqlite3.Connection, context_id: int, found: FoundFile, outcome: Outcome,
                  old: ImageRecord | None) -> IndexChanges:
    """Write one analysed file (``old``: its record if it was indexed) as an index run would."""
    known = {} if old is None else {found.path: _Record(
        old.id, old.path, old.root, old.size, old.mtime_ns, old.content_hash)}
    changes = IndexChanges(IndexReport())
    writer = _Writer(conn, context_id, known, {found.path: found}, changes,
                     {"added": 0, "updated": 0, "removed": 0})
    writer.add(outcome)
    writer.flush()
    return changes


def facts_values(facts: ImageFacts) -> tuple[Any, ...]:
    return (facts.width, facts.height, facts.format, int(bool(facts.lossless)), facts.date_taken,
            facts.camera, facts.orientation, facts.metadata_count)


def run_index(
    conn: sqlite3.Connection,
    context_id: int,
    roots: list[str],
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> IndexChanges:
    """Bring the context's images in line with its folders (see the module docstring)."""
    started = time.monotonic()
    prog = _Progress(progress, cancel)
    counts = {"added": 0, "updated": 0, "moved": 0, "removed": 0, "unchanged": 0}
    changes = IndexChanges(IndexReport())
    offline = tuple(r for r in roots if _root_offline(conn, context_id, r))
    online = [r for r in roots if r not in offline]

    # 1. Walk (cheap: directory listings and stats only).
    found: dict[str, FoundFile] = {}
    for item in walk_images(online, should_stop=prog.cancelled):
        found[item.path] = item
        if len(found) % 500 == 0:
            prog.report(0, 0, f"Scanning folders: {len(found)} images found", force=True)
    if prog.cancelled():
        changes.report = _finish(conn, context_id, counts, started, cancelled=True,
                                 offline=offline)
        return changes

    # 2. Diff against the database.
    known: dict[str, _Record] = {
        rec.path: rec
        for rec in map(_record, conn.execute(
            "SELECT id, path, root, size, mtime_ns, content_hash FROM images WHERE context_id=?",
            (context_id,),
        ))
    }
    skips = {
        from_db(row[0]): (row[1], row[2])
        for row in conn.execute("SELECT path, size, mtime_ns FROM skips WHERE context_id=?",
                                (context_id,))
    }
    _add_loose_files(known, found, roots)

    new: list[FoundFile] = []
    changed: list[FoundFile] = []
    root_fixes: list[tuple[str, int]] = []
    for path, item in found.items():
        rec = known.get(path)
        if rec is None:
            if skips.get(path) != (item.size, item.mtime_ns):  # a remembered skip is not retried
                new.append(item)
        elif rec.size == item.size and rec.mtime_ns == item.mtime_ns:
            counts["unchanged"] += 1
            if rec.root != item.root:
                root_fixes.append((item.root, rec.id))
        else:
            changed.append(item)
    vanished = {
        path: rec for path, rec in known.items()
        if path not in found and not any(_under(path, r) for r in offline)
    }
    stale_skips = [p for p in skips if p not in found and not any(_under(p, r) for r in offline)]

    # 3. Moves and copies: hash only new files whose size matches a record.
    total = len(new) + len(changed)
    done = 0
    changed_paths = {c.path for c in changed}
    by_size_vanished: dict[int, list[_Record]] = {}
    for rec in vanished.values():
        by_size_vanished.setdefault(rec.size, []).append(rec)
    by_size_present: dict[int, list[_Record]] = {}
    for rec in known.values():
        if rec.path not in vanished and rec.path not in changed_paths:
            by_size_present.setdefault(rec.size, []).append(rec)
    to_analyse: list[FoundFile] = list(changed)
    moves: list[tuple[FoundFile, _Record]] = []
    copies: list[tuple[FoundFile, _Record]] = []
    for item in new:
        candidates_moved = by_size_vanished.get(item.size, [])
        candidates_copy = by_size_present.get(item.size, [])
        if not candidates_moved and not candidates_copy:
            to_analyse.append(item)
            continue
        if prog.cancelled():
            break
        prog.report(done, total, item.path)
        try:
            digest = file_content_hash(item.path)
        except OSError:
            to_analyse.append(item)  # let the analysis report what is wrong with it
            continue
        match = next((r for r in candidates_moved if r.content_hash == digest), None)
        if match is not None:
            candidates_moved.remove(match)
            del vanished[match.path]
            moves.append((item, match))
            done += 1
            continue
        match = next((r for r in candidates_copy if r.content_hash == digest), None)
        if match is not None:
            copies.append((item, match))
            done += 1
        else:
            to_analyse.append(item)

    # The same file (path, size, mtime) analysed for another context: copy, don't decode.
    if not prog.cancelled():
        reused = _analysed_elsewhere(conn, context_id,
                                     [f for f in to_analyse if f.path not in changed_paths])
        if reused:
            copies.extend((f, reused[f.path]) for f in to_analyse if f.path in reused)
            to_analyse = [f for f in to_analyse if f.path not in reused]
            done += len(reused)

    with transaction(conn):
        for new_root, image_id in root_fixes:
            conn.execute("UPDATE images SET root=? WHERE id=?", (new_root, image_id))
        for item, rec in moves:
            _apply_move(conn, context_id, item, rec)
            changes.moved_ids.add(rec.id)
            counts["moved"] += 1
        for item, rec in copies:
            image_id = _apply_copy(conn, context_id, item, rec)
            changes.analysed_ids.add(image_id)
            counts["added"] += 1
        for rec in vanished.values():
            conn.execute("DELETE FROM images WHERE id=?", (rec.id,))
            changes.removed_ids.add(rec.id)
            counts["removed"] += 1
        conn.executemany("DELETE FROM skips WHERE context_id=? AND path=?",
                         [(context_id, to_db(p)) for p in stale_skips])
        if moves or copies or vanished or root_fixes:
            bump_generation(conn, context_id)
    for item, rec in moves:  # keep ``known`` true to the database for the writer
        del known[rec.path]
        known[item.path] = _Record(rec.id, item.path, item.root, item.size, item.mtime_ns,
                                   rec.content_hash)
    for rec in vanished.values():
        known.pop(rec.path, None)

    # 4. Analyse what is new or changed, every core, results written here in batches.
    if not prog.cancelled():
        to_analyse.sort(key=lambda f: f.path)
        writer = _Writer(conn, context_id, known, found, changes, counts)
        try:
            _analyse_all([f.path for f in to_analyse], writer, prog, done, total, workers)
        finally:
            writer.flush()
    changes.report = _finish(conn, context_id, counts, started,
                             cancelled=prog.cancelled(), offline=offline)
    return changes


def _root_offline(conn: sqlite3.Connection, context_id: int, root: str) -> bool:
    """Whether a folder's drive looks unplugged: its records are kept, not dropped.

    A missing folder is offline. So is an unreadable one, and an *empty* one while the index
    holds images under it: an unmounted mount point is an empty directory, and taking it at
    its word would drop every image of the drive (a folder the user really emptied keeps its
    records until it is removed from the context or gets files again).
    """
    if not os.path.isdir(root):
        return True
    try:
        with os.scandir(root) as entries:
            if next(entries, None) is not None:
                return False
    except OSError:
        return True
    return conn.execute("SELECT 1 FROM images WHERE context_id=? AND root=? LIMIT 1",
                        (context_id, to_db(root))).fetchone() is not None


def _under(path: str, root: str) -> bool:
    return is_under(path, root)


def _add_loose_files(known: dict[str, _Record], found: dict[str, FoundFile],
                     roots: list[str]) -> None:
    """Images added one by one outside every folder are checked by stat, not by the walk."""
    for path, rec in known.items():
        if path in found or owning_root(path, roots) is not None:
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue  # gone: dropped as vanished
        found[path] = FoundFile(path, rec.root, st.st_size, st.st_mtime_ns)


def _analysed_elsewhere(conn: sqlite3.Connection, context_id: int,
                        items: list[FoundFile]) -> dict[str, _Record]:
    """Records of other contexts for exactly these files (same path, size and mtime)."""
    wanted = {f.path: f for f in items}
    out: dict[str, _Record] = {}
    for chunk in iter_chunks(list(wanted), 500):
        rows = conn.execute(
            "SELECT i.id, i.path, i.root, i.size, i.mtime_ns, i.content_hash FROM images i"
            f" WHERE i.path IN ({','.join('?' * len(chunk))}) AND i.context_id<>?"
            " AND EXISTS (SELECT 1 FROM features f WHERE f.image_id = i.id)",
            [to_db(p) for p in chunk] + [context_id])
        for rec in map(_record, rows):
            item = wanted[rec.path]
            if rec.size == item.size and rec.mtime_ns == item.mtime_ns:
                out[rec.path] = rec
    return out


def _apply_move(conn: sqlite3.Connection, context_id: int, item: FoundFile, rec: _Record) -> None:
    conn.execute("UPDATE images SET path=?, root=?, size=?, mtime_ns=? WHERE id=?",
                 (to_db(item.path), to_db(item.root), item.size, item.mtime_ns, rec.id))
    # A mark follows its file (the user decided about the photo, not about the path).
    conn.execute("UPDATE OR REPLACE marks SET path=? WHERE context_id=? AND path=?",
                 (to_db(item.path), context_id, to_db(rec.path)))
    conn.execute("DELETE FROM skips WHERE context_id=? AND path=?", (context_id, to_db(item.path)))


def _apply_copy(conn: sqlite3.Connection, context_id: int, item: FoundFile, rec: _Record) -> int:
    cur = conn.execute(
        "INSERT INTO images (context_id, path, root, size, mtime_ns, content_hash, width, height,"
        " format, lossless, date_taken, camera, orientation, metadata_count, indexed_at)"
        " SELECT ?, ?, ?, ?, ?, content_hash, width, height, format, lossless,"
        " date_taken, camera, orientation, metadata_count, ? FROM images WHERE id=?",
        (context_id, to_db(item.path), to_db(item.root), item.size, item.mtime_ns, now_iso(),
         rec.id),
    )
    image_id = int(cur.lastrowid or 0)
    conn.execute("INSERT INTO features (image_id, blob) SELECT ?, blob FROM features"
                 " WHERE image_id=?", (image_id, rec.id))
    conn.execute("INSERT INTO thumbnails (image_id, jpeg) SELECT ?, jpeg FROM thumbnails"
                 " WHERE image_id=?", (image_id, rec.id))
    conn.execute("INSERT INTO index_features (image_id, blob) SELECT ?, blob FROM index_features"
                 " WHERE image_id=?", (image_id, rec.id))
    conn.execute("DELETE FROM skips WHERE context_id=? AND path=?", (context_id, to_db(item.path)))
    return image_id


def _finish(conn: sqlite3.Connection, context_id: int, counts: dict[str, int], started: float,
            *, cancelled: bool, offline: tuple[str, ...]) -> IndexReport:
    if not cancelled:
        with transaction(conn):
            conn.execute("UPDATE contexts SET last_indexed=? WHERE id=?", (now_iso(), context_id))
    skipped = tuple(
        SkippedFile(from_db(path), reason)
        for path, reason in conn.execute(
            "SELECT path, reason FROM skips WHERE context_id=? ORDER BY path", (context_id,))
    )
    return IndexReport(
        added=counts["added"], updated=counts["updated"], moved=counts["moved"],
        removed=counts["removed"], unchanged=counts["unchanged"], skipped=skipped,
        cancelled=cancelled, seconds=round(time.monotonic() - started, 3),
        offline_folders=offline,
    )


def _analyse_all(paths: list[str], writer: _Writer, prog: _Progress, done: int, total: int,
                 workers: int | None) -> None:
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    n_workers = min(n_workers, max(1, len(paths)))
    if n_workers == 1 or len(paths) <= 2:
        for path in paths:
            if prog.cancelled():
                return
            prog.report(done, total, path)
            writer.add(analyze_job(path))
            done += 1
        prog.report(done, total, "", force=True)
        return
    _analyse_in_pool(paths, writer, prog, done, total, n_workers)


def _ping() -> bool:
    return True


def _worker_init() -> None:
    """Workers ignore Ctrl-C: the parent turns it into a cancel and stops them cleanly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _new_pool(n_workers: int) -> cf.ProcessPoolExecutor | None:
    """A started pool, or None when worker processes can't start here (then run in-process)."""
    # "spawn" everywhere: forking a process that runs Qt or other threads can deadlock.
    pool = cf.ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_init,
                                  mp_context=multiprocessing.get_context("spawn"))
    try:
        pool.submit(_ping).result(timeout=120)
    except Exception as err:  # BrokenProcessPool, timeout, pickling trouble in a frozen app...
        log.error("can't start decoder processes (%s); analysing in this process", err)
        pool.shutdown(wait=False, cancel_futures=True)
        return None
    return pool


def _analyse_in_pool(paths: list[str], writer: _Writer, prog: _Progress, done: int, total: int,
                     n_workers: int) -> None:
    queue: deque[str] = deque(paths)
    suspects: deque[str] = deque()  # in flight when a worker died: retried one at a time
    window = n_workers * 4
    pool = _new_pool(n_workers)
    if pool is None:
        _analyse_all(paths, writer, prog, done, total, 1)
        return
    inflight: dict[cf.Future[Outcome], str] = {}
    try:
        while queue or suspects or inflight:
            if prog.cancelled():
                return
            solo = bool(suspects)
            broken = False
            submitting: str | None = None
            try:
                while not inflight and suspects:
                    submitting = suspects.popleft()
                    inflight[pool.submit(analyze_job, submitting)] = submitting
                while not solo and queue and len(inflight) < window:
                    submitting = queue.popleft()
                    inflight[pool.submit(analyze_job, submitting)] = submitting
            except BrokenProcessPool:
                if submitting is not None:  # the file whose submit found the pool broken
                    suspects.append(submitting)
                broken = True
            finished, _ = cf.wait(inflight, timeout=0.25, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                path = inflight.pop(fut)
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    broken = True
                    if solo:  # alone in a pool that was working: this file kills the decoder
                        outcome = Outcome(path, "skip", reason=CRASH_REASON)
                    else:
                        suspects.append(path)
                        continue
                writer.add(outcome)
                done += 1
                prog.report(done, total, path)
            if broken:
                log.warning("a decoder process died; retrying the files it had, one at a time")
                suspects.extend(inflight.values())
                inflight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                pool = _new_pool(n_workers)
                if pool is None:
                    rest = list(suspects) + list(queue)
                    _analyse_all(rest, writer, prog, done, total, 1)
                    return
        prog.report(done, total, "", force=True)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

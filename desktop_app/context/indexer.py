"""Incremental indexing of a context's folders: walk, diff against the database, analyse.

* unchanged files (same size and mtime) are not read at all;
* a new path whose bytes equal a vanished record (content hash, checked only for files of a
  matching size) is a **move**: the record keeps its id, features, thumbnail and pair scores;
* a new path whose bytes equal a present record is a **copy**: its facts, features and
  thumbnail are copied, not decoded again;
* changed files are re-analysed (their cached pair scores dropped); vanished files dropped;
* so are unchanged files whose stored features are an older format than the engine's;
* a file that can't be decoded is a **skip** with the reason, retried only when it changes;
* a folder that is missing (an unplugged drive) is reported offline and its records are kept.

Analysis runs in a process pool (every core by default; ``workers=1`` runs in this process);
results are written by this thread alone, in batches, each batch its own transaction, so a
cancel (or a crash) keeps everything indexed so far and readers in other connections see a
consistent database at all times (WAL).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time

from desktop_app.context import analysis
from desktop_app.context.blobs import CURRENT_VERSION, outdated_feature_ids
from desktop_app.context.pool import WorkerPool, default_workers
from desktop_app.context.reporting import ProgressReporter
from desktop_app.context.scan import FoundFile, is_under, owning_root, walk_images
from desktop_app.context.schema import (
    bump_generation, from_db, iter_chunks, now_iso, to_db, transaction,
)
from desktop_app.context.types import IndexReport, SkippedFile
from desktop_app.context.writer import (
    IndexChanges, IndexedFile, IndexWriter, apply_copy, apply_move, indexed_file,
)
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.errors import DecodeError

log = logging.getLogger(__name__)


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
    prog = ProgressReporter(progress, cancel)
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
    known: dict[str, IndexedFile] = {
        rec.path: rec
        for rec in map(indexed_file, conn.execute(
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
    outdated = outdated_feature_ids(conn, context_id)   # analysed by an older engine: again

    new: list[FoundFile] = []
    changed: list[FoundFile] = []
    root_fixes: list[tuple[str, int]] = []
    for path, item in found.items():
        rec = known.get(path)
        if rec is None:
            if skips.get(path) != (item.size, item.mtime_ns):  # a remembered skip is not retried
                new.append(item)
        elif rec.size == item.size and rec.mtime_ns == item.mtime_ns and rec.id not in outdated:
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
    by_size_vanished: dict[int, list[IndexedFile]] = {}
    for rec in vanished.values():
        by_size_vanished.setdefault(rec.size, []).append(rec)
    by_size_present: dict[int, list[IndexedFile]] = {}
    for rec in known.values():
        if rec.path not in vanished and rec.path not in changed_paths:
            by_size_present.setdefault(rec.size, []).append(rec)
    to_analyse: list[FoundFile] = list(changed)
    moves: list[tuple[FoundFile, IndexedFile]] = []
    copies: list[tuple[FoundFile, IndexedFile]] = []
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
            digest = analysis.file_content_hash(item.path)
        except (OSError, DecodeError):
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
            apply_move(conn, context_id, item, rec)
            changes.moved_ids.add(rec.id)
            counts["moved"] += 1
        for item, rec in copies:
            image_id = apply_copy(conn, context_id, item, rec)
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
        known[item.path] = IndexedFile(rec.id, item.path, item.root, item.size, item.mtime_ns,
                                   rec.content_hash)
    for rec in vanished.values():
        known.pop(rec.path, None)

    # 4. Analyse what is new or changed, every core, results written here in batches.
    if not prog.cancelled():
        to_analyse.sort(key=lambda f: f.path)
        writer = IndexWriter(conn, context_id, known, found, changes, counts)
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


def _add_loose_files(known: dict[str, IndexedFile], found: dict[str, FoundFile],
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
                        items: list[FoundFile]) -> dict[str, IndexedFile]:
    """Records of other contexts for exactly these files (same path, size and mtime), whose
    features are of the engine's format (older ones are analysed again, not copied)."""
    wanted = {f.path: f for f in items}
    out: dict[str, IndexedFile] = {}
    for chunk in iter_chunks(list(wanted), 500):
        rows = conn.execute(
            "SELECT i.id, i.path, i.root, i.size, i.mtime_ns, i.content_hash FROM images i"
            f" WHERE i.path IN ({','.join('?' * len(chunk))}) AND i.context_id<>?"
            " AND EXISTS (SELECT 1 FROM features f WHERE f.image_id = i.id"
            " AND substr(f.blob, 4, 1) = ?)",
            [to_db(p) for p in chunk] + [context_id, CURRENT_VERSION])
        for rec in map(indexed_file, rows):
            item = wanted[rec.path]
            if rec.size == item.size and rec.mtime_ns == item.mtime_ns:
                out[rec.path] = rec
    return out


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


def _analyse_all(paths: list[str], writer: IndexWriter, prog: ProgressReporter, done: int,
                 total: int, workers: int | None) -> None:
    """Analyse ``paths`` on every core (``workers=1``: in this process), writing as they come."""
    n_workers = min(default_workers(workers), max(1, len(paths)))
    if len(paths) <= 2:
        n_workers = 1
    with WorkerPool(analysis.analyze_job, workers=n_workers, on_crash=analysis.crashed) as pool:
        for path, outcome in pool.run(paths, should_stop=prog.cancelled):
            writer.add(outcome)
            done += 1
            prog.report(done, total, path)
    if not prog.cancelled():
        prog.report(done, total, "", force=True)

"""Writing index results to the database: one analysed file, a move, a copy, in batches.

The :class:`IndexWriter` applies outcomes from the calling thread only, one transaction per
batch (:data:`BATCH_SIZE` results or :data:`BATCH_SECONDS`, whichever comes first), so a cancel
or a crash keeps everything indexed so far and readers in other connections always see a
consistent database (WAL).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from desktop_app.context.analysis import Outcome
from desktop_app.context.scan import FoundFile
from desktop_app.context.schema import bump_generation, from_db, now_iso, to_db, transaction
from desktop_app.context.types import ImageRecord, IndexReport
from desktop_app.engine.types import ImageFacts

BATCH_SIZE = 64          # results per transaction
BATCH_SECONDS = 2.0      # ... or this long, whichever comes first
RETRY_MTIME = -1         # skips.mtime_ns of a transient skip: never matches, so always retried


@dataclass
class IndexChanges:
    """What an index run changed, so the caller can update in-memory caches incrementally."""

    report: IndexReport
    analysed_ids: set[int] = field(default_factory=set)   # new or re-analysed features
    removed_ids: set[int] = field(default_factory=set)
    moved_ids: set[int] = field(default_factory=set)


@dataclass
class IndexedFile:
    id: int
    path: str
    root: str
    size: int
    mtime_ns: int
    content_hash: str


def indexed_file(row: tuple[Any, ...]) -> IndexedFile:
    return IndexedFile(row[0], from_db(row[1]), from_db(row[2]), row[3], row[4], row[5])


class IndexWriter:
    """Applies outcomes in batches, one transaction per batch, from the calling thread only."""

    def __init__(self, conn: sqlite3.Connection, context_id: int, known: dict[str, IndexedFile],
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
            old = None if row is None else indexed_file(row)
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
    known = {} if old is None else {found.path: IndexedFile(
        old.id, old.path, old.root, old.size, old.mtime_ns, old.content_hash)}
    changes = IndexChanges(IndexReport())
    writer = IndexWriter(conn, context_id, known, {found.path: found}, changes,
                     {"added": 0, "updated": 0, "removed": 0})
    writer.add(outcome)
    writer.flush()
    return changes


def facts_values(facts: ImageFacts) -> tuple[Any, ...]:
    return (facts.width, facts.height, facts.format, int(bool(facts.lossless)), facts.date_taken,
            facts.camera, facts.orientation, facts.metadata_count)




def apply_move(conn: sqlite3.Connection, context_id: int, item: FoundFile, rec: IndexedFile) -> None:
    conn.execute("UPDATE images SET path=?, root=?, size=?, mtime_ns=? WHERE id=?",
                 (to_db(item.path), to_db(item.root), item.size, item.mtime_ns, rec.id))
    # A mark follows its file (the user decided about the photo, not about the path).
    conn.execute("UPDATE OR REPLACE marks SET path=? WHERE context_id=? AND path=?",
                 (to_db(item.path), context_id, to_db(rec.path)))
    conn.execute("DELETE FROM skips WHERE context_id=? AND path=?", (context_id, to_db(item.path)))


def apply_copy(conn: sqlite3.Connection, context_id: int, item: FoundFile, rec: IndexedFile) -> int:
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

"""SQLite schema of the search-context database, with a version table and forward-only migrations.

One database file holds many contexts. Tables fall in two kinds:

* **derived caches** (images, features, thumbnails, skips, pair scores): rebuilt by re-indexing;
* **user decisions** (``distinct_pairs``, ``marks``, folders and their protected flag,
  settings): never dropped by an index run or a migration.

A migration is a list of SQL statements applied in one transaction; ``MIGRATIONS[i]`` brings the
schema from version ``i`` to ``i + 1``. Never edit a released migration; append a new one.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from desktop_app.context.db_health import BUSY, DAMAGED, FULL, READ_ONLY, busy_timeout, classify, database_error
from desktop_app.errors import ContextError

log = logging.getLogger(__name__)

APP_DIR_NAME = "lookalike"
DB_FILE_NAME = "lookalike.sqlite"

MIGRATIONS: list[list[str]] = [
    # 0 -> 1: initial schema.
    [
        """CREATE TABLE contexts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            last_indexed TEXT,
            settings TEXT NOT NULL DEFAULT '{}',
            generation INTEGER NOT NULL DEFAULT 0   -- bumped on every change of its images
        )""",
        """CREATE TABLE folders (
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            protected INTEGER NOT NULL DEFAULT 0,
            added TEXT NOT NULL,
            PRIMARY KEY (context_id, path)
        )""",
        """CREATE TABLE images (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            root TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            format TEXT NOT NULL,
            lossless INTEGER NOT NULL,
            date_taken TEXT,
            camera TEXT,
            orientation INTEGER NOT NULL DEFAULT 1,
            metadata_count INTEGER NOT NULL DEFAULT 0,
            indexed_at TEXT NOT NULL,
            paired INTEGER NOT NULL DEFAULT 0,      -- 1 once its pair scores are in pair_scores
            UNIQUE (context_id, path)
        )""",
        "CREATE INDEX images_hash ON images (context_id, content_hash)",
        "CREATE INDEX images_size ON images (context_id, size)",
        """CREATE TABLE features (
            image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
            blob BLOB NOT NULL
        )""",
        """CREATE TABLE thumbnails (
            image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
            jpeg BLOB NOT NULL
        )""",
        """CREATE TABLE skips (
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (context_id, path)
        )""",
        """CREATE TABLE pair_scores (
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            a INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            b INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            score REAL NOT NULL,
            PRIMARY KEY (a, b)                      -- a < b; image ids are unique across contexts
        ) WITHOUT ROWID""",
        "CREATE INDEX pair_scores_b ON pair_scores (b)",
        "CREATE INDEX pair_scores_context ON pair_scores (context_id)",
        """CREATE TABLE distinct_pairs (
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            hash_a TEXT NOT NULL,
            hash_b TEXT NOT NULL,
            path_a TEXT NOT NULL,
            path_b TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            PRIMARY KEY (context_id, hash_a, hash_b)
        )""",
        """CREATE TABLE marks (
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            mark TEXT NOT NULL,
            updated TEXT NOT NULL,
            PRIMARY KEY (context_id, path)
        )""",
    ],
    # 1 -> 2: the slice of each image's features the candidate index needs (pHash + strongest
    # ORB descriptors, ~3.5 KB instead of ~20 KB), so opening a 100,000-image context reads
    # ~350 MB instead of ~2 GB. Filled lazily for images indexed before (search.py).
    [
        """CREATE TABLE index_features (
            image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
            blob BLOB NOT NULL
        )""",
    ],
    # 2 -> 3: find a file's analysis in other contexts by path (reuse instead of decoding).
    [
        "CREATE INDEX images_path ON images (path)",
    ],
    # 3 -> 4: companion files (sidecars, Live Photo videos) found by the scan, per photo
    # (context/companions.py); a derived cache, rebuilt by every scan.
    [
        """CREATE TABLE companions (
            context_id INTEGER NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            path TEXT NOT NULL,          -- the companion file
            photo TEXT NOT NULL,         -- a photo claiming it; '' for an orphan sidecar
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            PRIMARY KEY (context_id, path, photo)
        )""",
        "CREATE INDEX companions_photo ON companions (context_id, photo)",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    """The database in the user's data directory (no Qt needed).

    Linux/BSD: ``$XDG_DATA_HOME/lookalike/lookalike.sqlite`` (default ``~/.local/share``);
    Windows: ``%LOCALAPPDATA%\\Lookalike\\lookalike.sqlite``;
    macOS: ``~/Library/Application Support/Lookalike/lookalike.sqlite``.
    """
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "Lookalike" / DB_FILE_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Lookalike" / DB_FILE_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR_NAME / DB_FILE_NAME


def connect(db_path: Path, *, timeout: float | None = None) -> sqlite3.Connection:
    """Open a connection in WAL mode with foreign keys on; readers never block the writer.
    A damaged, busy or read-only file raises :class:`~desktop_app.context.db_health.LibraryDatabaseError`."""
    timeout = busy_timeout() if timeout is None else timeout
    try:
        conn = sqlite3.connect(
            str(db_path), timeout=timeout, check_same_thread=False, isolation_level=None
        )
    except sqlite3.Error as err:
        raise database_error(err, db_path) from err
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable at checkpoints, fast
    except sqlite3.DatabaseError as err:
        conn.close()
        raise database_error(err, db_path) from err
    return conn


def db_file(conn: sqlite3.Connection) -> str:
    """The file behind ``conn`` (for messages)."""
    try:
        row = conn.execute("PRAGMA database_list").fetchone()
        return str(row[2]) if row else "?"
    except sqlite3.Error:
        return "?"


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to :data:`SCHEMA_VERSION`; return the version found before."""
    try:
        if conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0:
            # A new file: let deleted contexts give their pages back (incremental_vacuum).
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("database is not in WAL mode (%s); concurrent readers may wait", mode)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            found = int(row[0]) if row else 0
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            if found > SCHEMA_VERSION:
                raise ContextError(
                    f"The database was written by a newer Lookalike (schema {found}); "
                    "please update Lookalike."
                )
            for version in range(found, SCHEMA_VERSION):
                log.info("migrating context database to schema %d", version + 1)
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (version + 1,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:  # a damaged file may refuse even that; the first error says why
                    pass
            raise
    except sqlite3.DatabaseError as err:
        raise database_error(err, db_file(conn)) from err
    return found


# ------------------------------------------------------------------ helpers


def to_db(path: str) -> str | bytes:
    """A path as SQLite can store it. File names that aren't valid UTF-8 (possible on Linux;
    Python carries them as surrogate escapes, which sqlite3 refuses) are stored as their raw
    bytes (a BLOB), so they survive the round trip; every other path is plain TEXT."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        try:
            return path.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # lone UTF-16 surrogates (Windows)
            return path.encode("utf-8", "surrogatepass")


def from_db(value: str | bytes) -> str:
    """Inverse of :func:`to_db`."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return value.decode("utf-8", "surrogateescape")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class transaction:
    """``with transaction(conn):`` BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as err:  # locked beyond the busy timeout, read-only, damaged
            raise database_error(err, db_file(self.conn)) from err
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._rollback()   # the error in the block propagates, whatever the rollback does
            return
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as err:  # disk full, I/O error...: leave no transaction open
            self._rollback()
            if isinstance(err, sqlite3.DatabaseError) and classify(err) in (DAMAGED, BUSY, READ_ONLY, FULL):
                raise database_error(err, db_file(self.conn)) from err
            raise ContextError(f"Couldn't save to the context database: {err}") from err

    def _rollback(self) -> None:
        """ROLLBACK if a transaction is still open: SQLite may already have rolled back (disk
        full, I/O error), and a failing rollback must never hide the error that caused it."""
        if not self.conn.in_transaction:
            return
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.warning("rollback failed after an error in %s", db_file(self.conn), exc_info=True)


def bump_generation(conn: sqlite3.Connection, context_id: int) -> None:
    conn.execute("UPDATE contexts SET generation = generation + 1 WHERE id=?", (context_id,))


def iter_chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk

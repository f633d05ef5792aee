"""The context database: :class:`ContextStore`, one SQLite file (WAL) that holds many search
contexts (:class:`~desktop_app.context.search_context.SearchContext`).

Each thread gets its own connection, so an index run in a worker thread writes while the GUI
thread reads thumbnails; another process can read too.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable

from desktop_app.context.protocols import ContextCatalog
from desktop_app.context.records import folders_of
from desktop_app.context.scan import is_archive_folder, normalize_path
from desktop_app.context.schema import connect, default_db_path, migrate, now_iso, transaction
from desktop_app.context.search_context import SearchContext
from desktop_app.context.types import ContextInfo
from desktop_app.errors import ContextError, NoSuchContext

log = logging.getLogger(__name__)


class ContextStore:
    """The database of search contexts. ``ContextStore()`` uses the user data directory."""

    def __init__(self, db_path: Path | str | None = None) -> None:
        self.db_path = Path(db_path) if db_path is not None else default_db_path()
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ContextError(f"Couldn't create the folder for '{self.db_path}': "
                               f"{err.strerror or err}") from err
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._closed = False
        migrate(self.conn())

    # -- connections

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        if self._closed:
            raise ContextError("The context database is closed.")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path)
            self._local.conn = conn
            with self._lock:
                # Worker threads come and go (one QThread per task): close what they left.
                alive = []
                for thread, old in self._connections:
                    if thread.is_alive():
                        alive.append((thread, old))
                    else:
                        old.close()
                alive.append((threading.current_thread(), conn))
                self._connections = alive
        return conn

    def close(self) -> None:
        """Close every connection this store opened (any thread)."""
        with self._lock:
            self._closed = True
            for _, conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:  # pragma: no cover - best effort at shutdown
                    pass
            self._connections.clear()

    def __enter__(self) -> "ContextStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- contexts

    def list_contexts(self) -> list[ContextInfo]:
        rows = self.conn().execute(
            "SELECT c.id, c.name, c.created, c.last_indexed,"
            " (SELECT COUNT(*) FROM images i WHERE i.context_id = c.id)"
            " FROM contexts c ORDER BY c.name COLLATE NOCASE").fetchall()
        return [ContextInfo(name=name, folders=tuple(folders_of(self.conn(), cid)), image_count=count,
                            created=created, last_indexed=last)
                for cid, name, created, last, count in rows]

    def create(self, name: str, folders: Iterable[str | os.PathLike[str]] = ()) -> SearchContext:
        """Create a context; raises :class:`ContextError` if the name is taken or empty."""
        name = name.strip()
        if not name:
            raise ContextError("A context needs a name.")
        paths = [normalize_path(f) for f in folders]
        for folder in paths:  # check first: no half-created context on a bad folder
            if not os.path.isdir(folder):
                raise ContextError(f"Couldn't add '{folder}': it is not a folder.")
            if is_archive_folder(folder):
                raise ContextError(f"Couldn't add '{folder}': it is an archive folder of Lookalike.")
        conn = self.conn()
        try:
            with transaction(conn):
                cur = conn.execute("INSERT INTO contexts (name, created) VALUES (?, ?)",
                                   (name, now_iso()))
        except sqlite3.IntegrityError:
            raise ContextError(f"A context named '{name}' already exists.") from None
        ctx = SearchContext(self, int(cur.lastrowid or 0), name)
        for folder in paths:
            ctx.add_folder(folder)
        return ctx

    def open(self, name: str) -> SearchContext:
        row = self.conn().execute("SELECT id, name FROM contexts WHERE name = ?",
                                  (name,)).fetchone()
        if row is None:
            raise NoSuchContext(f"There is no context named '{name}'.")
        return SearchContext(self, int(row[0]), row[1])

    def open_or_create(self, name: str) -> SearchContext:
        try:
            return self.open(name)
        except NoSuchContext:
            return self.create(name)

    def delete(self, name: str) -> None:
        """Delete a context and everything indexed for it (files on disk are not touched)."""
        conn = self.conn()
        with transaction(conn):
            cur = conn.execute("DELETE FROM contexts WHERE name = ?", (name,))
        if cur.rowcount == 0:
            raise ContextError(f"There is no context named '{name}'.")
        try:  # give the freed pages back to the file system (databases created by us)
            conn.executescript("PRAGMA incremental_vacuum;")  # executescript steps to the end
        except sqlite3.Error:
            log.debug("incremental vacuum failed", exc_info=True)

    def rename(self, old: str, new: str) -> None:
        """Rename a context (its data folder and decisions stay with it)."""
        new = new.strip()
        if not new:
            raise ContextError("A context needs a name.")
        conn = self.conn()
        try:
            with transaction(conn):
                cur = conn.execute("UPDATE contexts SET name=? WHERE name=?", (new, old))
        except (sqlite3.IntegrityError, ContextError):
            raise ContextError(f"A context named '{new}' already exists.") from None
        if cur.rowcount == 0:
            raise ContextError(f"There is no context named '{old}'.")


def _is_catalog(store: ContextStore) -> ContextCatalog:
    """Never called: mypy checks here that ContextStore is a ContextCatalog."""
    return store

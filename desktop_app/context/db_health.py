"""Saying what is wrong with the library database, in words a user can act on.

SQLite reports a damaged file, a file held by another program, and a read-only file with
messages that mean nothing to a photographer ("file is not a database", "database is locked").
:func:`database_error` turns each into :class:`LibraryDatabaseError`: one sentence naming the
file and what to do ("The library database is damaged: PATH. Your photos are not affected; run
'lookalike-cli repair' ..."). Nothing here ever writes to the database: a damaged file is only
ever set aside by ``repair`` (see :mod:`desktop_app.context.repair`), never replaced by an empty
one.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from desktop_app.errors import ContextError

#: Seconds a command waits for another program that is writing the database (SQLite's busy
#: timeout); ``$LOOKALIKE_DB_TIMEOUT`` overrides it.
BUSY_TIMEOUT = 30.0

DAMAGED, BUSY, READ_ONLY, FULL, UNREADABLE = "damaged", "busy", "read-only", "on a full disk", "unreadable"

_ADVICE = {
    DAMAGED: ("Your photos are not affected; run 'lookalike-cli repair' to set the damaged file aside "
              "and rebuild the library from your folders (your decisions that can still be read are kept)"),
    BUSY: "another program has been writing to it for too long; close other Lookalike windows or commands and try again",
    READ_ONLY: "Lookalike needs to write to it; check the file's permissions and that its disk is not read-only",
    FULL: "free some space on that disk and try again",
    UNREADABLE: "check that its disk is connected and readable",
}


class LibraryDatabaseError(ContextError):
    """The library database can't be used: ``kind`` is damaged / busy / read-only / unreadable."""

    def __init__(self, kind: str, path: str | os.PathLike[str], detail: str = "") -> None:
        self.kind = kind
        self.path = os.fspath(path)
        self.detail = detail
        advice = _ADVICE[kind]
        super().__init__(f"The library database is {kind}: {self.path}. {advice[0].upper()}{advice[1:]}.")


def busy_timeout() -> float:
    try:
        return float(os.environ.get("LOOKALIKE_DB_TIMEOUT", BUSY_TIMEOUT))
    except ValueError:
        return BUSY_TIMEOUT


def classify(err: BaseException, path: str | os.PathLike[str] | None = None) -> str | None:
    """damaged / busy / read-only / unreadable for an error SQLite (or the OS) raised about the
    database, or None when it says nothing about the file (a bug, a constraint)."""
    if isinstance(err, OSError):
        if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            return FULL
        return UNREADABLE
    if not isinstance(err, sqlite3.DatabaseError):
        return None
    text = str(err).lower()
    code = getattr(err, "sqlite_errorcode", None)
    if "malformed" in text or "not a database" in text or "corrupt" in text or code in (11, 26):  # CORRUPT, NOTADB
        return DAMAGED
    if "locked" in text or "busy" in text or code in (5, 6):  # BUSY, LOCKED
        return BUSY
    if "readonly" in text or "read-only" in text or code == 8:  # READONLY
        return READ_ONLY
    if "disk is full" in text or code == 13:  # FULL
        return FULL
    if "unable to open" in text or "disk i/o" in text or code in (10, 14):  # IOERR, CANTOPEN
        if path is not None and os.path.exists(path) and not _writable(Path(path)):
            return READ_ONLY
        if path is not None and _disk_full(Path(path)):
            return FULL
        return UNREADABLE
    if isinstance(err, sqlite3.OperationalError):
        return None
    return DAMAGED  # any other DatabaseError comes from the file's contents


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK) and not _read_only_mount(path)


def _disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path.parent)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024  # less than SQLite needs to open a WAL database


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        return False


def database_error(err: BaseException, path: str | os.PathLike[str]) -> ContextError:
    """The user-facing error for ``err`` about the database at ``path``."""
    kind = classify(err, path)
    if kind is None:
        return ContextError(f"The library database '{os.fspath(path)}' couldn't be used: {err}")
    return LibraryDatabaseError(kind, path, str(err))

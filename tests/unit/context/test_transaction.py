"""``transaction``: an error inside the block is the one the caller sees, even when SQLite has
already rolled back (disk full, I/O error) or the ROLLBACK itself fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from desktop_app.context.schema import transaction


class RollbackFails(sqlite3.Connection):
    """A connection whose ROLLBACK fails (as on a disk gone bad)."""

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.strip().upper() == "ROLLBACK":
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, *args)


def _connect(path: Path, factory: type[sqlite3.Connection] = sqlite3.Connection) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, factory=factory)
    conn.execute("CREATE TABLE t (x INTEGER)")
    return conn


def test_the_original_error_survives_when_sqlite_already_rolled_back(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "db.sqlite")
    with pytest.raises(ValueError, match="the real error"):
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
            conn.execute("ROLLBACK")   # what SQLite does by itself on SQLITE_FULL / SQLITE_IOERR
            raise ValueError("the real error")
    assert not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)


def test_a_failing_rollback_never_replaces_the_original_error(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "db.sqlite", RollbackFails)
    with pytest.raises(ValueError, match="the real error"):
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
            raise ValueError("the real error")


def test_an_error_in_the_block_rolls_back(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "db.sqlite")
    with pytest.raises(KeyError):
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES (1)")
            raise KeyError("x")
    assert not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES (2)")
    assert conn.execute("SELECT x FROM t").fetchall() == [(2,)]

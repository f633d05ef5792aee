"""``lookalike-cli repair``: set a damaged library database aside and rebuild it from the files.

The database holds two kinds of data (see :mod:`desktop_app.context.schema`): what was computed
from the photos (rebuilt by indexing again) and the user's decisions (libraries, their folders
and protected flags, marks, "not duplicates"). Repair:

1. checks the file; a healthy database is left alone;
2. renames the damaged file (and its ``-wal``/``-shm`` companions) to
   ``lookalike.sqlite.damaged-<time>``: it is never deleted and never overwritten;
3. reads every decision it still can from that copy, table by table and, around damaged pages,
   row range by row range (a library whose row is unreadable is recreated from its journal
   folder's name, so its archive journal and undo stay with it);
4. writes them into a new database with the same library ids and indexes every library's
   folders again (``index=False`` skips this; the next ``index`` does it).
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from desktop_app.context.db_health import DAMAGED, classify
from desktop_app.context.schema import connect, migrate, transaction

log = logging.getLogger(__name__)

#: Decision tables and the columns copied (everything else is rebuilt from the files).
DECISIONS: dict[str, tuple[str, ...]] = {
    "contexts": ("id", "name", "created", "settings"),
    "folders": ("context_id", "path", "protected", "added"),
    "marks": ("context_id", "path", "mark", "updated"),
    "distinct_pairs": ("context_id", "hash_a", "hash_b", "path_a", "path_b", "decided_at"),
}
_RANGE = 256


@dataclass
class RepairReport:
    database: str
    healthy: bool = False
    damaged_copy: str | None = None
    kept: dict[str, int] = field(default_factory=dict)        # table -> rows carried over
    unreadable: dict[str, int] = field(default_factory=dict)  # table -> row ranges lost
    contexts: list[str] = field(default_factory=list)
    indexed: dict[str, int] = field(default_factory=dict)     # context -> images after indexing

    def to_dict(self) -> dict[str, Any]:
        return {
            "Database": self.database, "Healthy": self.healthy, "DamagedCopy": self.damaged_copy,
            "Kept": self.kept, "Unreadable": self.unreadable, "Contexts": self.contexts,
            "Images": self.indexed,
        }


def check(db_path: Path) -> str | None:
    """None when the database at ``db_path`` is sound, else what is wrong (SQLite's words)."""
    if not db_path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as err:
        return str(err)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            return "; ".join(str(r[0]) for r in rows[:3])
        conn.execute("SELECT COUNT(*) FROM contexts").fetchone()
        return None
    except sqlite3.DatabaseError as err:
        if classify(err) not in (DAMAGED, None):
            raise
        return str(err)
    finally:
        conn.close()


def set_aside(db_path: Path) -> Path:
    """Rename the damaged database and its companions; returns the new name of the file."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    aside = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        aside = db_path.with_name(f"{db_path.name}.damaged-{stamp}-{n}")
        n += 1
    for suffix in ("-wal", "-shm"):  # first, so the main file is the last thing to move
        companion = Path(str(db_path) + suffix)
        if companion.exists():
            os.rename(companion, Path(str(aside) + suffix))
    os.rename(db_path, aside)
    return aside


def _rows(conn: sqlite3.Connection, table: str, columns: tuple[str, ...], lost: list[int]) -> Iterator[tuple[Any, ...]]:
    """Every readable row of ``table``; unreadable row ranges are counted in ``lost``."""
    cols = ", ".join(columns)
    try:
        yield from conn.execute(f"SELECT {cols} FROM {table}").fetchall()
        return
    except sqlite3.DatabaseError:
        pass
    try:
        low, high = conn.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {table}").fetchone()
    except sqlite3.DatabaseError:
        lost[0] += 1
        return
    if low is None:
        return
    for start in range(int(low), int(high) + 1, _RANGE):
        try:
            yield from conn.execute(f"SELECT {cols} FROM {table} WHERE rowid BETWEEN ? AND ?",
                                    (start, start + _RANGE - 1)).fetchall()
        except sqlite3.DatabaseError:
            for rowid in range(start, min(start + _RANGE, int(high) + 1)):
                try:
                    yield from conn.execute(f"SELECT {cols} FROM {table} WHERE rowid = ?", (rowid,)).fetchall()
                except sqlite3.DatabaseError:
                    lost[0] += 1


def salvage(damaged: Path) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, int]]:
    """The decision rows still readable in the damaged copy, and how many reads failed per table."""
    found: dict[str, list[tuple[Any, ...]]] = {t: [] for t in DECISIONS}
    failed: dict[str, int] = {}
    try:
        conn = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return found, {t: 1 for t in DECISIONS}
    try:
        for table, columns in DECISIONS.items():
            lost = [0]
            found[table] = list(_rows(conn, table, columns, lost))
            if lost[0]:
                failed[table] = lost[0]
    finally:
        conn.close()
    return found, failed


def _contexts_from_journals(data_root: Path, known_ids: set[int]) -> list[tuple[Any, ...]]:
    """Libraries whose row was lost, from their folders ``contexts/<id>-<name>`` (the journal)."""
    out: list[tuple[Any, ...]] = []
    base = data_root / "contexts"
    if not base.is_dir():
        return out
    for folder in sorted(base.iterdir()):
        m = re.fullmatch(r"(\d+)-(.+)", folder.name)
        if m and folder.is_dir() and int(m.group(1)) not in known_ids:
            out.append((int(m.group(1)), m.group(2), datetime.now(timezone.utc).isoformat(timespec="seconds"), "{}"))
    return out


def repair(db_path: Path, *, index: Callable[[str], int] | None = None) -> RepairReport:
    """Repair the database at ``db_path`` (see the module doc). ``index(name)`` re-indexes a
    library and returns its image count (the caller opens the new store for it)."""
    report = RepairReport(str(db_path))
    problem = check(db_path)
    if problem is None and db_path.exists():
        report.healthy = True
        return report
    if db_path.exists():
        aside = set_aside(db_path)
        report.damaged_copy = str(aside)
        rows, failed = salvage(aside)
        log.info("library database set aside as %s (%s)", aside, problem)
    else:
        rows, failed = {t: [] for t in DECISIONS}, {}
    if "contexts" in failed:  # only then: a library deleted on purpose keeps no row, nor comes back
        rows["contexts"] += _contexts_from_journals(db_path.parent, {int(r[0]) for r in rows["contexts"]})
    report.unreadable = failed
    conn = connect(db_path)
    try:
        migrate(conn)
        with transaction(conn):
            for table, columns in DECISIONS.items():
                marks = ",".join("?" * len(columns))
                kept = 0
                for row in rows[table]:
                    try:
                        conn.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})", row)
                        kept += 1
                    except sqlite3.Error:  # a row that no longer fits (foreign key, type): dropped
                        failed[table] = failed.get(table, 0) + 1
                report.kept[table] = kept
        report.contexts = [str(r[0]) for r in conn.execute("SELECT name FROM contexts ORDER BY id")]
    finally:
        conn.close()
    if index is not None:
        for name in report.contexts:
            report.indexed[name] = index(name)
    return report

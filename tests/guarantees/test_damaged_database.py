"""A damaged, truncated, busy or read-only library database is said as such, naming the file,
never "There is no context named 'default'"; nothing is created over it; ``repair`` sets it
aside and rebuilds, keeping the decisions it can read (issue 11, item 8). Real processes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.guarantees.conftest import ROOT, cli_env, err_text, ledger, make_library, out_json, run_cli


@pytest.fixture
def indexed(tmp_path: Path, data: Path) -> tuple[Path, Path]:
    """A library indexed in the "default" context, with a mark and a protected folder."""
    lib = make_library(tmp_path / "lib", copies=1, names=("coffee", "rocket"))
    assert run_cli(data, "index", lib, "--workers", "1").returncode == 0
    assert run_cli(data, "index", lib / "copies0", "--protected").returncode == 0
    db = data / "lookalike" / "lookalike.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("INSERT INTO marks VALUES (1, ?, 'keep', '2026-01-01')", (str(lib / "coffee.jpg"),))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return lib, db


def corrupt_page_of(db: Path, table: str) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        page = conn.execute("SELECT pageno FROM dbstat WHERE name=? ORDER BY pageno LIMIT 1", (table,)).fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)


def one_error_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = [ln for ln in err_text(proc).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "There is no context named" not in lines[0] and "unexpected" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("damage", ["corrupt page", "truncated", "garbage"])
def test_a_damaged_database_is_named_and_never_replaced(indexed: tuple[Path, Path], data: Path, damage: str) -> None:
    lib, db = indexed
    if damage == "corrupt page":
        corrupt_page_of(db, "images")
    elif damage == "truncated":
        db.write_bytes(db.read_bytes()[:3000])
    else:
        db.write_bytes(os.urandom(8192))
    damaged = db.read_bytes()
    photos = ledger(lib)
    for args in (["duplicates"], ["index", str(lib)], ["log"], ["contexts"], ["similar", str(lib / "coffee.jpg")]):
        proc = run_cli(data, *args)
        # A command that never reads the damaged part may work; any other says what happened.
        if proc.returncode != 0 or args[0] == "duplicates":
            assert proc.returncode == 1
            line = one_error_line(proc)
            assert f"The library database is damaged: {db}" in line and "lookalike-cli repair" in line
        assert db.read_bytes() == damaged                     # never an empty database over it
    assert ledger(lib) == photos


def test_repair_sets_the_damaged_file_aside_and_keeps_readable_decisions(indexed: tuple[Path, Path], data: Path) -> None:
    lib, db = indexed
    corrupt_page_of(db, "images")
    damaged = db.read_bytes()
    proc = run_cli(data, "repair")
    assert proc.returncode == 0, err_text(proc)
    report = out_json(proc)
    aside = Path(report["DamagedCopy"])
    assert aside.read_bytes() == damaged and aside.parent == db.parent
    assert report["Kept"] == {"contexts": 1, "folders": 2, "marks": 1, "distinct_pairs": 0}
    assert report["Images"] == {"default": 4}                 # rebuilt from the files
    folders = out_json(run_cli(data, "contexts"))["Contexts"][0]["Folders"]
    assert {(Path(f["Path"]).name, f["Protected"]) for f in folders} == {("lib", False), ("copies0", True)}
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT path, mark FROM marks").fetchall() == [(str(lib / "coffee.jpg"), "keep")]
    dup = run_cli(data, "duplicates")
    assert dup.returncode == 0 and len(out_json(dup)["Duplicates"]) == 2
    again = run_cli(data, "repair")
    assert out_json(again)["Healthy"] and "nothing to repair" in err_text(again)


def test_repair_of_an_unreadable_file_keeps_the_library_and_its_journal(indexed: tuple[Path, Path], data: Path,
                                                                        tmp_path: Path) -> None:
    lib, db = indexed
    archive = tmp_path / "A"
    op = out_json(run_cli(data, "duplicates", "--keep", "newest", "--archive-to", archive, "--yes",
                                "--allow-information-loss"))["result"]["operation"]
    db.write_bytes(os.urandom(8192))
    report = out_json(run_cli(data, "repair", "--no-index"))
    assert report["Contexts"] == ["default"]                 # from its journal folder's name
    undo = run_cli(data, "undo", op)                          # the journal is still its own
    assert undo.returncode == 0 and out_json(undo)["restored"]


def test_a_database_busy_for_too_long_is_said_so(indexed: tuple[Path, Path], data: Path) -> None:
    _, db = indexed
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
         " c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        proc = run_cli(data, "duplicates", LOOKALIKE_DB_TIMEOUT="0.5")
    finally:
        holder.communicate(b"", timeout=30)
    assert proc.returncode == 1
    assert f"The library database is busy: {db}" in one_error_line(proc)


@contextlib.contextmanager
def read_only_mount_of(folder: Path) -> Iterator[None]:
    if os.geteuid() != 0 or sys.platform != "linux":
        pytest.skip("a read-only mount needs root on Linux (chmod doesn't stop root)")
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"can't bind-mount here: {done.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_read_only_database_is_said_so(indexed: tuple[Path, Path], data: Path) -> None:
    _, db = indexed
    before = db.read_bytes()
    with read_only_mount_of(db.parent):
        proc = run_cli(data, "duplicates")
    assert proc.returncode == 1
    assert f"The library database is read-only: {db}" in one_error_line(proc)
    assert db.read_bytes() == before

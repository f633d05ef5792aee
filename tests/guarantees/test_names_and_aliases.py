"""One folder, one name; and any file name prints as valid JSON (issue 11, items 2 and 11).
Real ``lookalike-cli`` processes on real files."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import pytest

from desktop_app.cli_output import json_text
from tests.guarantees.conftest import err_text, ledger, make_library, out_json, run_cli

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
bytes_names = pytest.mark.skipif(sys.platform != "linux", reason="only Linux file names may be any bytes")


@needs_symlinks
def test_a_folder_and_its_alias_are_indexed_once_and_archiving_keeps_a_copy(tmp_path: Path, data: Path) -> None:
    lib = make_library(tmp_path / "lib", copies=1, names=("coffee", "rocket"))
    alias = tmp_path / "alias"
    alias.symlink_to(lib, target_is_directory=True)
    archive = tmp_path / "A"
    before = ledger(lib, archive)
    proc = run_cli(data, "index", lib, alias, "--workers", "1")
    assert proc.returncode == 0, err_text(proc)
    assert f"'{alias}' is the library folder '{lib}' under another name (a link)" in err_text(proc)
    report = out_json(proc)
    assert report["Images"] == 4 and [f["Path"] for f in report["Folders"]] == [str(lib)]
    # Later, on its own, and a sub-folder reached through the alias: refused the same way.
    again = run_cli(data, "index", alias / "copies0")
    assert f"is inside the library folder '{lib}', reached through a link" in err_text(again)
    assert out_json(again)["Images"] == 4
    groups = out_json(run_cli(data, "duplicates"))["Duplicates"]
    assert all(not m["ImageId"].startswith(str(alias)) for g in groups for m in g["DuplicatesInGroup"])
    result = out_json(run_cli(data, "duplicates", "--keep", "oldest", "--archive-to", archive, "--yes"))["result"]
    assert len(result["moved"]) == 2
    assert Counter(p.name.split(" ")[0].split(".")[0] for p in lib.rglob("*.jpg")) == {"coffee": 1, "rocket": 1}
    assert ledger(lib, archive) == before


@needs_symlinks
def test_a_library_that_already_holds_two_names_of_a_folder_indexes_each_file_once(tmp_path: Path, data: Path) -> None:
    """Libraries made before the check (or edited by hand) may hold both names: the walk still
    lists each file once, and archiving never moves the kept photo through its other name."""
    import sqlite3

    lib = make_library(tmp_path / "lib", copies=1, names=("coffee", "rocket"))
    alias = tmp_path / "alias"
    alias.symlink_to(lib, target_is_directory=True)
    assert run_cli(data, "index", lib, "--workers", "1").returncode == 0
    db = data / "lookalike" / "lookalike.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO folders VALUES (1, ?, 0, 'then')", (str(alias),))
    report = out_json(run_cli(data, "index", "--workers", "1"))
    assert report["Images"] == 4
    archive = tmp_path / "A"
    before = ledger(lib, archive)
    assert run_cli(data, "duplicates", "--keep", "oldest", "--archive-to", archive, "--yes").returncode == 0
    assert len(list(lib.rglob("*.jpg"))) == 2 and ledger(lib, archive) == before


@bytes_names
def test_file_names_that_are_not_utf8_print_as_valid_json(tmp_path: Path, data: Path) -> None:
    lib = make_library(tmp_path / "lib", copies=0, names=("coffee",))
    raw_names = [b"caf\xe9.jpg", b"caf\xe9 copie \xff.jpg"]
    for raw in raw_names:
        (lib / os.fsdecode(raw)).write_bytes((lib / "coffee.jpg").read_bytes())
    assert run_cli(data, "index", lib, "--workers", "1").returncode == 0
    for args in (["duplicates"], ["similar", lib / "coffee.jpg"], ["contexts"],
                 ["duplicates", "--keep", "oldest", "--archive-to", tmp_path / "A", "--dry-run"]):
        proc = run_cli(data, *args)
        assert proc.returncode == 0, err_text(proc)
        proc.stdout.decode("utf-8")                           # valid UTF-8 ...
        text = json.dumps(out_json(proc))                     # ... and valid JSON
        assert "\\udce9" in text or args[0] == "contexts"
    paths = {os.fsencode(m["ImageId"]) for g in out_json(run_cli(data, "duplicates"))["Duplicates"]
             for m in g["DuplicatesInGroup"]}
    assert {os.path.basename(p) for p in paths} == {b"coffee.jpg", *raw_names}   # the bytes come back exactly


def test_json_text_escapes_only_lone_surrogates() -> None:
    name = os.fsdecode(b"\xe9t\xc3\xa9 \xff.jpg")            # undecodable bytes around a real "é"
    text = json_text({"ImageId": name}, indent=None)
    assert text == '{"ImageId": "\\udce9t\u00e9 \\udcff.jpg"}'
    text.encode("utf-8")
    assert os.fsencode(json.loads(text)["ImageId"]) == b"\xe9t\xc3\xa9 \xff.jpg"

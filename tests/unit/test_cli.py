"""lookalike-cli: JSON shapes, table output, progress bar, exit codes and one-line messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli, cli_archive
from desktop_app.formatting import format_bytes

from .conftest import save_photo


N_IMAGES = 6  # the shared ``library`` fixture (tests/unit/conftest.py)


@pytest.fixture
def lib(library: Path) -> Path:
    """The shared photo library plus one file that isn't an image (a reported skip)."""
    (library / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    return library


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.sqlite")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def indexed(capsys: pytest.CaptureFixture[str], lib: Path, db: str) -> Path:
    run_json(capsys, "--db", db, "index", str(lib), "--workers", "1")
    return lib


def test_index_summary_lists_skips_with_reasons(capsys: pytest.CaptureFixture[str], lib: Path,
                                                db: str) -> None:
    summary = run_json(capsys, "--db", db, "index", str(lib), "--workers", "1")
    assert summary["Context"] == "default" and summary["Images"] == N_IMAGES and summary["Added"] == N_IMAGES
    assert summary["Folders"] == [{"Path": str(lib), "Protected": False}]
    assert [s["Path"] for s in summary["Skipped"]] == [str(lib / "broken.jpg")]
    assert summary["Skipped"][0]["Reason"]
    again = run_json(capsys, "index", "--db", db, "--workers", "1")  # no FOLDER: re-index
    assert again["Unchanged"] == N_IMAGES and again["Added"] == 0 and again["Cancelled"] is False


def test_duplicates_json_shape(capsys: pytest.CaptureFixture[str], indexed: Path, db: str) -> None:
    data = run_json(capsys, "--db", db, "duplicates", "--threshold", "90")
    assert list(data) == ["Duplicates"] and len(data["Duplicates"]) == 1
    group = data["Duplicates"][0]
    assert list(group) == ["DuplicatesInGroup", "OriginalReason"]
    assert group["OriginalReason"] == "no camera data, highest resolution"
    members = group["DuplicatesInGroup"]
    # The documented keys as they were, then the relation to the original as extra keys.
    assert [list(m) for m in members] == [["ImageId", "Similarity", "Relation", "RelationLabel"]] * 2
    assert members[0] == {"ImageId": str(indexed / "astronaut.jpg"), "Similarity": 100.0,
                          "Relation": "original", "RelationLabel": "original"}
    assert members[1]["Relation"] == "resized" and members[1]["RelationLabel"] == "resized to 75 %"
    assert members[1]["ImageId"] == str(indexed / "astronaut small.jpg")
    assert isinstance(members[1]["Similarity"], float) and 90 <= members[1]["Similarity"] <= 100
    assert run_json(capsys, "--db", db, "duplicates", "--threshold", "100") == {"Duplicates": []}


def test_similar_json_shape_with_external_file(capsys: pytest.CaptureFixture[str], indexed: Path,
                                               db: str, tmp_path: Path) -> None:
    query = save_photo(tmp_path / "query" / "astro.png", "astronaut", long_side=350)
    data = run_json(capsys, "--db", db, "similar", str(query), "--threshold", "70",
                    "--max-count", "5")
    assert list(data) == ["Results"]
    assert {r["ImageId"] for r in data["Results"]} == {str(indexed / "astronaut.jpg"),
                                                        str(indexed / "astronaut small.jpg")}
    assert all(list(r) == ["ImageId", "Similarity"] and r["Similarity"] >= 70
               for r in data["Results"])
    one = run_json(capsys, "--db", db, "similar", str(query), "--max-count", "1")
    assert len(one["Results"]) == 1
    contexts = run_json(capsys, "--db", db, "contexts")["Contexts"]
    assert contexts[0]["Images"] == N_IMAGES  # the query was not added


def test_compare_json_shape_works_without_a_context(capsys: pytest.CaptureFixture[str],
                                                    lib: Path, db: str) -> None:
    data = run_json(capsys, "--db", db, "compare", str(lib / "astronaut.jpg"),
                    str(lib / "astronaut small.jpg"))
    assert set(data) == {"Similarity", "Evidence", "Relation", "RelationLabel"} and data["Similarity"] >= 90
    assert {"PhashDistance", "Matches", "Inliers", "Reason", "Transform"} <= set(data["Evidence"])
    other = run_json(capsys, "--db", db, "compare", str(lib / "astronaut.jpg"),
                     str(lib / "coffee.png"))
    assert other["Similarity"] < 50


def test_table_format_is_for_people(capsys: pytest.CaptureFixture[str], indexed: Path,
                                    db: str) -> None:
    code, out, _ = run(capsys, "--db", db, "duplicates", "--format", "table")
    assert code == 0 and "original" in out and "astronaut small.jpg" in out
    assert "1 group(s), 1 duplicate(s)." in out
    # sizes as every other screen shows them (the one shared formatter)
    assert format_bytes((indexed / "astronaut small.jpg").stat().st_size) in out
    code, out, _ = run(capsys, "--db", db, "contexts", "--format", "table")
    assert code == 0 and out.splitlines()[0].split()[:2] == ["Name", "Images"]


def test_contexts_list_and_delete(capsys: pytest.CaptureFixture[str], indexed: Path, db: str) -> None:
    run_json(capsys, "--db", db, "index", str(indexed / "trips"), "--context", "cats",
             "--protected", "--workers", "1")
    names = [c["Name"] for c in run_json(capsys, "--db", db, "contexts")["Contexts"]]
    assert names == ["cats", "default"]
    assert run_json(capsys, "--db", db, "contexts", "--delete", "cats") == {"Deleted": "cats"}
    code, _, err = run(capsys, "--db", db, "contexts", "--delete", "cats")
    assert code == 1 and err.strip() == "lookalike-cli: error: There is no context named 'cats'."


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys: pytest.CaptureFixture[str],
                                                       lib: Path, db: str) -> None:
    code, _, err = run(capsys, "--db", db, "index", str(lib), "--workers", "1", "--progress")
    assert code == 0 and "\r" in err and "100%" in err and "Indexing [" in err
    code, _, err = run(capsys, "--db", db, "index", str(lib), "--workers", "1")
    assert code == 0 and err == ""  # stderr is not a terminal here


@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["duplicates", "--threshold", "120"],
    ["similar"],
    ["similar", "x.jpg", "--max-count", "0"],
    ["index", "--workers", "two"],
])
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], db: str, argv: list[str]) -> None:
    code, out, err = run(capsys, "--db", db, *argv)
    assert code == 2 and out == "" and "usage:" in err and "Traceback" not in err


def test_index_without_any_folder_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                   db: str) -> None:
    code, _, err = run(capsys, "--db", db, "index")
    assert code == 2 and "no folders yet" in err


def test_errors_exit_1_with_one_line(capsys: pytest.CaptureFixture[str], indexed: Path, db: str,
                                     tmp_path: Path) -> None:
    missing = tmp_path / "nope.jpg"
    code, out, err = run(capsys, "--db", db, "similar", str(missing))
    assert code == 1 and out == ""
    assert err == f"lookalike-cli: error: Couldn't read '{missing}': file not found\n"
    code, _, err = run(capsys, "--db", db, "duplicates", "--context", "ghost")
    assert code == 1 and len(err.splitlines()) == 1 and "no context named 'ghost'" in err
    code, _, err = run(capsys, "--db", db, "index", str(tmp_path / "no-such-folder"))
    assert code == 1 and "not a folder" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "--db", db, "compare", str(indexed / "broken.jpg"),
                       str(indexed / "coffee.png"))
    assert code == 1 and err.startswith("lookalike-cli: error: Couldn't read '") and "broken.jpg" in err


def test_archive_options_call_the_workflow_hook(capsys: pytest.CaptureFixture[str], indexed: Path,
                                                db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    def archive_duplicates(args: Any, ctx: Any, clusters: list[Any]) -> int:
        calls.append((args.dry_run, ctx.name, len(clusters)))
        return 0

    def cmd_log(args: Any, ctx: Any) -> int:
        calls.append(("log", args.csv))
        return 0

    monkeypatch.setattr(cli_archive, "archive_duplicates", archive_duplicates)
    monkeypatch.setattr(cli_archive, "cmd_log", cmd_log)
    code, out, _ = run(capsys, "--db", db, "duplicates", "--dry-run")
    assert code == 0 and calls == [(True, "default", 1)] and out == ""
    assert run(capsys, "--db", db, "log", "--csv")[0] == 0 and calls[-1] == ("log", True)


def test_real_subprocess(lib: Path, db: str) -> None:
    env_cmd = [sys.executable, "-m", "desktop_app.cli", "--db", db]
    done = subprocess.run(env_cmd + ["compare", str(lib / "astronaut.jpg"),
                                     str(lib / "astronaut small.jpg")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Similarity"] >= 90
    failed = subprocess.run(env_cmd + ["similar", str(lib / "missing.jpg")],
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and failed.stdout == ""
    assert failed.stderr.count("\n") == 1 and "Traceback" not in failed.stderr
    usage = subprocess.run(env_cmd + ["duplicates", "--bogus"], capture_output=True, text=True,
                           timeout=120)
    assert usage.returncode == 2 and "unrecognized arguments: --bogus" in usage.stderr


def test_duplicates_refresh_indexes_first_only_when_asked(
        capsys: pytest.CaptureFixture[str], indexed: Path, db: str) -> None:
    save_photo(indexed / "coffee small.jpg", "coffee", long_side=300, quality=70)
    stale = run_json(capsys, "--db", db, "duplicates", "--threshold", "90")
    assert len(stale["Duplicates"]) == 1  # the new copy is not indexed yet
    fresh = run_json(capsys, "--db", db, "duplicates", "--threshold", "90", "--refresh",
                     "--workers", "1")
    assert sorted(g["DuplicatesInGroup"][0]["ImageId"] for g in fresh["Duplicates"]) == [
        str(indexed / "astronaut.jpg"), str(indexed / "coffee.png")]


def test_duplicates_name_the_camera_file_and_keep_rules_by_relation(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str) -> None:
    from tests.provenance_library import BY_NAME, DAY, camera_file, write_derivative
    from tests.unit.conftest import sample

    lib = tmp_path / "provenance"
    t0 = 1_600_000_000 * 10**9
    data = camera_file(lib / "IMG_0001.JPG", sample("chelsea"), mtime_ns=t0)
    for name in ("letterboxed export", "thumbnail 25", "crop 70", "png conversion"):
        write_derivative(lib / name, data, BY_NAME[name], mtime_ns=t0 + DAY)
    run_json(capsys, "--db", db, "index", str(lib), "--workers", "1")
    data_json = run_json(capsys, "--db", db, "duplicates", "--threshold", "70")
    (group,) = data_json["Duplicates"]
    members = group["DuplicatesInGroup"]
    assert members[0]["ImageId"] == str(lib / "IMG_0001.JPG")
    assert group["OriginalReason"].startswith("camera file")
    relations = {Path(m["ImageId"]).stem: m["Relation"] for m in members[1:]}
    assert relations == {"letterboxed export": "border", "thumbnail 25": "resized",
                         "crop 70": "cropped", "png conversion": "same-pixels"}
    plan = run_json(capsys, "--db", db, "duplicates", "--threshold", "70",
                    "--keep", "archive:cropped,keep:resized", "--archive-to",
                    str(tmp_path / "archive"), "--dry-run")
    moving = {Path(e["source"]).stem: e["relation"] for e in plan["plan"]["entries"]}
    # default: the PNG conversion and the thumbnail; the rules: the crop too, not the thumbnail
    assert moving == {"png conversion": "same pixels (PNG)", "crop 70": "cropped to 70 %"}


def test_compare_says_rotated_90_not_cropped(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             db: str) -> None:
    from tests.provenance_library import BY_NAME, camera_file, write_derivative
    from tests.unit.conftest import sample

    data = camera_file(tmp_path / "IMG_0001.JPG", sample("coffee"))
    turned = write_derivative(tmp_path / "turned", data, BY_NAME["rotated 90"], mtime_ns=0)
    out = run_json(capsys, "--db", db, "compare", str(tmp_path / "IMG_0001.JPG"), str(turned))
    assert list(out) == ["Similarity", "Evidence", "Relation", "RelationLabel"]
    assert (out["Relation"], out["RelationLabel"]) == ("rotated", "rotated 90°")

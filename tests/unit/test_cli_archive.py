"""The archive commands of the CLI (functions called by desktop_app.cli), on real files."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import pytest

from desktop_app import cli_archive
from desktop_app.cli_parser import build_parser
from desktop_app.context.types import Folder
from tests.unit.workflow.conftest import vault  # noqa: F401 - fixture
from tests.unit.workflow.helpers import FakeContext, Vault, record


def parser() -> argparse.ArgumentParser:
    """The real command line (its archive options come from cli_archive)."""
    return build_parser()


@pytest.fixture
def ctx(vault: Vault) -> FakeContext:
    lib = vault.library
    a, b, c = vault.make("a.jpg"), vault.make("2019/b.jpg"), vault.make("ref/c.jpg")
    records = [record(0, a, lib, width=100, height=100), record(1, b, lib, width=800, height=600),
               record(2, c, lib, width=50, height=50)]
    vault.seal()
    return FakeContext(vault.data, [Folder(str(lib)), Folder(str(lib / "ref"), protected=True)], records,
                       [[(str(a), 100.0), (str(b), 97.0), (str(c), 96.0)]])


def run(ctx: FakeContext, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args = parser().parse_args(argv)
    if args.command == "duplicates":
        code = cli_archive.archive_duplicates(args, ctx, ctx.find_duplicates(threshold=args.threshold))
    elif args.command == "undo":
        code = cli_archive.cmd_undo(args, ctx)
    else:
        code = cli_archive.cmd_log(args, ctx)
    out, err = capsys.readouterr()
    return code, out, err


def test_without_yes_prints_plan_and_refuses(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(ctx, ["duplicates", "--threshold", "95", "--keep", "highest-resolution,oldest",
                               "--archive-to", str(vault.archive)], capsys)
    assert code == 2 and "--yes" in err
    plan = json.loads(out)["plan"]
    assert [Path(e["source"]).name for e in plan["entries"]] == ["a.jpg"]  # c is protected, b biggest
    assert plan["entries"][0]["chosen_by"] == "rule:highest-resolution"
    assert (vault.library / "a.jpg").exists()


def test_dry_run_then_yes_then_log_then_undo(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["duplicates", "--keep", "highest-resolution", "--archive-to", str(vault.archive)]
    code, out, _ = run(ctx, [*base, "--dry-run"], capsys)
    assert code == 0 and json.loads(out)["dry_run"]["moved"][0]["source"] == str(vault.library / "a.jpg")
    assert (vault.library / "a.jpg").exists()
    code, out, err = run(ctx, [*base, "--yes"], capsys)
    result = json.loads(out)["result"]
    assert code == 0 and result["moved"][0]["place"] == str(vault.archive / "a.jpg")
    assert "undo with: lookalike-cli undo" in err
    assert ctx.forgotten == [str(vault.library / "a.jpg")]
    code, out, _ = run(ctx, ["log"], capsys)
    ops = json.loads(out)
    assert [(o["kind"], o["files"], o["status"]) for o in ops] == [("archive", 1, "complete")]
    code, out, _ = run(ctx, ["log", "--csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["chosen_by"] == "rule:highest-resolution" and rows[0]["new_place"] == str(vault.archive / "a.jpg")
    code, out, _ = run(ctx, ["undo", ops[0]["operation"]], capsys)
    assert code == 0 and json.loads(out)["restored"] == [str(vault.library / "a.jpg")]
    assert (vault.library / "a.jpg").exists()
    code, out, err = run(ctx, ["undo", ops[0]["operation"]], capsys)  # idempotent
    assert code == 0 and json.loads(out)["restored"] == []
    code, out, err = run(ctx, ["undo"], capsys)
    assert code == 1 and "no archive operation left to undo" in err
    code, out, _ = run(ctx, ["log"], capsys)
    assert [(o["kind"], o["restored"]) for o in json.loads(out)] == [("archive", 1), ("undo", 0)]


def test_unknown_rule_and_archive_inside_library(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(ctx, ["duplicates", "--keep", "sharpest", "--archive-to", str(vault.archive)], capsys)
    assert code == 2 and "Unknown keep rule 'sharpest'" in err
    code, _, err = run(ctx, ["duplicates", "--archive-to", str(vault.library / "old"), "--yes"], capsys)
    assert code == 1 and "must be outside the library folder" in err


def test_groups_only_with_rules(ctx: FakeContext, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(ctx, ["duplicates", "--keep", "largest"], capsys)
    data = json.loads(out)
    assert code == 0 and data["summary"]["groups"] == 1
    assert {Path(m["path"]).name: m["mark"] for m in data["groups"][0]["members"]}["c.jpg"] == "keep"


def test_undo_with_nothing_to_undo(ctx: FakeContext, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(ctx, ["undo"], capsys)
    assert code == 1 and "no archive operation" in err


def test_trash_from_cli(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(vault.base))  # the headless trash: <base>/Trash
    vault.trash = vault.base / "Trash"
    vault.seal()
    code, out, _ = run(ctx, ["duplicates", "--keep", "largest", "--trash", "--yes"], capsys)
    moved = json.loads(out)["result"]["moved"]
    assert code == 0 and Path(moved[0]["place"]).parent == vault.base / "Trash" / "files"


def test_table_format(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["duplicates", "--keep", "highest-resolution", "--archive-to", str(vault.archive), "--dry-run"]
    ns = parser().parse_args([*args, "--format", "table"])
    assert cli_archive.archive_duplicates(ns, ctx, ctx.find_duplicates()) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["group", "file", "goes", "to", "chosen", "by", "with", "size"]
    assert "a.jpg" in out and "1 files" in out


def test_through_lookalike_cli_on_a_real_context(vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    """The real command line: index, duplicates --archive-to --yes, log --csv, undo."""
    cli = pytest.importorskip("desktop_app.cli")
    skdata = pytest.importorskip("skimage.data")
    from PIL import Image

    photo = Image.fromarray(skdata.astronaut())
    photo.save(vault.library / "astronaut.png")
    photo.resize((256, 256)).save(vault.library / "astronaut small.jpg", quality=85)
    vault.seal()
    db = ["--db", str(vault.data / "db.sqlite")]
    assert cli.main(["index", str(vault.library), "--workers", "1", *db]) == 0
    capsys.readouterr()
    code = cli.main(["duplicates", "--threshold", "95", "--keep", "highest-resolution",
                     "--archive-to", str(vault.archive), "--yes", *db])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and [Path(m["place"]).name for m in out["result"]["moved"]] == ["astronaut small.jpg"]
    assert cli.main(["log", "--csv", *db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["chosen_by"] == "default"   # the proposal chose it; the rule only agreed
    assert cli.main(["undo", *db]) == 0
    assert (vault.library / "astronaut small.jpg").exists()


def test_log_reports_files_recovery_left_alone(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop_app.workflow.journal import ArchiveLog

    a = vault.library / "a.jpg"
    stranger = vault.make("a.jpg", b"another photo put there by someone else", root=vault.archive)
    vault.seal()
    journal = ArchiveLog(ctx.data_dir).begin("archive", destination=str(vault.archive))
    st = a.stat()
    journal.write("intent", seq=0, source=str(a), destination=str(stranger), method="move",
                  size=st.st_size, sha256="", src_dev=st.st_dev, src_ino=st.st_ino)
    journal.close()  # the process died here
    code, out, err = run(ctx, ["log"], capsys)
    assert code == 0 and "Recovered 1 interrupted archive operation" in err
    assert f"Left alone after an interrupted archive: '{stranger}' is not the file this operation moved there" in err
    assert a.exists() and stranger.read_bytes() == b"another photo put there by someone else"


def test_dry_run_to_an_unplugged_drive_is_a_message(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    gone = vault.base / "media" / "Backup" / "Archive"
    code, out, err = run(ctx, ["duplicates", "--threshold", "95", "--archive-to", str(gone), "--dry-run"], capsys)
    assert code == 1 and "isn't there (is its drive connected?)" in err
    assert not (vault.base / "media").exists()


def test_keep_leaves_hand_marks_unless_overridden(ctx: FakeContext, vault: Vault,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from desktop_app.workflow.session import ReviewSession

    # In the window the user kept a.jpg by hand (the rule would archive it: b is bigger).
    session = ReviewSession(ctx)
    session.groups(95)
    session.set_mark(str(vault.library / "a.jpg"), "keep")
    base = ["duplicates", "--threshold", "95", "--keep", "highest-resolution",
            "--archive-to", str(vault.archive), "--dry-run"]
    code, out, err = run(ctx, base, capsys)
    assert code == 0 and json.loads(out)["plan"]["entries"] == []
    assert "Left 1 file(s) you marked by hand" in err
    code, out, err = run(ctx, [*base, "--override-hand-marks"], capsys)
    assert [Path(e["source"]).name for e in json.loads(out)["plan"]["entries"]] == ["a.jpg"]
    assert "marked by hand" not in err

"""The CLI and companions: the plan lists a photo's companions, ``--dry-run`` lists the copies
that alone carry something, ``--yes`` keeps them in place unless ``--allow-information-loss``,
and ``orphans`` lists sidecars whose photo is gone. Real files; the vault ledger holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app import cli, cli_archive
from desktop_app.context.types import Folder
from tests.unit.conftest import save_photo
from tests.unit.test_cli_archive import parser
from tests.unit.workflow.conftest import vault  # noqa: F401 - fixture
from tests.unit.workflow.helpers import FakeContext, Vault, record
from tests.unit.workflow.photo_files import aae, jpeg, xmp


@pytest.fixture
def ctx(vault: Vault) -> FakeContext:
    keep = vault.make("best/IMG_0001.JPG", jpeg(1))
    copy = vault.make("phone/IMG_0001.JPG", jpeg(1, gps=True))
    vault.make("phone/IMG_0001.xmp", xmp(rating=4, tag="phone"))
    vault.make("phone/IMG_0001.AAE", aae("phone"))
    keep2 = vault.make("best/IMG_0002.JPG", jpeg(2))
    copy2 = vault.make("phone/IMG_0002.JPG", jpeg(2))
    vault.make("phone/IMG_0002.JPG.xmp", xmp(tag="phone2"))
    lib = vault.library
    records = [record(0, keep, lib, width=64, height=48), record(1, copy, lib, width=64, height=48),
               record(2, keep2, lib, width=64, height=48), record(3, copy2, lib, width=64, height=48)]
    vault.seal()
    return FakeContext(vault.data, [Folder(str(lib))], records,
                       [[(str(keep), 100.0), (str(copy), 100.0)], [(str(keep2), 100.0), (str(copy2), 100.0)]])


def run(ctx: FakeContext, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args = parser().parse_args(argv)
    code = cli_archive.archive_duplicates(args, ctx, ctx.find_duplicates(threshold=args.threshold))
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_lists_companions_and_the_copy_that_alone_has_gps(
        ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["duplicates", "--keep", "path:*/best/*", "--archive-to", str(vault.archive)]
    code, out, err = run(ctx, [*base, "--dry-run"], capsys)
    assert code == 0
    plan = json.loads(out)["plan"]
    first = next(e for e in plan["entries"] if e["source"].endswith("IMG_0001.JPG"))
    assert sorted(Path(c["source"]).name for c in first["companions"]) == ["IMG_0001.AAE", "IMG_0001.xmp"]
    assert first["loses"] == ["GPS position", "XMP rating (4★)", "edits in a sidecar (.AAE)"]
    assert plan["files"] == 2 and plan["companions"] == 3
    assert (f"Only this copy has GPS position, XMP rating (4★), edits in a sidecar (.AAE): "
            f"{vault.library / 'phone/IMG_0001.JPG'}") in err
    assert (vault.library / "phone/IMG_0001.JPG").exists()


def test_yes_keeps_the_flagged_copy_unless_allowed(ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["duplicates", "--keep", "path:*/best/*", "--archive-to", str(vault.archive)]
    code, out, err = run(ctx, [*base, "--yes"], capsys)
    assert code == 0
    result = json.loads(out)["result"]
    assert [Path(m["source"]).name for m in result["moved"]] == ["IMG_0002.JPG"]
    assert [Path(c["source"]).name for c in result["moved"][0]["companions"]] == ["IMG_0002.JPG.xmp"]
    assert (vault.library / "phone/IMG_0001.JPG").exists() and (vault.library / "phone/IMG_0001.xmp").exists()
    assert (vault.archive / "phone/IMG_0002.JPG.xmp").exists()
    assert "kept in place" in err and "Archived 1 files with 1 companion files" in err
    code, out, err = run(ctx, [*base, "--yes", "--allow-information-loss"], capsys)
    moved = json.loads(out)["result"]["moved"]
    assert [Path(m["source"]).name for m in moved] == ["IMG_0001.JPG"] and len(moved[0]["companions"]) == 2
    assert (vault.archive / "phone/IMG_0001.AAE").exists()


def test_orphans_command_lists_sidecars_whose_photo_is_gone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lib = tmp_path / "lib"
    save_photo(lib / "IMG_0001.jpg", "astronaut")
    (lib / "IMG_0001.xmp").write_bytes(xmp(tag="has a photo"))
    (lib / "IMG_0007.JPG.xmp").write_bytes(xmp(tag="orphan"))
    db = str(tmp_path / "db.sqlite")
    assert cli.main(["index", str(lib), "--db", db, "--workers", "1"]) == 0
    capsys.readouterr()
    assert cli.main(["orphans", "--db", db]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [Path(o["path"]).name for o in out["orphans"]] == ["IMG_0007.JPG.xmp"]
    assert (lib / "IMG_0007.JPG.xmp").exists()


def test_dry_run_table_shows_what_travels_and_what_only_a_copy_has(
        ctx: FakeContext, vault: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    args = parser().parse_args(["duplicates", "--keep", "path:*/best/*", "--archive-to", str(vault.archive),
                                "--dry-run"])
    args.format = "table"
    assert cli_archive.archive_duplicates(args, ctx, ctx.find_duplicates()) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.split()[1:2] == [str(vault.library / "phone/IMG_0001.JPG")])
    assert "+ .xmp, .AAE" in row
    assert f"only this copy has: {vault.library / 'phone/IMG_0001.JPG'} (GPS position" in out
    assert "2 files + 3 companion files" in out

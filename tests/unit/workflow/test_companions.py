"""Companion files move as one unit with their photo: archive, trash, undo, the plan, the log.

Every test runs in a sealed Vault: the content multiset of library + archive + trash is the same
after the test as before it."""

from __future__ import annotations

import csv
import errno
import io
import os
from pathlib import Path

import pytest

from desktop_app.workflow import fileops, unit_moves
from desktop_app.workflow.groups import Mark
from desktop_app.workflow.archive import Trash, execute, plan_archive
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.recovery import undo
from desktop_app.workflow.trash import FreedesktopTrash
from desktop_app.workflow.units import companion_labels
from tests.unit.workflow.helpers import Vault, group, member
from tests.unit.workflow.photo_files import aae, jpeg, mov, xmp


def iphone_unit(vault: Vault, folder: str = "2024/trip", n: int = 1) -> dict[str, Path]:
    """A photo with every kind of companion: both XMP styles, .AAE, Live Photo .MOV, .THM."""
    stem = f"IMG_{n:04d}"
    return {
        "photo": vault.make(f"{folder}/{stem}.JPG", jpeg(n)),
        "xmp": vault.make(f"{folder}/{stem}.xmp", xmp(rating=1, tag=f"{folder}{n}a")),
        "jpg_xmp": vault.make(f"{folder}/{stem}.JPG.xmp", xmp(tag=f"{folder}{n}b")),
        "aae": vault.make(f"{folder}/{stem}.AAE", aae(f"{folder}{n}")),
        "mov": vault.make(f"{folder}/{stem}.MOV", mov(f"{folder}{n}")),
        "thm": vault.make(f"{folder}/{stem}.THM", jpeg(100 + n, size=(16, 12))),
    }


def keeper_with_sidecar(vault: Vault, n: int = 1) -> tuple[Path, Path]:
    keep = vault.make(f"best/IMG_{n:04d}.JPG", jpeg(n))  # same bytes as the copy: exact duplicate
    side = vault.make(f"best/IMG_{n:04d}.xmp", xmp(rating=1, tag=f"keeper{n}"))
    return keep, side


def test_a_photo_and_all_its_companions_move_together_and_come_back(vault: Vault) -> None:
    keep, keep_side = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    vault.seal()
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    plan = plan_archive([g], vault.archive)
    assert plan.files == 1 and plan.companions == 5
    assert plan.bytes_freed == sum(p.stat().st_size for p in unit.values())
    assert companion_labels(plan.entries) == "+ .xmp, .AAE, .THM, Live Photo video"
    assert {e.source for e in plan.entries} == {str(p) for p in unit.values()}
    assert all(Path(e.destination).parent == vault.archive / "2024" / "trip" for e in plan.entries)

    result = execute(plan, log_dir=vault.data)
    assert not result.errors and len(result.moved) == 6
    for p in unit.values():
        assert not p.exists() and (vault.archive / "2024" / "trip" / p.name).exists()
    assert keep.exists() and keep_side.exists()  # a keeper's companions never move
    photo_json = result.to_dict()["moved"]
    assert len(photo_json) == 1 and len(photo_json[0]["companions"]) == 5

    back = undo(vault.data)
    assert sorted(back.restored) == sorted(str(p) for p in unit.values()) and not back.refused
    assert all(p.exists() for p in unit.values())


def test_raw_and_jpeg_share_one_xmp_that_moves_only_when_both_leave(vault: Vault) -> None:
    raw = vault.make("shoot/IMG_0002.CR2", os.urandom(3000))
    cam_jpg = vault.make("shoot/IMG_0002.JPG", jpeg(2))
    shared = vault.make("shoot/IMG_0002.xmp", xmp(rating=3, edits=True, tag="shared"))
    raw_keep = vault.make("best/IMG_0002.CR2", raw.read_bytes())
    jpg_keep = vault.make("best/IMG_0002.JPG", jpeg(2))
    vault.seal()
    g_raw = group(member(raw_keep, vault.library, format="RAW"), member(raw, vault.library, format="RAW"), index=0)
    g_jpg = group(member(jpg_keep, vault.library), member(cam_jpg, vault.library), index=1)

    # Only the JPEG leaves: the RAW still uses the sidecar, so it stays.
    g_jpg.set_marks({str(cam_jpg): Mark.ARCHIVE})
    plan = plan_archive([g_raw, g_jpg], vault.archive, guard=False)
    assert [e.source for e in plan.entries] == [str(cam_jpg)]
    assert plan.staying == ((str(shared), "shared with 'IMG_0002.CR2', which stays"),)

    # Both leave: the sidecar goes with them, and the pair is one unit.
    g_raw.set_marks({str(raw): Mark.ARCHIVE})
    plan = plan_archive([g_raw, g_jpg], vault.archive, guard=False)
    assert [Path(e.source).name for e in plan.entries] == ["IMG_0002.CR2", "IMG_0002.JPG", "IMG_0002.xmp"]
    assert len({e.unit for e in plan.entries}) == 1
    execute(plan, log_dir=vault.data)
    assert sorted(p.name for p in (vault.archive / "shoot").iterdir()) == ["IMG_0002.CR2", "IMG_0002.JPG", "IMG_0002.xmp"]
    assert raw_keep.exists() and jpg_keep.exists()
    undo(vault.data)
    assert raw.exists() and cam_jpg.exists() and shared.exists()


def test_a_renamed_photo_takes_its_companions_along_under_its_new_name(vault: Vault) -> None:
    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault, folder="best2")
    vault.make("best2/IMG_0001.JPG", jpeg(55), root=vault.archive)  # occupies the photo's archive place
    vault.seal()
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    names = sorted(p.name for p in (vault.archive / "best2").iterdir())
    assert names == ["IMG_0001 (1).AAE", "IMG_0001 (1).JPG", "IMG_0001 (1).JPG.xmp", "IMG_0001 (1).MOV",
                     "IMG_0001 (1).THM", "IMG_0001 (1).xmp", "IMG_0001.JPG"]
    assert len(result.moved) == 6


def test_a_changed_companion_keeps_its_whole_unit_in_place(vault: Vault) -> None:
    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    plan = plan_archive([g], vault.archive)
    old = unit["xmp"].read_bytes()
    new = xmp(rating=5, tag="edited after the review")
    unit["xmp"].write_bytes(new)  # the user rated it in Lightroom after the plan was made
    vault.seal()
    result = execute(plan, log_dir=vault.data)
    assert not result.moved and all(p.exists() for p in unit.values())
    reasons = dict(result.skipped)
    assert reasons[str(unit["xmp"])] == "'IMG_0001.xmp' changed since it was reviewed"
    assert reasons[str(unit["photo"])].startswith("'IMG_0001.JPG' stays with 'IMG_0001.xmp'")
    assert old != new


def test_a_companion_that_cannot_move_brings_its_photo_back(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    vault.seal()
    real = fileops.move_file   # what unit_moves calls

    def refuse_mov(src: str, dst: str, **kw: object) -> str:
        if src.endswith(".MOV"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(src, dst, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(unit_moves, "move_file", refuse_mov)
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert not result.moved and all(p.exists() for p in unit.values())
    assert dict(result.errors)[str(unit["mov"])] == "Couldn't archive 'IMG_0001.MOV': permission denied"
    op = ArchiveLog(vault.data).operation()
    assert {e.state for e in op.entries} == {"failed"}


def test_undo_onto_an_occupied_companion_path_keeps_the_unit_archived(vault: Vault) -> None:
    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    execute(plan_archive([g], vault.archive), log_dir=vault.data)
    squatter = vault.make("2024/trip/IMG_0001.AAE", aae("someone else's"))
    vault.seal()
    result = undo(vault.data)
    assert not result.restored
    refused = dict(result.refused)
    assert refused[str(unit["aae"])] == "Couldn't restore 'IMG_0001.AAE': something now stands at its original place"
    assert "stays with 'IMG_0001.AAE'" in refused[str(unit["photo"])]
    assert squatter.read_bytes() == aae("someone else's")
    assert all((vault.archive / "2024" / "trip" / p.name).exists() for p in unit.values())
    # The stranger leaves; undo again brings the whole unit back.
    squatter.rename(vault.archive / "moved aside.AAE")
    again = undo(vault.data)
    assert len(again.restored) == 6 and all(p.exists() for p in unit.values())


def test_the_trash_takes_the_unit_and_undo_brings_it_back(vault: Vault) -> None:
    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    vault.seal()
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    plan = plan_archive([g], Trash())
    assert {e.destination for e in plan.entries} == {"trash"} and plan.companions == 5
    result = execute(plan, log_dir=vault.data, trash=FreedesktopTrash(vault.trash))
    assert len(result.moved) == 6 and not any(p.exists() for p in unit.values())
    undo(vault.data)
    assert all(p.exists() for p in unit.values())


def test_dry_run_csv_and_json_list_companions_with_their_photo(vault: Vault) -> None:
    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    vault.seal()
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    plan = plan_archive([g], vault.archive)
    dry = execute(plan, log_dir=vault.data, dry_run=True)
    assert len(dry.moved) == 6 and all(p.exists() for p in unit.values())
    entry = plan.to_dict()["entries"][0]
    assert entry["source"] == str(unit["photo"])
    assert sorted(Path(c["source"]).name for c in entry["companions"]) == sorted(p.name for k, p in unit.items() if k != "photo")
    execute(plan, log_dir=vault.data)
    rows = list(csv.DictReader(io.StringIO(ArchiveLog(vault.data).csv_text())))
    companions = [r for r in rows if r["companion_of"]]
    assert len(companions) == 5 and {r["companion_of"] for r in companions} == {str(unit["photo"])}
    assert all(r["status"] == "done" and r["new_place"] for r in rows)


def test_a_companion_that_cannot_be_restored_keeps_its_photo_archived(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.workflow import recovery

    keep, _ = keeper_with_sidecar(vault)
    unit = iphone_unit(vault)
    g = group(member(keep, vault.library), member(unit["photo"], vault.library), archive=[1])
    execute(plan_archive([g], vault.archive), log_dir=vault.data)
    vault.seal()
    real = fileops.move_file   # what recovery calls

    def refuse_mov(src: str, dst: str, **kw: object) -> str:
        if str(dst).endswith(".MOV") and str(vault.library) in str(dst):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(src, dst, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(recovery, "move_file", refuse_mov)
    result = undo(vault.data)
    assert not result.restored and not any(p.exists() for p in unit.values())
    assert all((vault.archive / "2024" / "trip" / p.name).exists() for p in unit.values())
    assert dict(result.refused)[str(unit["mov"])] == "Couldn't restore 'IMG_0001.MOV': Permission denied"
    monkeypatch.setattr(recovery, "move_file", real)
    assert len(undo(vault.data).restored) == 6 and all(p.exists() for p in unit.values())

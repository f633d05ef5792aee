"""A real process SIGKILLed in the middle of moving a unit (a photo and its companions): after
recovery the unit is whole — every file in the library, or every file in the archive — never
split; the content multiset of library + archive + trash is unchanged (the vault fixture)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from desktop_app.workflow.archive import Trash, execute, plan_archive
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.recovery import recover, undo
from desktop_app.workflow.trash import FreedesktopTrash
from tests.unit.workflow.helpers import Vault, group, member
from tests.unit.workflow.photo_files import aae, jpeg, mov, xmp
from tests.unit.workflow.test_recovery import run_child


def unit_plan(vault: Vault, *, to_trash: bool = False):  # type: ignore[no-untyped-def]
    keep = vault.make("best/IMG_0001.JPG", jpeg(1))
    files = [
        vault.make("trip/IMG_0001.JPG", jpeg(1)),
        vault.make("trip/IMG_0001.xmp", xmp(rating=2, tag="stem")),
        vault.make("trip/IMG_0001.JPG.xmp", xmp(tag="name")),
        vault.make("trip/IMG_0001.AAE", aae("adjust")),
        vault.make("trip/IMG_0001.MOV", mov("live")),
    ]
    vault.seal()
    g = group(member(keep, vault.library), member(files[0], vault.library), archive=[1])
    plan = plan_archive([g], Trash() if to_trash else vault.archive)
    assert plan.files == 1 and plan.companions == 4
    return files, plan


def where(vault: Vault, files: list[Path]) -> set[str]:
    """'library' / 'archive' / 'trash' for each file of the unit (one set: whole if one place)."""
    out = set()
    for f in files:
        in_lib = f.exists()
        in_archive = (vault.archive / "trip" / f.name).exists()
        in_trash = (vault.trash / "files" / f.name).exists()
        assert in_lib + in_archive + in_trash == 1, f  # each file in exactly one place
        out.add("library" if in_lib else "archive" if in_archive else "trash")
    return out


@pytest.mark.parametrize("fault, exdev", [
    ("after-intent:1", False),   # every intent written, nothing moved
    ("after-move:1", False),     # the photo moved, its four companions not
    ("after-move:3", False),     # photo + two companions moved
    ("after-move:5", False),     # all moved, "done" records lost
    ("after-copy:2", True),      # across filesystems: the second file's verified copy placed
])
def test_sigkill_mid_unit_then_recovery_keeps_the_unit_whole(vault: Vault, fault: str, exdev: bool) -> None:
    files, plan = unit_plan(vault)
    proc = run_child(vault, {"action": "archive", "plan": plan, "log_dir": str(vault.data), "exdev": exdev}, fault)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    log = ArchiveLog(vault.data)
    split_before = where_loose(vault, files)
    assert split_before == (fault in ("after-move:1", "after-move:3", "after-copy:2"))
    report = recover(log)
    assert report.clean, report
    assert len(where(vault, files)) == 1  # whole: all in the library or all in the archive
    if fault == "after-move:5":
        assert where(vault, files) == {"archive"}
    else:
        assert where(vault, files) == {"library"}
        if split_before:
            # The rejoining is journaled like any undo.
            assert [op.kind for op in log.operations()] == ["archive", "undo"]
    assert recover(log).operations == ()
    # Finishing the job later moves the whole unit.
    if where(vault, files) == {"library"}:
        result = execute(plan, log_dir=vault.data)
        assert len(result.moved) == 5 and where(vault, files) == {"archive"}


def where_loose(vault: Vault, files: list[Path]) -> bool:
    """True when the crash left the unit split (some files moved, some not)."""
    moved = [(vault.archive / "trip" / f.name).exists() and not f.exists() for f in files]
    return any(moved) and not all(moved)


def test_sigkill_mid_trash_unit_then_recovery_keeps_the_unit_whole(vault: Vault) -> None:
    files, plan = unit_plan(vault, to_trash=True)
    job = {"action": "archive", "plan": plan, "log_dir": str(vault.data), "trash_dir": str(vault.trash)}
    proc = run_child(vault, job, "after-move:2")
    assert proc.returncode == -signal.SIGKILL
    report = recover(ArchiveLog(vault.data), trash=FreedesktopTrash(vault.trash))
    assert report.clean, report
    assert where(vault, files) == {"library"}


def test_sigkill_mid_undo_of_a_unit_then_recovery_finishes_bringing_it_back(vault: Vault) -> None:
    files, plan = unit_plan(vault)
    archived = execute(plan, log_dir=vault.data)
    assert len(archived.moved) == 5
    proc = run_child(vault, {"action": "undo", "log_dir": str(vault.data), "operation": None}, "undo-after-move:2")
    assert proc.returncode == -signal.SIGKILL
    assert where_loose(vault, files)
    report = recover(ArchiveLog(vault.data))
    assert report.clean, report
    assert where(vault, files) == {"library"}
    assert undo(vault.data, archived.operation_id).restored == ()

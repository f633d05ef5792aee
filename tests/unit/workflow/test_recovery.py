"""Crash recovery (a real process SIGKILLed at chosen steps), undo, and the CSV log.

After every scenario each file is at exactly one of its two places, recorded in the journal,
and the content multiset across library + archive + trash is unchanged (the vault fixture)."""

from __future__ import annotations

import csv
import io
import os
import pickle
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from desktop_app.errors import ArchiveError
from desktop_app.workflow import fileops
from desktop_app.workflow.archive import Trash, execute, plan_archive
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.paths import ARCHIVE_MARKER
from desktop_app.workflow.recovery import recover, undo
from desktop_app.workflow.trash import FreedesktopTrash
from tests.unit.workflow.helpers import Vault, group, member, sha

REPO = Path(__file__).resolve().parents[3]


def three_groups(vault: Vault, *, big: bool = False):  # type: ignore[no-untyped-def]
    groups = []
    for i in range(3):
        keep = vault.make(f"k{i}.jpg")
        # > 1 MiB so a cross-filesystem copy is killed with a partial file on disk.
        dupe = vault.make(f"sub/d{i}.jpg", os.urandom((1 << 20) + 4096) if big else None)
        groups.append(group(member(keep, vault.library), member(dupe, vault.library), archive=[1], index=i))
    return groups


def run_child(vault: Vault, job: dict, fault: str) -> subprocess.CompletedProcess:
    job_file = vault.base / "job.pickle"
    job_file.write_bytes(pickle.dumps(job))
    env = {**os.environ, fileops.FAULT_ENV: fault, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "tests.unit.workflow.crash_child", str(job_file)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def assert_each_file_in_one_place(log: ArchiveLog) -> None:
    for op in log.operations():
        assert op.status in {"complete", "recovered", "stopped"}
        for e in op.entries:
            assert e.state in {"done", "rolled-back", "failed"}, e
            if e.state == "done" and e.place:
                assert os.path.lexists(e.place) and not os.path.lexists(e.source)
            if e.state in {"rolled-back", "failed"}:
                assert os.path.lexists(e.source)
                assert e.destination == "trash" or not os.path.lexists(e.destination)


CRASHES = [
    # (fault, exdev, trash, expected outcomes of the three files after recovery)
    ("after-intent:1", False, False, ["rolled-back"]),
    ("after-intent:2", False, False, ["done", "rolled-back"]),
    ("after-move:1", False, False, ["done"]),
    ("after-move:3", False, False, ["done", "done", "done"]),  # batched "done" records lost
    ("mid-copy:1", True, False, ["rolled-back"]),
    ("after-copy:2", True, False, ["done", "done"]),
    ("after-intent:1", False, True, ["rolled-back"]),
    ("after-trash:1", False, True, ["done"]),
]


@pytest.mark.parametrize("fault, exdev, to_trash, outcomes", CRASHES)
def test_sigkill_mid_archive_then_recover(
    vault: Vault, fault: str, exdev: bool, to_trash: bool, outcomes: list[str]
) -> None:
    groups = three_groups(vault, big=fault.startswith("mid-copy"))
    vault.seal()
    plan = plan_archive(groups, Trash() if to_trash else vault.archive)
    job = {"action": "archive", "plan": plan, "log_dir": str(vault.data), "exdev": exdev,
           "trash_dir": str(vault.trash) if to_trash else None}
    proc = run_child(vault, job, fault)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    log = ArchiveLog(vault.data)
    assert [op.status for op in log.operations()] == ["interrupted"]
    if fault.startswith("mid-copy"):
        assert list(vault.archive.rglob(f"*{fileops.PARTIAL_SUFFIX}"))  # the crash left a partial copy
    if fault.startswith("after-copy"):
        assert (vault.archive / "sub/d1.jpg").exists() and (vault.library / "sub/d1.jpg").exists()

    report = recover(log, trash=FreedesktopTrash(vault.trash))
    assert report.clean and report.operations == (log.operations()[0].id,)
    op = log.operations()[0]
    assert op.status == "recovered"
    assert [e.state for e in op.entries] == outcomes
    if to_trash and outcomes == ["done"]:
        assert op.entries[0].place and Path(op.entries[0].place).parent == vault.trash / "files"
    assert not list(vault.base.rglob(f"*{fileops.PARTIAL_SUFFIX}"))
    assert_each_file_in_one_place(log)
    # Idempotent: nothing left to settle.
    assert recover(log).operations == ()
    # Untouched files are where they were; finishing the job later works.
    vault.check()
    rest = [g for g in groups if os.path.exists(g.archived[0].path)]
    result = execute(plan_archive(rest, Trash() if to_trash else vault.archive), log_dir=vault.data,
                     trash=FreedesktopTrash(vault.trash))
    assert len(result.moved) == len(rest)


def test_sigkill_mid_undo_then_recover_and_undo_again(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    archived = execute(plan_archive(groups, vault.archive), log_dir=vault.data)
    assert len(archived.moved) == 3
    proc = run_child(vault, {"action": "undo", "log_dir": str(vault.data), "operation": None}, "undo-after-move:2")
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    log = ArchiveLog(vault.data)
    report = recover(log)
    # d0's "done" was still waiting in its batch (undo makes them durable as archive does):
    # recovery rebuilds both records from where the files are.
    assert sorted(report.completed) == [str(vault.library / "sub/d0.jpg"), str(vault.library / "sub/d1.jpg")]
    assert (vault.library / "sub/d0.jpg").exists() and (vault.library / "sub/d1.jpg").exists()
    assert log.restored(log.operations()).get(str(archived.operation_id)) == {0, 1}
    # Undo again restores only what is left (idempotent), then there is nothing to do.
    again = undo(vault.data, archived.operation_id)
    assert again.restored == (str(vault.library / "sub/d2.jpg"),)
    assert set(again.already) == {str(vault.library / "sub/d0.jpg"), str(vault.library / "sub/d1.jpg")}
    third = undo(vault.data, archived.operation_id)
    assert third.operation_id is None and third.restored == ()
    assert not [p for p in vault.archive.rglob("*") if p.is_file() and p.name != ARCHIVE_MARKER]


def test_undo_restores_last_operation_and_refuses_occupied_path(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    first = execute(plan_archive(groups[:2], vault.archive), log_dir=vault.data)
    second = execute(plan_archive(groups[2:], vault.archive), log_dir=vault.data)
    # Something new now stands where d0 was.
    squatter = vault.make("sub/d0.jpg", b"a new photo with the old name")
    vault.seal()
    res = undo(vault.data)  # the last archive operation
    assert res.undone == second.operation_id and res.restored == (str(vault.library / "sub/d2.jpg"),)
    res = undo(vault.data, first.operation_id)  # an earlier one
    assert res.restored == (str(vault.library / "sub/d1.jpg"),)
    assert res.refused == ((str(squatter), "Couldn't restore 'd0.jpg': something now stands at its original place"),)
    assert squatter.read_bytes() == b"a new photo with the old name"
    assert ArchiveLog(vault.data).operations()[-1].skipped == res.refused  # journaled too
    assert (vault.archive / "sub/d0.jpg").exists()
    with pytest.raises(ArchiveError, match="No single operation"):
        undo(vault.data, "nonsense")


def test_undo_from_trash_puts_file_back_and_clears_trashinfo(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    trash = FreedesktopTrash(vault.trash)
    result = execute(plan_archive(groups[:1], Trash()), log_dir=vault.data, trash=trash)
    place = Path(str(result.moved[0].place))
    res = undo(vault.data)
    assert res.restored == (str(vault.library / "sub/d0.jpg"),) and not place.exists()
    assert not list((vault.trash / "info").glob("*.trashinfo"))


def test_undo_refuses_changed_archive_copy(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    execute(plan_archive(groups[:1], vault.archive), log_dir=vault.data)
    archived = vault.archive / "sub/d0.jpg"
    old = archived.read_bytes()
    archived.write_bytes(b"edited in the archive")
    vault.replaced(old, b"edited in the archive")
    res = undo(vault.data)
    assert "was changed" in res.refused[0][1] and archived.exists()


def test_undo_without_any_archive() -> None:
    with pytest.raises(ArchiveError, match="no archive operation"):
        undo(Path("/nonexistent-lookalike-dir"))


def test_csv_log_records_every_file(vault: Vault) -> None:
    groups = three_groups(vault)
    groups[0].set_mark(groups[0].members[1].path, groups[0].members[1].mark, chosen_by="rule:largest")
    vault.seal()
    execute(plan_archive(groups, vault.archive), log_dir=vault.data)
    undo(vault.data)
    rows = list(csv.DictReader(io.StringIO(ArchiveLog(vault.data).csv_text())))
    archive_rows = [r for r in rows if r["kind"] == "archive"]
    undo_rows = [r for r in rows if r["kind"] == "undo"]
    assert len(archive_rows) == 3 and len(undo_rows) == 3
    first = archive_rows[0]
    assert first["original_path"] == str(vault.library / "sub/d0.jpg")
    assert first["new_place"] == str(vault.archive / "sub/d0.jpg")
    assert first["chosen_by"] == "rule:largest" and first["group"] == "1" and first["status"] == "done"
    assert archive_rows[1]["chosen_by"] == "hand" and first["timestamp"]
    assert undo_rows[0]["original_path"] == first["original_path"]
    out = vault.base / "log.csv"
    ArchiveLog(vault.data).write_csv(out)
    assert out.read_text(encoding="utf-8").startswith("operation,kind,original_path,new_place")


def test_torn_last_journal_line_is_ignored(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    execute(plan_archive(groups[:1], vault.archive), log_dir=vault.data)
    journal = next((vault.data / "operations").glob("*.jsonl"))
    with open(journal, "a") as f:
        f.write('{"type": "inte')
    op = ArchiveLog(vault.data).operation()
    assert op.status == "complete" and op.done


def test_repeated_undo_walks_back_through_the_log(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    first = execute(plan_archive(groups[:1], vault.archive), log_dir=vault.data)
    second = execute(plan_archive(groups[1:], vault.archive), log_dir=vault.data)
    assert undo(vault.data).undone == second.operation_id
    assert undo(vault.data).undone == first.operation_id
    with pytest.raises(ArchiveError, match="no archive operation left"):
        undo(vault.data)
    assert all(os.path.exists(g.archived[0].path) for g in groups)


def test_recovery_leaves_a_running_operation_alone(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    log = ArchiveLog(vault.data)
    running = log.begin("archive", destination=str(vault.archive))  # holds the lock
    src = groups[0].archived[0].path
    running.write("intent", seq=0, source=src, destination=str(vault.archive / "sub/d0.jpg"),
                  method="move", size=1, sha256="")
    assert recover(log).operations == ()  # another "process" is still working on it
    fileops.move_file(src, vault.archive / "sub/d0.jpg", sha256="", create_below=vault.archive)
    running.write("done", seq=0, place=str(vault.archive / "sub/d0.jpg"), method="rename")
    running.write("end", status="complete")
    running.close()
    op = log.operations()[0]
    assert op.status == "complete" and op.entries[0].state == "done"


def test_crash_while_creating_an_operation_leaves_nothing_to_settle(vault: Vault) -> None:
    three_groups(vault)
    vault.seal()
    ops = vault.data / "operations"
    ops.mkdir(parents=True)
    stale = ops / ".20261125-000000-abcdef.creating"
    stale.write_text('{"type": "begin"}\n')
    assert ArchiveLog(vault.data).operations() == []
    assert recover(vault.data).operations == () and not stale.exists()


def test_a_file_lost_from_the_archive_never_blocks_undo_of_older_operations(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    first = execute(plan_archive(groups[:1], vault.archive), log_dir=vault.data)
    second = execute(plan_archive(groups[1:], vault.archive), log_dir=vault.data)
    lost = vault.archive / "sub/d1.jpg"
    assert vault.expected is not None
    vault.expected[sha(lost.read_bytes())] -= 1   # the test's own doing: the user deleted it
    vault.expected += Counter()
    lost.unlink()
    res = undo(vault.data)
    assert res.undone == second.operation_id
    assert res.restored == (str(vault.library / "sub/d2.jpg"),)
    assert [p for p, _ in res.refused] == [str(vault.library / "sub/d1.jpg")]
    assert "no longer at" in res.refused[0][1]
    # The next Ctrl+Z goes on to the older operation instead of refusing the same file again.
    assert ArchiveLog(vault.data).latest_undoable() is not None
    res = undo(vault.data)
    assert res.undone == first.operation_id and res.restored == (str(vault.library / "sub/d0.jpg"),)
    with pytest.raises(ArchiveError, match="no archive operation left"):
        undo(vault.data)
    # Asked by id, the operation is still tried (and still refused).
    again = undo(vault.data, second.operation_id)
    assert [p for p, _ in again.refused] == [str(vault.library / "sub/d1.jpg")]


def test_a_missing_archive_folder_is_not_taken_for_a_lost_file(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    first = execute(plan_archive(groups[:1], vault.archive), log_dir=vault.data)
    moved = vault.base / "unplugged"
    vault.archive.rename(moved)   # the archive drive is unplugged
    res = undo(vault.data)
    assert res.undone == first.operation_id and res.restored == ()
    assert ArchiveLog(vault.data).latest_undoable() is not None   # still waiting for the drive
    moved.rename(vault.archive)
    assert undo(vault.data).restored == (str(vault.library / "sub/d0.jpg"),)


def test_recovery_removes_the_partial_copy_of_a_move_back_it_can_prove_its_own(vault: Vault) -> None:
    groups = three_groups(vault, big=True)
    vault.seal()
    plan = plan_archive(groups, vault.archive)
    job = {"action": "archive", "plan": plan, "log_dir": str(vault.data), "exdev": True, "trash_dir": None}
    proc = run_child(vault, job, "after-move:1")   # d0 copied to the archive, no "done" yet
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    log = ArchiveLog(vault.data)
    op = log.operations()[0]
    entry = op.entries[0]
    archived = Path(entry.destination)
    assert archived.exists() and not os.path.exists(entry.source)
    # As if the crash came while copying it back (its unit failing): a hidden partial copy.
    back = fileops.partial_path(entry.source, owner=f"{op.id}.{entry.seq}.back")
    back.write_bytes(archived.read_bytes()[:4096])
    stranger = fileops.partial_path(entry.source, owner=f"someone-else.{entry.seq}.back")
    stranger.write_bytes(b"not ours")
    assert vault.expected is not None
    vault.expected[sha(b"not ours")] += 1   # the test's own file: it must stay
    report = recover(log, trash=FreedesktopTrash(vault.trash))
    assert report.clean
    assert log.operations()[0].entries[0].state == "done"
    assert not back.exists() and stranger.read_bytes() == b"not ours"
    assert_each_file_in_one_place(log)


class SilentTrash:
    """A trash that says nothing of where a file went (send2trash on macOS / Windows)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def move_to_trash(self, path: str, /) -> str | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.rename(path, self.folder / os.path.basename(path))
        return None


def test_a_file_sent_to_a_trash_without_a_place_never_blocks_undo(vault: Vault) -> None:
    groups = three_groups(vault)
    vault.seal()
    first = execute(plan_archive(groups[:1], vault.archive), log_dir=vault.data)
    execute(plan_archive(groups[1:2], Trash()), log_dir=vault.data, trash=SilentTrash(vault.trash / "files"))
    res = undo(vault.data)
    assert res.restored == () and "system trash" in res.refused[0][1]
    assert undo(vault.data).undone == first.operation_id   # not the trash operation again
    assert (vault.library / "sub/d0.jpg").exists() and not (vault.library / "sub/d1.jpg").exists()

"""plan_archive / execute on real files, with faults injected. Every test runs in a sealed
Vault: the multiset of file contents across library + archive + trash never changes."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.errors import ArchiveError
from desktop_app.workflow import fileops
from desktop_app.workflow.archive import ArchiveFolder, Trash, execute, plan_archive
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.paths import ARCHIVE_MARKER
from desktop_app.workflow.trash import FreedesktopTrash
from tests.unit.workflow.helpers import Vault, group, member


def pair_group(vault: Vault, rel_keep: str, rel_dupe: str, index: int = 0, **dupe_kw: object) -> DuplicateGroup:
    keep = vault.make(rel_keep)
    dupe = vault.make(rel_dupe)
    return group(member(keep, vault.library), member(dupe, vault.library, **dupe_kw), archive=[1], index=index)


def read_journal(vault: Vault) -> list[dict]:
    files = sorted((vault.data / "operations").glob("*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_plan_lists_files_bytes_and_places_and_touches_nothing(vault: Vault) -> None:
    groups = [pair_group(vault, "2020/a.jpg", "2020/copies/a.jpg"), pair_group(vault, "b.jpg", "x/b.jpg", index=1)]
    vault.seal()
    before = sorted(p for p in vault.library.rglob("*"))
    plan = plan_archive(groups, ArchiveFolder(str(vault.archive)))
    assert plan.files == 2
    assert plan.bytes_freed == sum(g.archived[0].size for g in groups)
    assert [e.destination for e in plan.entries] == [
        str(vault.archive / "2020/copies/a.jpg"), str(vault.archive / "x/b.jpg")]
    d = plan.to_dict()
    assert d["files"] == 2 and d["entries"][0]["chosen_by"] == "hand"
    dry = execute(plan, log_dir=vault.data, dry_run=True)
    assert dry.dry_run and len(dry.moved) == 2 and not dry.skipped
    assert sorted(vault.library.rglob("*")) == before
    assert not (vault.data / "operations").exists()  # a dry run writes no journal


def test_execute_moves_keeping_relative_paths_and_journals_each_step(vault: Vault) -> None:
    g = pair_group(vault, "2020/a.jpg", "2020/dupes/a.jpg")
    src = Path(g.archived[0].path)
    data = src.read_bytes()
    vault.seal()
    seen: list[Progress] = []
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data, progress=seen.append)
    dest = vault.archive / "2020/dupes/a.jpg"
    assert not src.exists() and dest.read_bytes() == data
    assert [m.method for m in result.moved] == ["rename"] and result.bytes_freed == len(data)
    assert seen[-1].done == seen[-1].total == 1
    kinds = [r["type"] for r in read_journal(vault)]
    assert kinds == ["begin", "intent", "done", "end"]
    op = ArchiveLog(vault.data).operation()
    assert op.status == "complete" and op.done[0].place == str(dest)


def test_collision_in_archive_never_overwrites(vault: Vault) -> None:
    g = pair_group(vault, "a.jpg", "sub/a.jpg")
    g2 = pair_group(vault, "z.jpg", "sub/a (1).jpg", index=1)
    existing = vault.make("sub/a.jpg", b"already archived last year", root=vault.archive)
    vault.seal()
    plan = plan_archive([g, g2], vault.archive)
    assert plan.entries[0].destination == str(vault.archive / "sub/a (1).jpg")
    assert plan.entries[1].destination == str(vault.archive / "sub/a (1) (1).jpg")
    # Something appears at the planned place after planning: still no overwrite.
    blocker = vault.make("sub/a (1).jpg", b"appeared meanwhile", root=vault.archive)
    vault.seal()
    result = execute(plan, log_dir=vault.data)
    assert existing.read_bytes() == b"already archived last year"
    assert blocker.read_bytes() == b"appeared meanwhile"
    assert sorted(Path(str(m.place)).name for m in result.moved) == ["a (1) (1).jpg", "a (2).jpg"]


def test_source_modified_after_review_is_skipped(vault: Vault) -> None:
    g = pair_group(vault, "a.jpg", "b.jpg")
    src = Path(g.archived[0].path)
    old = src.read_bytes()
    st = src.stat()
    # Same size and mtime, different bytes: only the content hash can tell.
    new = bytes(reversed(old))
    src.write_bytes(new)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    vault.seal()
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert result.moved == () and "changed since it was reviewed" in result.skipped[0][1]
    g3 = pair_group(vault, "c.jpg", "d.jpg")
    src3 = Path(g3.archived[0].path)
    old3 = src3.read_bytes()
    src3.write_bytes(old3 + b"edited")
    vault.seal()
    result = execute(plan_archive([g3], vault.archive), log_dir=vault.data)
    assert result.moved == () and "changed" in result.skipped[0][1]
    assert src.read_bytes() == new and src3.exists()


def test_vanished_source_is_reported(vault: Vault) -> None:
    g = pair_group(vault, "a.jpg", "b.jpg")
    gone = Path(g.archived[0].path)
    shutil.move(gone, vault.base / "elsewhere.jpg")
    vault.extra_roots.append(vault.base / "elsewhere.jpg")
    vault.seal()
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert "no longer there" in result.skipped[0][1]


def test_symlinks_are_never_archived_nor_followed_out_of_the_library(vault: Vault, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "real.jpg"
    target.write_bytes(b"the real photo, outside the library")
    vault.extra_roots.append(outside)
    keep = vault.make("keep.jpg")
    link = vault.library / "link.jpg"
    link.symlink_to(target)
    linked_dir = vault.library / "linked"
    linked_dir.symlink_to(outside)
    vault.seal()
    via_dir = linked_dir / "real.jpg"
    g = group(member(keep, vault.library), member(link, vault.library), member(via_dir, vault.library), archive=[1, 2])
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    reasons = dict(result.skipped)
    assert "symbolic link" in reasons[str(link)]
    assert "outside its library folder" in reasons[str(via_dir)]
    assert result.moved == ()
    assert link.is_symlink() and target.exists()


def test_enospc_mid_archive_stops_cleanly(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    groups = [pair_group(vault, f"k{i}.jpg", f"d{i}.jpg", index=i) for i in range(3)]
    vault.seal()
    real = fileops.rename_noreplace
    calls = {"n": 0}

    def full_disk(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(fileops, "rename_noreplace", full_disk)
    result = execute(plan_archive(groups, vault.archive), log_dir=vault.data)
    assert len(result.moved) == 1
    assert result.stopped and "disk is full" in result.stopped and "d1.jpg" in result.stopped
    assert (vault.library / "d1.jpg").exists() and (vault.library / "d2.jpg").exists()
    op = ArchiveLog(vault.data).operation()
    assert op.status == "stopped" and [e.state for e in op.entries] == ["done", "failed"]


def test_enospc_during_cross_filesystem_copy_leaves_no_partial(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    g = pair_group(vault, "k.jpg", "big.jpg")
    vault.seal()
    monkeypatch.setattr(fileops, "rename_noreplace", _exdev_for_sources(fileops.rename_noreplace))
    real_fsync = os.fsync

    def fsync_full(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(fileops.PARTIAL_SUFFIX):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_full)
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert result.stopped and result.moved == ()
    assert not [p for p in vault.archive.rglob("*") if p.is_file() and p.name != ARCHIVE_MARKER]
    assert Path(g.archived[0].path).exists()


def test_eacces_skips_that_file_and_continues(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    groups = [pair_group(vault, f"k{i}.jpg", f"d{i}.jpg", index=i) for i in range(3)]
    vault.seal()
    real = fileops.rename_noreplace

    def denied(src: str, dst: str) -> None:
        if os.path.basename(src) == "d1.jpg":
            raise PermissionError(errno.EACCES, "Permission denied")
        real(src, dst)

    monkeypatch.setattr(fileops, "rename_noreplace", denied)
    result = execute(plan_archive(groups, vault.archive), log_dir=vault.data)
    assert [Path(m.source).name for m in result.moved] == ["d0.jpg", "d2.jpg"]
    assert result.errors[0] == (str(vault.library / "d1.jpg"), "Couldn't archive 'd1.jpg': permission denied")
    assert result.stopped is None


def _exdev_for_sources(real):
    """rename_noreplace that fails with EXDEV except for the final rename of a verified copy."""

    def fake(src: str, dst: str) -> None:
        if not os.fspath(src).endswith(fileops.PARTIAL_SUFFIX):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(src, dst)

    return fake


def test_simulated_exdev_copies_verifies_and_removes_source(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    g = pair_group(vault, "k.jpg", "deep/d.jpg")
    src = Path(g.archived[0].path)
    data, mtime = src.read_bytes(), src.stat().st_mtime_ns
    vault.seal()
    monkeypatch.setattr(fileops, "rename_noreplace", _exdev_for_sources(fileops.rename_noreplace))
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    dest = vault.archive / "deep/d.jpg"
    assert result.moved[0].method == "copy" and not src.exists()
    assert dest.read_bytes() == data and dest.stat().st_mtime_ns == mtime


def test_copy_that_does_not_verify_is_discarded(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    g = pair_group(vault, "k.jpg", "d.jpg")
    vault.seal()
    monkeypatch.setattr(fileops, "rename_noreplace", _exdev_for_sources(fileops.rename_noreplace))
    real_sha = fileops.sha256_file
    monkeypatch.setattr(
        fileops, "sha256_file",
        lambda p: "0" * 64 if str(p).endswith(fileops.PARTIAL_SUFFIX) else real_sha(p),
    )
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert "did not match" in result.errors[0][1] and result.moved == ()
    assert [p.name for p in vault.archive.rglob("*")] == [ARCHIVE_MARKER]


def test_source_that_cannot_be_removed_after_copy_is_not_duplicated(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    g = pair_group(vault, "k.jpg", "d.jpg")
    vault.seal()
    monkeypatch.setattr(fileops, "rename_noreplace", _exdev_for_sources(fileops.rename_noreplace))
    real_unlink = os.unlink

    def no_unlink(p, *a, **kw):
        if Path(p).parent == vault.library:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_unlink(p, *a, **kw)

    monkeypatch.setattr(os, "unlink", no_unlink)
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert result.errors and "permission denied" in result.errors[0][1]
    assert not (vault.archive / "d.jpg").exists()


def test_real_second_filesystem(vault: Vault) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(vault.base).st_dev:
        pytest.skip("no second filesystem here")
    other = Path(tempfile.mkdtemp(dir=shm, prefix="lookalike-test-"))
    try:
        vault.extra_roots.append(other)
        g = pair_group(vault, "k.jpg", "2021/d.jpg")
        vault.seal()
        result = execute(plan_archive([g], other / "archive"), log_dir=vault.data)
        assert result.moved[0].method == "copy"
        assert (other / "archive/2021/d.jpg").exists() and not (vault.library / "2021/d.jpg").exists()
        vault.check()
    finally:
        shutil.rmtree(other)
        vault.extra_roots.remove(other)
        vault.seal()


def test_unicode_and_very_long_names(vault: Vault) -> None:
    prefix = "Ωμέγα-フォト-"  # 21 bytes in UTF-8
    name = prefix + "é" * 115 + ".jpg"
    assert len(os.fsencode(name)) == 255  # the longest name the filesystem allows: no room for " (1)"
    g = pair_group(vault, "Été 2019/keep 🌅.jpg", f"Été 2019/{name}")
    vault.make(f"Été 2019/{name}", b"older archived one", root=vault.archive)
    vault.seal()
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    placed = Path(str(result.moved[0].place))
    assert placed.parent == vault.archive / "Été 2019"
    assert placed.name.endswith(" (1).jpg") and placed.name.startswith(prefix)
    assert len(os.fsencode(placed.name)) <= 255
    csv_text = ArchiveLog(vault.data).csv_text()
    assert "Été 2019" in csv_text


def test_protected_and_whole_group_marks_are_refused_in_the_plan(vault: Vault) -> None:
    keep = vault.make("a.jpg")
    ref = vault.make("ref/b.jpg")
    g = group(member(keep, vault.library), member(ref, vault.library, protected=True))
    vault.seal()
    # Even a group object tampered with (bypassing the model) can't get a protected file out.
    g.members = tuple(dataclasses.replace(x, mark=Mark.ARCHIVE) for x in g.members)
    plan = plan_archive([g], vault.archive)
    assert plan.entries == ()
    reasons = dict(plan.refused)
    assert reasons[str(ref)] == "in a protected folder"
    assert reasons[str(keep)] == "no other file of its group is kept"


def test_archive_folder_inside_the_library_is_refused(vault: Vault) -> None:
    g = pair_group(vault, "a.jpg", "b.jpg")
    vault.seal()
    with pytest.raises(ArchiveError, match="must be outside the library folder"):
        plan_archive([g], vault.library / "_archive")


def test_file_kept_in_another_group_is_not_archived(vault: Vault) -> None:
    a, b, c = vault.make("a.jpg"), vault.make("b.jpg"), vault.make("c.jpg")
    g1 = group(member(a, vault.library), member(b, vault.library), archive=[1])
    g2 = group(member(b, vault.library), member(c, vault.library), index=1)
    vault.seal()
    plan = plan_archive([g1, g2], vault.archive)
    assert plan.entries == () and dict(plan.refused)[str(b)] == "kept in another group"


def test_trash_destination_records_location(vault: Vault) -> None:
    g = pair_group(vault, "a.jpg", "b.jpg")
    src = Path(g.archived[0].path)
    vault.seal()
    trash = FreedesktopTrash(vault.trash)
    result = execute(plan_archive([g], Trash()), log_dir=vault.data, trash=trash)
    place = Path(str(result.moved[0].place))
    assert place.parent == vault.trash / "files" and not src.exists()
    info = (vault.trash / "info" / f"{place.name}.trashinfo").read_text()
    assert f"Path={src}" in info
    assert trash.locate(str(src)) == [str(place)]


def test_cancel_stops_between_files(vault: Vault) -> None:
    groups = [pair_group(vault, f"k{i}.jpg", f"d{i}.jpg", index=i) for i in range(3)]
    vault.seal()
    token = CancelToken()

    def on_progress(p: Progress) -> None:
        if p.done == 1:
            token.cancel()

    result = execute(plan_archive(groups, vault.archive), log_dir=vault.data, progress=on_progress, cancel=token)
    assert result.cancelled and len(result.moved) == 1
    assert ArchiveLog(vault.data).operation().status == "cancelled"


def test_journal_unwritable_moves_nothing(vault: Vault) -> None:
    g = pair_group(vault, "a.jpg", "b.jpg")
    vault.seal()
    blocked = vault.base / "not-a-dir"
    blocked.write_bytes(b"")
    vault.extra_roots.append(blocked)
    vault.seal()
    with pytest.raises(ArchiveError, match="Couldn't write the archive journal"):
        execute(plan_archive([g], vault.archive), log_dir=blocked)
    assert Path(g.archived[0].path).exists()


def test_journal_disk_full_after_a_move_stops_and_recovery_completes(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.workflow import journal as journal_mod
    from desktop_app.workflow.recovery import recover

    groups = [pair_group(vault, f"k{i}.jpg", f"d{i}.jpg", index=i) for i in range(2)]
    vault.seal()
    real_write = journal_mod.OperationJournal.write

    def write(self, record_type, **fields):
        if record_type == "intent" and fields["seq"] == 1:  # the journal's disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, record_type, **fields)

    monkeypatch.setattr(journal_mod.OperationJournal, "write", write)
    result = execute(plan_archive(groups, vault.archive), log_dir=vault.data)
    assert result.stopped and "journal" in result.stopped
    assert [Path(m.source).name for m in result.moved] == ["d0.jpg"]
    assert (vault.library / "d1.jpg").exists()  # nothing after the failure moved
    monkeypatch.setattr(journal_mod.OperationJournal, "write", real_write)
    report = recover(vault.data)
    assert report.completed == (str(vault.library / "d0.jpg"),)
    assert ArchiveLog(vault.data).operation().status == "recovered"


def test_undecodable_file_name_round_trips_through_journal_undo_and_csv(vault: Vault) -> None:
    from desktop_app.workflow.recovery import undo

    raw_name = os.fsdecode(b"caf\xe9 \xff.jpg")  # Latin-1 bytes from an old camera/NAS
    g = pair_group(vault, "ok.jpg", raw_name)
    src = Path(g.archived[0].path)
    vault.seal()
    result = execute(plan_archive([g], vault.archive), log_dir=vault.data)
    assert os.fsencode(Path(str(result.moved[0].place)).name) == b"caf\xe9 \xff.jpg"
    out = vault.base / "log.csv"
    ArchiveLog(vault.data).write_csv(out)
    assert b"caf\xe9 \xff.jpg" in out.read_bytes()
    assert undo(vault.data).restored == (str(src),) and src.exists()

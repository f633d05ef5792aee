"""Recovery removes only what it can prove is its own: a reviewer's scenario where settling a
crashed operation deleted a *different* photo that another operation had put at its planned
place. Every test runs in the vault (nothing lost, nothing duplicated)."""

from __future__ import annotations

import signal

import pytest

from desktop_app.workflow import fileops
from desktop_app.workflow.archive import execute, plan_archive
from desktop_app.workflow.groups import DuplicateGroup
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.recovery import recover
from tests.unit.workflow.helpers import Vault, group, member
from tests.unit.workflow.test_recovery import run_child


def two_roots(vault: Vault, *, identical: bool):  # type: ignore[no-untyped-def]
    """Roots A and B, each with keep.jpg and 2020/IMG.jpg (the same bytes when ``identical``)."""
    a, b = vault.base / "A", vault.base / "B"
    ka = vault.make("keep.jpg", b"A keep" * 100, root=a)
    xa = vault.make("2020/IMG.jpg", b"A dup" * 100, root=a)
    kb = vault.make("keep.jpg", b"B keep" * 100, root=b)
    yb = vault.make("2020/IMG.jpg", b"A dup" * 100 if identical else b"B dup, another photo" * 100, root=b)
    vault.extra_roots += [a, b]
    vault.seal()
    return group(member(ka, a), member(xa, a), archive=[1]), group(member(kb, b), member(yb, b), archive=[1]), xa, yb


def crash_after_intent(vault: Vault, g: DuplicateGroup) -> None:
    job = {"action": "archive", "plan": plan_archive([g], vault.archive), "log_dir": str(vault.data)}
    proc = run_child(vault, job, "after-intent")
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr


@pytest.mark.parametrize("identical", [False, True], ids=["different", "byte-identical"])
def test_recovery_leaves_another_operations_file_at_the_planned_place(vault: Vault, identical: bool) -> None:
    ga, gb, xa, yb = two_roots(vault, identical=identical)
    crash_after_intent(vault, ga)  # op1 planned archive/2020/IMG.jpg for A's photo
    planned = vault.archive / "2020/IMG.jpg"
    # Another process (its start-up recovery long done) puts B's photo exactly there.
    fileops.move_file(yb, planned, sha256=fileops.sha256_file(yb), create_below=vault.archive)
    report = recover(ArchiveLog(vault.data))
    # Neither photo is removed: A's never left its place, B's stays where it was put.
    assert xa.read_bytes() == b"A dup" * 100
    assert planned.exists() and not yb.exists()
    assert report.rolled_back == (str(xa),) and report.completed == () and report.missing == ()
    assert report.conflicts and str(planned) in report.conflicts[0][1]
    assert ArchiveLog(vault.data).operations()[0].entries[0].state == "rolled-back"


@pytest.mark.parametrize("identical", [False, True], ids=["different", "byte-identical"])
def test_archive_settles_an_interrupted_operation_before_it_starts(vault: Vault, identical: bool) -> None:
    ga, gb, xa, yb = two_roots(vault, identical=identical)
    crash_after_intent(vault, ga)
    result = execute(plan_archive([gb], vault.archive), log_dir=vault.data)
    assert result.recovery is not None and result.recovery.rolled_back == (str(xa),)
    assert [m.place for m in result.moved] == [str(vault.archive / "2020/IMG.jpg")]
    assert recover(ArchiveLog(vault.data)).operations == ()  # nothing left to settle
    assert xa.exists() and (vault.archive / "2020/IMG.jpg").exists()


def test_new_operation_avoids_a_place_named_by_a_running_operation(vault: Vault) -> None:
    ga, gb, xa, yb = two_roots(vault, identical=False)
    log = ArchiveLog(vault.data)
    running = log.begin("archive", destination=str(vault.archive))  # another window, still working
    st = xa.stat()
    running.write("intent", seq=0, source=str(xa), destination=str(vault.archive / "2020/IMG.jpg"),
                  method="move", size=st.st_size, sha256=fileops.sha256_file(xa),
                  src_dev=st.st_dev, src_ino=st.st_ino)
    try:
        result = execute(plan_archive([gb], vault.archive), log_dir=vault.data)
    finally:
        running.close()
    assert [m.place for m in result.moved] == [str(vault.archive / "2020/IMG (1).jpg")]
    # When the other operation is settled later, its file is simply where it was.
    report = recover(log)
    assert report.rolled_back == (str(xa),) and report.clean


def test_verified_copy_in_place_is_completed_but_a_replaced_one_is_left_alone(vault: Vault) -> None:
    ga, gb, xa, yb = two_roots(vault, identical=False)
    # Cross-filesystem crash after the verified copy was placed, before the source went.
    job = {"action": "archive", "plan": plan_archive([ga, gb], vault.archive), "log_dir": str(vault.data), "exdev": True}
    proc = run_child(vault, job, "after-copy:2")
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    copy_a, copy_b = vault.archive / "2020/IMG.jpg", vault.archive / "2020/IMG (1).jpg"
    assert not xa.exists() and yb.exists() and copy_b.exists()
    # Someone replaces B's archived copy with another file of the same bytes (another inode).
    other = vault.base / "other.jpg"
    other.write_bytes(copy_b.read_bytes())
    other.replace(copy_b)
    report = recover(ArchiveLog(vault.data))
    assert copy_a.exists() and yb.exists() and copy_b.exists()   # nothing proven: nothing removed
    assert report.completed == (str(xa),) and report.rolled_back == (str(yb),)
    assert report.conflicts and not report.clean
    yb.unlink()  # the test's own tidy-up: B's content is still in the archive exactly once


def test_trashed_file_found_nowhere_is_reported_missing_not_done(vault: Vault) -> None:
    from desktop_app.workflow.trash import FreedesktopTrash

    photo = vault.make("sub/gone.jpg")
    elsewhere = vault.base / "a-trash-we-cannot-search"
    vault.extra_roots.append(elsewhere)
    vault.seal()
    log = ArchiveLog(vault.data)
    journal = log.begin("archive", destination="trash")
    st = photo.stat()
    journal.write("intent", seq=0, source=str(photo), destination="trash", method="trash",
                  size=st.st_size, sha256=fileops.sha256_file(photo), src_dev=st.st_dev, src_ino=st.st_ino)
    journal.close()
    # The crash came after a backend (send2trash, say) moved it somewhere we can't look.
    elsewhere.mkdir()
    photo.rename(elsewhere / "gone.jpg")
    report = recover(log, trash=FreedesktopTrash(vault.trash))
    assert report.missing == (str(photo),) and report.completed == () and not report.clean
    assert log.operations()[0].entries[0].state == "missing"


def test_cross_filesystem_copy_keeps_permissions_and_extended_attributes(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    photo = vault.make("sub/tagged.jpg")
    os.chmod(photo, 0o640)
    try:
        os.setxattr(photo, "user.xdg.tags", b"portfolio")
        has_xattr = True
    except (OSError, AttributeError):  # filesystem (or platform) without user xattrs
        has_xattr = False
    mtime = photo.stat().st_mtime_ns
    vault.seal()
    real = fileops.rename_noreplace

    def exdev(src: str, dst: str) -> None:
        if not os.fspath(src).endswith(fileops.PARTIAL_SUFFIX):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real(src, dst)

    monkeypatch.setattr(fileops, "rename_noreplace", exdev)
    dest = vault.archive / "sub/tagged.jpg"
    dest.parent.mkdir()
    assert fileops.move_file(photo, dest, sha256=fileops.sha256_file(photo)) == "copy"
    st = dest.stat()
    assert st.st_mode & 0o777 == 0o640 and st.st_mtime_ns == mtime
    if has_xattr:
        assert os.getxattr(dest, "user.xdg.tags") == b"portfolio"


def test_archive_refuses_to_start_when_an_interrupted_operation_cannot_be_settled(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.errors import ArchiveError
    from desktop_app.workflow import recovery

    ga, gb, xa, yb = two_roots(vault, identical=False)
    crash_after_intent(vault, ga)

    def unreadable(*a: object, **kw: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(recovery, "_settle", unreadable)
    with pytest.raises(ArchiveError, match="Couldn't settle an interrupted archive operation"):
        execute(plan_archive([gb], vault.archive), log_dir=vault.data)
    assert yb.exists() and xa.exists() and len(ArchiveLog(vault.data).operations()) == 1

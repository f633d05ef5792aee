"""Folders are only ever created below a library root or archive folder that exists: an
unplugged drive is reported, never replaced by a phantom folder on the boot disk."""

from __future__ import annotations

import pytest

from desktop_app.errors import ArchiveError
from desktop_app.workflow import fileops
from desktop_app.workflow.archive import execute, plan_archive
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.recovery import undo
from tests.unit.workflow.helpers import Vault, group, member


def test_undo_refuses_when_the_library_drive_is_unplugged(vault: Vault) -> None:
    drive = vault.base / "drive"
    root = drive / "Photos"
    keep, dupe = vault.make("keep.jpg", root=root), vault.make("2020/trip/dupe.jpg", root=root)
    unplugged = vault.base / "drive-unplugged"
    vault.extra_roots += [root, unplugged]
    vault.seal()
    result = execute(plan_archive([group(member(keep, root), member(dupe, root), archive=[1])], vault.archive),
                     log_dir=vault.data)
    assert ArchiveLog(vault.data).operation().entries[0].root == str(root)
    drive.rename(unplugged)  # the drive is unmounted: its folder is gone
    res = undo(vault.data, result.operation_id)
    assert res.restored == ()
    assert res.refused == ((str(dupe), f"Couldn't restore 'dupe.jpg': its library folder '{root}' isn't there (is its drive connected?)"),)
    assert not drive.exists()  # nothing was created where the drive used to be
    assert (vault.archive / "2020/trip/dupe.jpg").exists()
    unplugged.rename(drive)  # plugged in again: now the undo works
    assert undo(vault.data, result.operation_id).restored == (str(dupe),)


def test_archive_refuses_a_folder_on_an_unplugged_drive_and_creates_one_whose_parent_exists(vault: Vault) -> None:
    keep, dupe = vault.make("keep.jpg"), vault.make("sub/dupe.jpg")
    vault.seal()
    groups = [group(member(keep, vault.library), member(dupe, vault.library), archive=[1])]
    gone = vault.base / "media" / "Backup" / "Archive"
    with pytest.raises(ArchiveError, match=r"the folder '.*Backup' isn't there \(is its drive connected\?\)"):
        execute(plan_archive(groups, gone), log_dir=vault.data)
    with pytest.raises(ArchiveError, match="isn't there"):
        execute(plan_archive(groups, gone), log_dir=vault.data, dry_run=True)
    assert not (vault.base / "media").exists() and dupe.exists()
    fresh = vault.archive / "2026"   # its parent exists: created
    result = execute(plan_archive(groups, fresh), log_dir=vault.data)
    assert [m.place for m in result.moved] == [str(fresh / "sub/dupe.jpg")]


def test_move_file_creates_folders_only_below_an_existing_folder(vault: Vault) -> None:
    photo = vault.make("a.jpg")
    vault.seal()
    sha = fileops.sha256_file(photo)
    with pytest.raises(ArchiveError, match="'.*nowhere' isn't there"):
        fileops.move_file(photo, vault.base / "nowhere" / "x" / "a.jpg", sha256=sha, create_below=vault.base / "nowhere")
    with pytest.raises(ArchiveError, match="isn't there"):
        fileops.move_file(photo, vault.archive / "x" / "a.jpg", sha256=sha)  # no create_below: folder must exist
    with pytest.raises(ArchiveError, match="outside"):
        fileops.move_file(photo, vault.base / "elsewhere" / "a.jpg", sha256=sha, create_below=vault.archive)
    assert not (vault.base / "nowhere").exists() and not (vault.base / "elsewhere").exists()
    fileops.move_file(photo, vault.archive / "x" / "y" / "a.jpg", sha256=sha, create_below=vault.archive)
    assert (vault.archive / "x/y/a.jpg").exists() and not photo.exists()

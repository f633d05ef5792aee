"""The one "is it inside?" helper (archive vs library, protected folders, archiving a file) and
the archive marker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_app.context.types import SimilarResult
from desktop_app.errors import ArchiveError
from desktop_app.workflow import paths
from desktop_app.workflow.archive import execute, plan_archive
from desktop_app.workflow.paths import ARCHIVE_MARKER, FolderMatcher, is_inside, overlaps
from desktop_app.workflow.session import member_from
from tests.unit.workflow.helpers import Vault, group, member, record


def test_is_inside_follows_links_and_dots(tmp_path: Path) -> None:
    lib, out = tmp_path / "lib", tmp_path / "out"
    (lib / "sub").mkdir(parents=True)
    out.mkdir()
    (lib / "linked").symlink_to(out)                 # a folder inside that really is outside
    alias = tmp_path / "alias"
    alias.symlink_to(lib)                            # another spelling of the library
    assert is_inside(lib / "sub" / "x.jpg", lib) and is_inside(lib, lib)
    assert not is_inside(lib / "linked" / "x.jpg", lib)
    assert not is_inside(lib / ".." / "out" / "x.jpg", lib)
    assert not is_inside(tmp_path / "lib-2" / "x.jpg", lib)   # a prefix of the name is not a parent
    assert is_inside(alias / "sub" / "x.jpg", lib) and is_inside(lib / "sub", alias)


def test_same_directory_by_identity_when_spelling_differs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on macOS, where "/Volumes/photos" and "/Volumes/Photos" are one folder that neither
    # realpath nor normcase reconciles: only the directory's identity tells.
    lib = tmp_path / "Photos"
    (lib / "2020").mkdir(parents=True)
    alias = tmp_path / "photos-other-spelling"
    alias.symlink_to(lib)
    monkeypatch.setattr(os.path, "realpath", lambda p, **kw: os.path.abspath(p))
    assert is_inside(alias / "2020" / "a.jpg", lib)
    assert FolderMatcher([lib]).contains(str(alias / "2020" / "a.jpg"))
    assert not is_inside(tmp_path / "a.jpg", lib)


def test_protected_folder_matches_every_spelling_of_it(tmp_path: Path) -> None:
    real = tmp_path / "Reference"
    real.mkdir()
    photo = real / "a.jpg"
    photo.write_bytes(b"x" * 10)
    alias = tmp_path / "ref-link"
    alias.symlink_to(real)
    rec = record(1, photo, tmp_path)

    result = SimilarResult(rec, 100.0)
    assert member_from(result, protected_folders=[str(alias)]).protected
    assert member_from(result, protected_folders=[str(real) + os.sep]).protected
    assert not member_from(result, protected_folders=[str(tmp_path / "Ref")]).protected
    assert not FolderMatcher([]).contains(str(photo))


def test_archive_folder_spelled_inside_the_library_is_refused(vault: Vault) -> None:
    keep, dupe = vault.make("keep.jpg"), vault.make("dupe.jpg")
    vault.seal()
    elsewhere = vault.base / "elsewhere"
    elsewhere.mkdir()
    (vault.library / "Archive").symlink_to(elsewhere)   # resolves outside, but lives in the library
    g = group(member(keep, vault.library), member(dupe, vault.library), archive=[1])
    with pytest.raises(ArchiveError, match="must be outside the library folder"):
        plan_archive([g], vault.library / "Archive")
    assert overlaps(vault.library / "Archive", vault.library) and overlaps(vault.library, vault.library / "x")
    assert not overlaps(vault.archive, vault.library)


def test_archiving_writes_the_marker_once(vault: Vault) -> None:
    keep, dupe, dupe2 = vault.make("keep.jpg"), vault.make("dupe.jpg"), vault.make("dupe2.jpg")
    vault.seal()
    g = group(member(keep, vault.library), member(dupe, vault.library), member(dupe2, vault.library), archive=[1])
    execute(plan_archive([g], vault.archive), log_dir=vault.data, dry_run=True)
    assert not (vault.archive / ARCHIVE_MARKER).exists()   # a dry run touches nothing
    execute(plan_archive([g], vault.archive), log_dir=vault.data)
    marker = vault.archive / ARCHIVE_MARKER
    assert marker.read_text(encoding="utf-8") == paths.MARKER_TEXT and "Lookalike archive" in paths.MARKER_TEXT
    marker.write_text("the user's own note", encoding="utf-8")
    g2 = group(member(keep, vault.library), member(dupe2, vault.library), archive=[1])
    execute(plan_archive([g2], vault.archive), log_dir=vault.data)
    assert marker.read_text(encoding="utf-8") == "the user's own note"   # never overwritten
    assert not dupe.exists() and not dupe2.exists()

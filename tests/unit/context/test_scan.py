"""The folder walk: archive folders are never walked; "under a folder" ignores case where the OS does."""

from __future__ import annotations

import ntpath
import os
from pathlib import Path

import pytest

from desktop_app.context.scan import ARCHIVE_MARKER, is_under, owning_root, walk_images
from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore
from desktop_app.errors import ContextError

from tests.unit.conftest import save_photo


def test_archive_marker_name_is_the_workflows() -> None:
    assert ARCHIVE_MARKER == ".lookalike-archive"


def test_walk_skips_archive_folders_and_everything_under_them(library: Path) -> None:
    archive = library / "trips" / "Lookalike archive"
    save_photo(archive / "chelsea.jpg", "chelsea")
    save_photo(archive / "2024" / "rocket.jpg", "rocket")
    (archive / ARCHIVE_MARKER).write_text("archive folder of Lookalike\n")
    names = {os.path.basename(f.path) for f in walk_images([str(library)])}
    assert names == {"astronaut.jpg", "astronaut small.jpg", "coffee.png", "chelsea.jpg",
                     "rocket.JPG", "motorcycle.jpg"}
    assert not any("Lookalike archive" in f.path for f in walk_images([str(library)]))


def test_archived_copies_never_come_back_on_reindex(ctx: SearchContext, library: Path) -> None:
    ctx.index(workers=1)
    archive = library / "archive"
    archive.mkdir()
    (archive / ARCHIVE_MARKER).write_text("")
    os.replace(library / "astronaut small.jpg", archive / "astronaut small.jpg")
    report = ctx.index(workers=1)
    assert report.removed == 1 and report.added == 0
    assert not any(r.path.startswith(str(archive)) for r in ctx.images())


def test_add_folder_refuses_an_archive_folder(ctx: SearchContext, store: ContextStore,
                                              tmp_path: Path) -> None:
    archive = tmp_path / "Archive"
    archive.mkdir()
    (archive / ARCHIVE_MARKER).write_text("")
    with pytest.raises(ContextError) as err:
        ctx.add_folder(archive)
    message = str(err.value)
    assert "archive folder" in message and str(archive) in message and "\n" not in message
    assert str(archive) not in [f.path for f in ctx.folders()]
    with pytest.raises(ContextError):
        store.create("from archive", [archive])
    assert "from archive" not in [c.name for c in store.list_contexts()]  # nothing half-created


def test_under_a_folder_uses_normcase(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a case-insensitive OS (normcase folds case), C:\\Photos\\a.jpg is under c:\\photos."""
    monkeypatch.setattr(os.path, "normcase", ntpath.normcase)
    monkeypatch.setattr(os, "sep", "\\")
    assert is_under("C:\\Photos\\Trip\\a.jpg", "c:\\photos")
    assert is_under("C:\\Photos\\Trip\\a.jpg", "C:/photos/trip")
    assert not is_under("C:\\Photos2\\a.jpg", "c:\\photos")
    assert owning_root("C:\\PHOTOS\\Trip\\a.jpg", ["c:\\photos", "c:\\photos\\trip"]) == "c:\\photos\\trip"


def test_under_a_folder_is_exact_where_the_os_is_case_sensitive() -> None:
    if os.path.normcase("A") == "a":
        pytest.skip("case-insensitive platform")
    assert is_under("/photos/trip/a.jpg", "/photos")
    assert not is_under("/Photos/trip/a.jpg", "/photos")
    assert not is_under("/photos2/a.jpg", "/photos")

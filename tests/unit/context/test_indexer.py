"""Incremental indexing: unchanged, changed, new, moved, copied, deleted, skipped, cancelled."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest

from desktop_app.context import analysis, reporting, writer
from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.types import FORMAT_VERSION, blob_version
from desktop_app.errors import Cancelled

from tests.unit.conftest import save_photo

N_LIBRARY = 6


def _paths(ctx: SearchContext) -> set[str]:
    return {os.path.basename(r.path) for r in ctx.images()}


def test_first_index_adds_everything_and_second_touches_nothing(
        ctx: SearchContext, count_analyses: Callable[[], list[str]]) -> None:
    first = ctx.index(workers=1)
    assert first.added == N_LIBRARY and not first.cancelled and first.skipped == ()
    assert _paths(ctx) == {"astronaut.jpg", "astronaut small.jpg", "coffee.png", "chelsea.jpg",
                           "rocket.JPG", "motorcycle.jpg"}
    assert len(count_analyses()) == N_LIBRARY
    second = ctx.index(workers=1)
    assert (second.added, second.updated, second.moved, second.removed) == (0, 0, 0, 0)
    assert second.unchanged == N_LIBRARY
    assert len(count_analyses()) == N_LIBRARY  # nothing was read again
    assert ctx.info().last_indexed is not None


def test_changed_file_is_reanalysed_in_place(ctx: SearchContext, library: Path,
                                             count_analyses: Callable[[], list[str]]) -> None:
    ctx.index(workers=1)
    before = ctx.image_by_path(library / "coffee.png")
    assert before is not None
    save_photo(library / "coffee.png", "camera")  # same name, other picture
    os.utime(library / "coffee.png", ns=(before.mtime_ns + 10**9, before.mtime_ns + 10**9))
    calls_before = len(count_analyses())
    report = ctx.index(workers=1)
    assert report.updated == 1 and report.added == 0 and report.unchanged == N_LIBRARY - 1
    assert count_analyses()[calls_before:] == [str(library / "coffee.png")]
    after = ctx.image_by_path(library / "coffee.png")
    assert after is not None and after.id == before.id
    assert after.content_hash != before.content_hash


def test_new_file_is_added(ctx: SearchContext, library: Path) -> None:
    ctx.index(workers=1)
    save_photo(library / "new" / "camera.tif", "camera")
    report = ctx.index(workers=1)
    assert report.added == 1 and report.unchanged == N_LIBRARY
    record = ctx.image_by_path(library / "new" / "camera.tif")
    assert record is not None and record.root == str(library)
    assert record.facts.format == "TIFF" and record.facts.lossless


def test_rename_and_move_recognised_by_hash_without_decoding(
        ctx: SearchContext, library: Path, count_analyses: Callable[[], list[str]]) -> None:
    ctx.index(workers=1)
    old = ctx.image_by_path(library / "trips" / "chelsea.jpg")
    assert old is not None
    ctx.save_marks({str(old.path): "keep"})
    (library / "cats").mkdir()
    os.rename(library / "trips" / "chelsea.jpg", library / "cats" / "Chelsea the cat.jpg")
    calls_before = len(count_analyses())
    report = ctx.index(workers=1)
    assert report.moved == 1 and report.added == 0 and report.removed == 0
    assert count_analyses()[calls_before:] == []  # recognised by content hash, not decoded
    new = ctx.image_by_path(library / "cats" / "Chelsea the cat.jpg")
    assert new is not None and new.id == old.id and new.content_hash == old.content_hash
    assert ctx.image_by_path(library / "trips" / "chelsea.jpg") is None
    assert ctx.thumbnail(new.id)[:2] == b"\xff\xd8"
    assert ctx.load_marks() == {new.path: "keep"}  # the mark followed the file


def test_byte_identical_copy_is_not_decoded(ctx: SearchContext, library: Path,
                                            count_analyses: Callable[[], list[str]]) -> None:
    ctx.index(workers=1)
    shutil.copy2(library / "coffee.png", library / "coffee copy.png")
    calls_before = len(count_analyses())
    report = ctx.index(workers=1)
    assert report.added == 1 and count_analyses()[calls_before:] == []
    original = ctx.image_by_path(library / "coffee.png")
    copy = ctx.image_by_path(library / "coffee copy.png")
    assert original is not None and copy is not None and copy.id != original.id
    assert copy.content_hash == original.content_hash and copy.facts == original.facts


def test_deleted_file_is_dropped(ctx: SearchContext, library: Path) -> None:
    ctx.index(workers=1)
    (library / "trips" / "rocket.JPG").unlink()
    report = ctx.index(workers=1)
    assert report.removed == 1 and report.unchanged == N_LIBRARY - 1
    assert "rocket.JPG" not in _paths(ctx)


def test_bad_files_become_skips_with_reasons_and_are_retried_only_when_changed(
        ctx: SearchContext, library: Path, count_analyses: Callable[[], list[str]]) -> None:
    bad = library / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    good = (library / "astronaut.jpg").read_bytes()
    (bad / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (bad / "notes.jpg").write_text("this is not an image\n" * 20)
    (bad / "réunion été.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    report = ctx.index(workers=1)
    reasons = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert report.added == N_LIBRARY
    assert set(reasons) >= {"empty.jpg", "notes.jpg", "réunion été.png"}
    assert all(reason.strip() for reason in reasons.values())
    assert "empty" in reasons["empty.jpg"] or "zero" in reasons["empty.jpg"]
    # A truncated JPEG may decode partially (grey bottom) or be refused; either way no crash.
    assert ctx.image_by_path(bad / "truncated.jpg") is not None or "truncated.jpg" in reasons
    assert {os.path.basename(s.path) for s in ctx.skipped()} == set(reasons)

    calls_before = len(count_analyses())
    again = ctx.index(workers=1)
    assert count_analyses()[calls_before:] == []  # unchanged skips are not retried
    assert {s.path for s in again.skipped} == {s.path for s in report.skipped}

    save_photo(bad / "empty.jpg", "camera")  # the user fixed the file
    fixed = ctx.index(workers=1)
    assert fixed.added == 1
    assert "empty.jpg" not in {os.path.basename(s.path) for s in fixed.skipped}
    (bad / "notes.jpg").unlink()  # a skipped file that vanished is forgotten
    assert "notes.jpg" not in {os.path.basename(s.path) for s in ctx.index(workers=1).skipped}


def test_cancel_midway_keeps_work_and_next_index_completes(
        ctx: SearchContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "BATCH_SIZE", 1)
    monkeypatch.setattr(reporting, "PROGRESS_INTERVAL", 0.0)
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.done >= 2:
            token.cancel()

    report = ctx.index(workers=1, progress=on_progress, cancel=token)
    assert report.cancelled
    kept = ctx.image_count()
    assert 2 <= kept < N_LIBRARY
    assert ctx.info().last_indexed is None  # an interrupted scan is not a completed one
    assert all(p.total == N_LIBRARY for p in seen if p.total)
    assert any(p.rate > 0 for p in seen)
    rest = ctx.index(workers=1)
    assert not rest.cancelled and rest.added == N_LIBRARY - kept and rest.unchanged == kept
    assert ctx.image_count() == N_LIBRARY


def test_progress_callback_raising_cancelled_counts_as_cancel(
        ctx: SearchContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reporting, "PROGRESS_INTERVAL", 0.0)

    def on_progress(p: Progress) -> None:
        if p.done >= 1:
            raise Cancelled("stop")

    report = ctx.index(workers=1, progress=on_progress)
    assert report.cancelled and 1 <= ctx.image_count() < N_LIBRARY


def test_reader_queries_while_indexing(store: ContextStore, ctx: SearchContext,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Another connection (its own store, another thread) reads committed work mid-scan."""
    monkeypatch.setattr(writer, "BATCH_SIZE", 1)
    real_job = analysis.analyze_job
    third_file = threading.Event()
    reader_done = threading.Event()
    started = [0]

    def gated_job(path: str) -> analysis.Outcome:
        started[0] += 1
        if started[0] == 3:
            third_file.set()
            assert reader_done.wait(30), "the reader never finished"
        return real_job(path)

    monkeypatch.setattr(analysis, "analyze_job", gated_job)
    result: dict[str, object] = {}
    worker = threading.Thread(target=lambda: result.update(report=ctx.index(workers=1)))
    worker.start()
    try:
        assert third_file.wait(30)
        reader = ContextStore(store.db_path)
        try:
            mid = reader.open("test")
            names = [r.name for r in mid.images()]  # 2 committed, the scan still running
            info = reader.list_contexts()[0]
        finally:
            reader.close()
    finally:
        reader_done.set()
        worker.join(60)
    assert len(names) == 2 and info.image_count == 2
    assert result["report"].added == N_LIBRARY  # type: ignore[attr-defined]


def test_file_vanishing_mid_scan_is_neither_image_nor_skip(
        ctx: SearchContext, library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_job = analysis.analyze_job
    victim = str(library / "coffee.png")

    def vanishing_job(path: str) -> analysis.Outcome:
        if path == victim:
            os.unlink(path)
        return real_job(path)

    monkeypatch.setattr(analysis, "analyze_job", vanishing_job)
    report = ctx.index(workers=1)
    assert report.added == N_LIBRARY - 1 and report.skipped == ()
    assert ctx.image_by_path(victim) is None


def test_walk_rules_hidden_symlinks_case_and_nested_protected_root(
        store: ContextStore, library: Path, tmp_path: Path) -> None:
    save_photo(library / ".hidden" / "secret.jpg", "camera")
    save_photo(library / "._astronaut.jpg", "camera")
    (library / "readme.txt").write_text("not a photo")
    outside = save_photo(tmp_path / "outside" / "elsewhere.jpg", "camera")
    os.symlink(outside.parent, library / "link-out")
    os.symlink(outside, library / "link.jpg")
    ctx = store.create("walk", [library])
    ctx.add_folder(library / "trips", protected=True)
    report = ctx.index(workers=1)
    assert report.added == N_LIBRARY and report.skipped == ()
    roots = {r.name: r.root for r in ctx.images()}
    assert roots["rocket.JPG"] == str(library / "trips")  # the most specific folder
    assert roots["coffee.png"] == str(library)
    assert ctx.is_protected(str(library / "trips" / "chelsea.jpg"))
    assert not ctx.is_protected(str(library / "coffee.png"))


def test_unplugged_folder_keeps_its_images(ctx: SearchContext, library: Path) -> None:
    ctx.index(workers=1)
    os.rename(library, str(library) + "-offline")
    report = ctx.index(workers=1)
    assert report.offline_folders == (str(library),)
    assert report.removed == 0 and ctx.image_count() == N_LIBRARY


def test_unmounted_drive_empty_mount_point_keeps_its_images(
        ctx: SearchContext, library: Path, tmp_path: Path) -> None:
    """An unmounted drive leaves its mount point behind as an EMPTY folder: nothing is dropped."""
    ctx.index(workers=1)
    away = tmp_path / "drive-contents"
    away.mkdir()
    for entry in list(library.iterdir()):       # "unmount": the folder stays, empty
        shutil.move(str(entry), str(away / entry.name))
    report = ctx.index(workers=1)
    assert str(library) in report.offline_folders
    assert report.removed == 0 and ctx.image_count() == N_LIBRARY
    for entry in list(away.iterdir()):          # mounted again: everything is still known
        shutil.move(str(entry), str(library / entry.name))
    back = ctx.index(workers=1)
    assert back.offline_folders == () and back.unchanged == N_LIBRARY and back.added == 0


def test_empty_new_folder_is_not_offline(store: ContextStore, tmp_path: Path) -> None:
    empty = tmp_path / "nothing yet"
    empty.mkdir()
    ctx = store.create("empty", [empty])
    report = ctx.index(workers=1)
    assert report.offline_folders == () and ctx.image_count() == 0


def test_process_pool_indexes_everything(ctx: SearchContext, library: Path) -> None:
    report = ctx.index(workers=2)
    assert report.added == N_LIBRARY and not report.cancelled
    assert ctx.index(workers=2).unchanged == N_LIBRARY


@pytest.mark.skipif(os.name == "nt" or sys.platform == "darwin",
                    reason="only POSIX file systems without name normalisation allow such names")
def test_file_names_that_are_not_utf8_survive(store: ContextStore, tmp_path: Path) -> None:
    lib = tmp_path / "bytes"
    lib.mkdir()
    raw = os.path.join(os.fsencode(lib), b"caf\xe9 \xff.jpg")
    save_photo(Path(os.fsdecode(raw)), "coffee")
    save_photo(lib / "plain.jpg", "camera")
    ctx = store.create("bytes", [lib])
    assert ctx.index(workers=1).added == 2
    weird = os.fsdecode(raw)
    record = ctx.image_by_path(weird)
    assert record is not None and record.path == weird
    ctx.save_marks({weird: "archive"})
    assert ctx.load_marks() == {weird: "archive"}
    assert ctx.index(workers=1).unchanged == 2
    renamed = os.fsdecode(os.path.join(os.fsencode(lib), b"\xfe renamed.jpg"))
    os.rename(weird, renamed)
    assert ctx.index(workers=1).moved == 1
    assert ctx.load_marks() == {renamed: "archive"}
    assert {r.path for r in ctx.images()} == {renamed, str(lib / "plain.jpg")}


def test_overlapping_context_reuses_analysis_instead_of_decoding(
        store: ContextStore, ctx: SearchContext, library: Path,
        count_analyses: Callable[[], list[str]]) -> None:
    ctx.index(workers=1)
    calls = len(count_analyses())
    trips = store.create("trips", [library / "trips"])
    report = trips.index(workers=1)
    assert report.added == 3 and count_analyses()[calls:] == []
    mine = {r.name: r for r in trips.images()}
    theirs = {r.name: r for r in ctx.images() if r.name in mine}
    assert {n: r.content_hash for n, r in mine.items()} == {
        n: r.content_hash for n, r in theirs.items()}
    assert all(r.id != theirs[n].id for n, r in mine.items())
    assert trips.thumbnail(mine["rocket.JPG"].id) == ctx.thumbnail(theirs["rocket.JPG"].id)
    store.delete("test")  # the other context's records go; ours stay whole
    assert len(trips.images()) == 3 and trips.features(mine["chelsea.jpg"].id).phash.shape == (8,)


@pytest.mark.parametrize("failure", ["permission", "memory", "oserror"])
def test_transient_skips_are_retried_on_every_index(
        ctx: SearchContext, library: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    """A file unreadable for a reason that can go away unchanged (chmod keeps the mtime) is retried."""
    from desktop_app.engine import analyze
    from desktop_app.engine.file_read import TransientDecodeError

    real = analyze.analyze_file
    blocked = {str(library / "coffee.png")}
    attempts: list[str] = []

    def flaky(path: str | os.PathLike[str]):  # type: ignore[no-untyped-def]
        attempts.append(os.fspath(path))
        if os.fspath(path) in blocked:
            if failure == "permission":
                raise TransientDecodeError(os.fspath(path), "permission denied")
            if failure == "memory":
                raise MemoryError
            raise OSError(5, "Input/output error")
        return real(path)

    monkeypatch.setattr(analyze, "analyze_file", flaky)
    first = ctx.index(workers=1)
    assert [os.path.basename(s.path) for s in first.skipped] == ["coffee.png"]
    assert first.skipped[0].reason.strip()
    second = ctx.index(workers=1)  # still failing: tried again, still reported
    assert attempts.count(str(library / "coffee.png")) == 2
    assert [os.path.basename(s.path) for s in second.skipped] == ["coffee.png"]
    blocked.clear()                # the user fixed the permissions: size and mtime unchanged
    fixed = ctx.index(workers=1)
    assert fixed.added == 1 and fixed.skipped == () and ctx.skipped() == []
    assert "coffee.png" in _paths(ctx)


def test_features_stored_by_an_older_engine_are_analysed_again(
        store: ContextStore, ctx: SearchContext, library: Path,
        count_analyses: Callable[[], list[str]]) -> None:
    """An unchanged file whose stored features are an older format (no border box, no mirrored
    descriptors) is re-analysed by the next index, in place; the others are not read."""
    ctx.index(workers=1)
    before = ctx.image_by_path(library / "trips" / "chelsea.jpg")
    assert before is not None
    with sqlite3.connect(store.db_path) as conn:   # what version 1 of the engine stored
        for table in ("features", "index_features"):
            (blob,) = conn.execute(f"SELECT blob FROM {table} WHERE image_id=?", (before.id,)).fetchone()
            old = bytearray(blob)
            old[3] = 1
            conn.execute(f"UPDATE {table} SET blob=? WHERE image_id=?", (bytes(old), before.id))
    conn.close()
    calls = len(count_analyses())
    report = ctx.index(workers=1)
    assert (report.updated, report.added, report.unchanged) == (1, 0, N_LIBRARY - 1)
    assert count_analyses()[calls:] == [str(library / "trips" / "chelsea.jpg")]
    after = ctx.image_by_path(library / "trips" / "chelsea.jpg")
    assert after is not None and after.id == before.id
    with sqlite3.connect(store.db_path) as conn:
        versions = {blob_version(bytes(b)) for t in ("features", "index_features")
                    for (b,) in conn.execute(f"SELECT blob FROM {t}")}
    conn.close()
    assert versions == {FORMAT_VERSION}
    assert ctx.index(workers=1).unchanged == N_LIBRARY       # upgraded once, then left alone


def test_another_contexts_outdated_features_are_not_copied(
        store: ContextStore, ctx: SearchContext, library: Path,
        count_analyses: Callable[[], list[str]]) -> None:
    ctx.index(workers=1)
    stale = ctx.image_by_path(library / "trips" / "chelsea.jpg")
    assert stale is not None
    with sqlite3.connect(store.db_path) as conn:
        (blob,) = conn.execute("SELECT blob FROM features WHERE image_id=?", (stale.id,)).fetchone()
        conn.execute("UPDATE features SET blob=? WHERE image_id=?", (blob[:3] + bytes([1]) + blob[4:], stale.id))
    conn.close()
    calls = len(count_analyses())
    trips = store.create("trips", [library / "trips"])
    assert trips.index(workers=1).added == 3
    assert count_analyses()[calls:] == [str(library / "trips" / "chelsea.jpg")]   # the others copied

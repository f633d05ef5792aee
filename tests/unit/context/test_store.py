"""ContextStore and SearchContext bookkeeping: contexts, folders, settings, decisions, marks."""

from __future__ import annotations

import io
import os
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.context.schema import SCHEMA_VERSION, default_db_path
from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore
from desktop_app.errors import ContextError, DecodeError

from tests.unit.conftest import save_photo


def test_default_database_lives_in_the_user_data_dir(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_db_path() == tmp_path / "xdg" / "lookalike" / "lookalike.sqlite"
    store = ContextStore()
    try:
        store.create("x")
        assert (tmp_path / "xdg" / "lookalike" / "lookalike.sqlite").is_file()
    finally:
        store.close()


def test_create_open_list_delete(store: ContextStore, library: Path) -> None:
    created = store.create("Holidays", [library])
    with pytest.raises(ContextError, match="already exists"):
        store.create("Holidays")
    with pytest.raises(ContextError, match="no context named 'Nope'"):
        store.open("Nope")
    store.create("Archive")
    infos = store.list_contexts()
    assert [i.name for i in infos] == ["Archive", "Holidays"]
    assert infos[1].folders[0].path == str(library) and infos[1].image_count == 0
    opened = store.open("Holidays")
    assert opened.id == created.id and opened.folders() == created.folders()
    store.delete("Archive")
    assert [i.name for i in store.list_contexts()] == ["Holidays"]
    with pytest.raises(ContextError, match="not a folder"):
        store.create("Broken", [library / "missing"])
    assert [i.name for i in store.list_contexts()] == ["Holidays"]  # nothing half-created
    with pytest.raises(ContextError):
        store.delete("Archive")


def test_schema_is_versioned_and_reopening_keeps_data(store: ContextStore, ctx: SearchContext) -> None:
    ctx.index(workers=1)
    kept = str(ctx.images()[0].path)
    ctx.save_marks({kept: "keep"})
    ctx.update_settings({"archive_folder": "/elsewhere", "archive_to_trash": True})
    assert ctx.update_settings({"archive_to_trash": None}) == {"archive_folder": "/elsewhere"}
    path = store.db_path
    store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = ContextStore(path)
    try:
        reopened = again.open("test")
        assert reopened.image_count() == 6
        assert reopened.load_marks() == {kept: "keep"}
        assert reopened.settings() == {"archive_folder": "/elsewhere"}   # the library's own settings
    finally:
        again.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    ContextStore(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE schema_version SET version = 999")
    with pytest.raises(ContextError, match="newer"):
        ContextStore(path)


def test_data_dir_is_per_context(store: ContextStore) -> None:
    a, b = store.create("Trip: 2024/ü"), store.create("Other")
    assert a.data_dir.is_dir() and b.data_dir.is_dir() and a.data_dir != b.data_dir
    assert a.data_dir.parent.parent == store.db_path.parent


def test_folders_add_remove_protect(ctx: SearchContext, library: Path, tmp_path: Path) -> None:
    ctx.index(workers=1)
    with pytest.raises(ContextError, match="not a folder"):
        ctx.add_folder(tmp_path / "missing")
    ctx.set_protected(library, True)
    assert ctx.folders()[0].protected and ctx.is_protected(str(library / "coffee.png"))
    other = tmp_path / "other"
    save_photo(other / "camera.jpg", "camera")
    ctx.add_folder(other)
    assert ctx.index(workers=1).added == 1
    ctx.remove_folder(library)
    assert [f.path for f in ctx.folders()] == [str(other)]
    assert [r.name for r in ctx.images()] == ["camera.jpg"]


def test_thumbnail_and_features(ctx: SearchContext) -> None:
    ctx.index(workers=1)
    record = ctx.images()[0]
    thumb = Image.open(io.BytesIO(ctx.thumbnail(record.id)))
    assert thumb.format == "JPEG" and max(thumb.size) >= 256
    feats = ctx.features(record.id)
    assert feats.phash.shape == (8,)
    with pytest.raises(ContextError):
        ctx.thumbnail(10**9)


def test_add_and_remove_one_image(ctx: SearchContext, tmp_path: Path) -> None:
    loose = save_photo(tmp_path / "loose" / "camera.png", "camera")
    record = ctx.add_image(loose)
    assert record.root == str(loose.parent) and ctx.image(record.id).path == str(loose)
    assert ctx.index(workers=1).added == 6  # the loose image stays: checked by stat, not walk
    assert ctx.image_by_path(loose) is not None
    ctx.remove_image(str(loose))
    assert ctx.image_by_path(loose) is None
    bad = tmp_path / "loose" / "bad.jpg"
    bad.write_bytes(b"")
    with pytest.raises(DecodeError, match="bad.jpg"):
        ctx.add_image(bad)
    with pytest.raises(DecodeError):
        ctx.add_image(tmp_path / "loose" / "missing.jpg")


def test_marks_upsert_clear_forget(ctx: SearchContext, library: Path) -> None:
    ctx.index(workers=1)
    a, b = str(library / "astronaut.jpg"), str(library / "astronaut small.jpg")
    ctx.save_marks({a: "keep", b: "archive"})
    assert ctx.load_marks() == {a: "keep", b: "archive"}
    with pytest.raises(ValueError):
        ctx.save_marks({a: "delete"})
    ctx.save_marks({a: None})
    assert ctx.load_marks() == {b: "archive"}
    assert ctx.forget([b]) == 1 and ctx.image_by_path(b) is None
    assert ctx.load_marks() == {b: "archive"}  # decisions are never dropped


def test_distinct_decisions_survive_rescan_and_rename(ctx: SearchContext, library: Path) -> None:
    ctx.index(workers=1)
    a, b = str(library / "astronaut.jpg"), str(library / "astronaut small.jpg")
    decided = ctx.mark_distinct([(a, b)])
    assert len(decided) == 1 and decided[0].hash_a < decided[0].hash_b
    os.rename(b, library / "renamed.jpg")
    ctx.index(workers=1)
    ctx.index(workers=1)
    decisions = ctx.distinct_decisions()
    assert [(d.hash_a, d.hash_b) for d in decisions] == [(decided[0].hash_a, decided[0].hash_b)]
    ctx.unmark_distinct(decisions)
    assert ctx.distinct_decisions() == []


def test_two_threads_use_their_own_connections(store: ContextStore, ctx: SearchContext) -> None:
    import threading

    ctx.index(workers=1)
    out: list[int] = []
    for _ in range(3):  # finished threads' connections are closed, not accumulated
        thread = threading.Thread(target=lambda: out.append(len(ctx.images())))
        thread.start()
        thread.join(30)
    assert out == [6, 6, 6]
    store.conn()
    assert len(store._connections) <= 2


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "photo.jpg"
    bogus.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 4096)
    with pytest.raises(ContextError, match="The library database is damaged: .*photo.jpg"):
        ContextStore(bogus)
    assert bogus.read_bytes() == b"\xff\xd8\xff\xe0" + b"\x00" * 4096  # never replaced


def test_forward_migration_from_schema_1_keeps_user_decisions(tmp_path: Path, library: Path) -> None:
    from desktop_app.context.schema import MIGRATIONS

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        raw.execute("INSERT INTO schema_version VALUES (1)")
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("INSERT INTO contexts (id, name, created) VALUES (1, 'old', '2025-01-01')")
        raw.execute("INSERT INTO folders VALUES (1, ?, 1, '2025-01-01')", (str(library),))
        raw.execute("INSERT INTO marks VALUES (1, '/x.jpg', 'keep', '2025-01-01')")
        raw.execute("INSERT INTO distinct_pairs VALUES (1, 'a', 'b', '/a', '/b', '2025-01-01')")
    store = ContextStore(path)
    try:
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        ctx = store.open("old")
        assert ctx.folders()[0].protected and ctx.load_marks() == {"/x.jpg": "keep"}
        assert [(d.hash_a, d.hash_b) for d in ctx.distinct_decisions()] == [("a", "b")]
        assert ctx.index(workers=1).added == 6
        assert len(ctx.find_duplicates(threshold=90)) == 1
    finally:
        store.close()


def test_deleting_a_context_gives_space_back(store: ContextStore, ctx: SearchContext) -> None:
    ctx.index(workers=1)
    conn = store.conn()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    store.delete("test")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert conn.execute("PRAGMA page_count").fetchone()[0] < pages / 2


def test_counts_by_folder(ctx: SearchContext, library: Path) -> None:
    ctx.add_folder(library / "trips", protected=True)
    ctx.index(workers=1)
    assert ctx.counts_by_folder() == {str(library): 3, str(library / "trips"): 3}


def test_rename_keeps_data_dir_and_decisions(store: ContextStore, ctx: SearchContext) -> None:
    journal = ctx.data_dir / "journal.txt"
    journal.write_text("x")
    ctx.save_marks({"/a.jpg": "keep"})
    store.create("Other")
    with pytest.raises(ContextError, match="already exists"):
        store.rename("test", "Other")
    store.rename("test", "Renamed")
    again = store.open("Renamed")
    assert again.id == ctx.id and again.data_dir == journal.parent and journal.exists()
    assert again.load_marks() == {"/a.jpg": "keep"}
    with pytest.raises(ContextError, match="no context named 'test'"):
        store.rename("test", "Third")

"""A search context: :class:`SearchContext`, a named set of library folders and everything
indexed from them, read and written through the context database.

Derived data (features, thumbnails, pair scores) can always be rebuilt by re-indexing; user
decisions (folders, "not duplicates", marks, settings) are never dropped by an index run.

In-memory caches (records, the engine's :class:`SimilarityIndex`, scored pairs) live on the
:class:`SearchContext` and follow the context's ``generation`` counter: changes made through this
object update them incrementally; changes made elsewhere make them rebuild lazily.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

from desktop_app.context import companions as companion_files
from desktop_app.context import pairs as pair_scoring
from desktop_app.context import search
from desktop_app.context.aliases import check_not_an_alias
from desktop_app.context.blobs import IN_CHUNK
from desktop_app.context.cache import ContextCache
from desktop_app.context.analysis import analyze_job
from desktop_app.context.indexer import run_index
from desktop_app.context.writer import IndexChanges, apply_outcome
from desktop_app.context.protocols import ContextDatabase, SearchableContext
from desktop_app.context.records import IMAGE_COLUMNS, folders_of, record_from_row
from desktop_app.context.scan import (
    FoundFile, is_archive_folder, is_under, normalize_path, owning_root, same_path,
)
from desktop_app.context.schema import (
    bump_generation, from_db, iter_chunks, now_iso, to_db, transaction,
)
from desktop_app.context.types import (
    ContextInfo, DistinctDecision, DuplicateCluster, Folder, ImageRecord, IndexReport, ScoredPairs,
    SimilarResult, SkippedFile,
)
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.engine.types import Comparison, ImageFeatures
from desktop_app.errors import ContextError, DecodeError

log = logging.getLogger(__name__)

MARK_VALUES = frozenset({"keep", "archive"})


class SearchContext:
    """A named set of library folders and everything indexed from them. See the package doc."""

    def __init__(self, store: ContextDatabase, context_id: int, name: str) -> None:
        self.store = store
        self.id = context_id
        self.name = name
        self._lock = threading.RLock()
        self.cache = ContextCache()

    def __repr__(self) -> str:
        return f"SearchContext({self.name!r}, id={self.id})"

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the context database."""
        return self.store.conn()

    @property
    def data_dir(self) -> Path:
        """Per-context folder for the archive journal and logs (created on first access)."""
        base = self.store.db_path.parent / "contexts"
        existing = sorted(base.glob(f"{self.id}-*")) if base.is_dir() else []
        if existing:  # keyed by id: a renamed context keeps its journal
            return existing[0]
        slug = re.sub(r"[^\w.-]+", "_", self.name, flags=re.UNICODE).strip("._")[:40] or "context"
        path = base / f"{self.id}-{slug}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def generation(self) -> int:
        row = self.conn.execute("SELECT generation FROM contexts WHERE id=?", (self.id,)).fetchone()
        if row is None:
            raise ContextError(f"The context '{self.name}' was deleted.")
        return int(row[0])

    def _bump(self) -> None:
        bump_generation(self.conn, self.id)

    # -- folders

    def folders(self) -> list[Folder]:
        return folders_of(self.conn, self.id)

    def add_folder(self, path: str | os.PathLike[str], *, protected: bool = False) -> Folder:
        """Add a library folder (indexed by the next :meth:`index`)."""
        folder = normalize_path(path)
        if not os.path.isdir(folder):
            raise ContextError(f"Couldn't add '{folder}': it is not a folder.")
        if is_archive_folder(folder):  # its files were archived on purpose: never duplicates again
            raise ContextError(f"Couldn't add '{folder}': it is an archive folder of Lookalike.")
        check_not_an_alias(folder, [f.path for f in self.folders()])  # one folder, one name
        with transaction(self.conn) as conn:
            conn.execute("INSERT INTO folders (context_id, path, protected, added) VALUES (?,?,?,?)"
                         " ON CONFLICT (context_id, path) DO UPDATE SET protected=excluded.protected",
                         (self.id, to_db(folder), int(protected), now_iso()))
        return Folder(folder, protected)

    def remove_folder(self, path: str | os.PathLike[str]) -> None:
        """Forget a folder and the images indexed under it (their files are not touched)."""
        folder = self._stored_folder(path)
        roots = [f.path for f in self.folders() if f.path != folder]
        with self._lock, transaction(self.conn) as conn:
            before = self.generation()
            conn.execute("DELETE FROM folders WHERE context_id=? AND path=?",
                         (self.id, to_db(folder)))
            rows = conn.execute("SELECT id, path FROM images WHERE context_id=? AND root=?",
                                (self.id, to_db(folder))).fetchall()
            gone, rerooted = [], []
            for image_id, image_path in rows:
                new_root = owning_root(from_db(image_path), roots)  # still inside another folder
                if new_root is None:
                    gone.append(image_id)
                else:
                    rerooted.append((to_db(new_root), image_id))
            conn.executemany("UPDATE images SET root=? WHERE id=?", rerooted)
            conn.executemany("DELETE FROM images WHERE id=?", [(i,) for i in gone])
            conn.executemany("DELETE FROM skips WHERE context_id=? AND path=?", [
                (self.id, skip_path)
                for (skip_path,) in conn.execute("SELECT path FROM skips WHERE context_id=?",
                                                 (self.id,)).fetchall()
                if is_under(from_db(skip_path), folder)
                and owning_root(from_db(skip_path), roots) is None])
            self._bump()
        self.cache.apply(self, before, set(), set(gone))

    def _stored_folder(self, path: str | os.PathLike[str]) -> str:
        """``path`` as the context spells it (``os.path.normcase`` match), else normalised."""
        folder = normalize_path(path)
        return next((f.path for f in self.folders() if same_path(f.path, folder)), folder)

    def set_protected(self, path: str | os.PathLike[str], protected: bool) -> None:
        folder = self._stored_folder(path)
        with transaction(self.conn) as conn:
            cur = conn.execute("UPDATE folders SET protected=? WHERE context_id=? AND path=?",
                               (int(protected), self.id, to_db(folder)))
        if cur.rowcount == 0:
            raise ContextError(f"'{folder}' is not a folder of the context '{self.name}'.")

    def is_protected(self, path: str) -> bool:
        """True when ``path`` lies under a protected folder (never proposed for archiving)."""
        folders = self.folders()
        root = owning_root(normalize_path(path), [f.path for f in folders])
        return any(f.path == root and f.protected for f in folders)

    def settings(self) -> dict[str, Any]:
        """The library's own settings (JSON): e.g. where its last archive went."""
        row = self.conn.execute("SELECT settings FROM contexts WHERE id=?", (self.id,)).fetchone()
        value = json.loads(row[0]) if row else {}
        return value if isinstance(value, dict) else {}

    def update_settings(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into the settings; a None value removes a key. The merged settings."""
        with transaction(self.conn) as conn:
            row = conn.execute("SELECT settings FROM contexts WHERE id=?", (self.id,)).fetchone()
            merged = json.loads(row[0]) if row else {}
            if not isinstance(merged, dict):
                merged = {}
            for key, value in values.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            conn.execute("UPDATE contexts SET settings=? WHERE id=?", (json.dumps(merged), self.id))
        return merged

    def info(self) -> ContextInfo:
        row = self.conn.execute("SELECT created, last_indexed FROM contexts WHERE id=?",
                                 (self.id,)).fetchone()
        return ContextInfo(self.name, tuple(self.folders()), self.image_count(), row[0], row[1])

    # -- indexing

    def index(self, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
              workers: int | None = None) -> IndexReport:
        """Incrementally index the folders (see :mod:`desktop_app.context.indexer`).

        Never raises on bad files; a cancel returns ``IndexReport(cancelled=True)`` with all
        work done so far committed.
        """
        with self._lock:
            before = self.generation()
            roots = [f.path for f in self.folders()]
            changes: IndexChanges = run_index(
                self.conn, self.id, roots, progress=progress, cancel=cancel, workers=workers)
            self.cache.apply(self, before, changes.analysed_ids, changes.removed_ids)
            if not changes.report.cancelled:
                companion_files.refresh(self.conn, self.id, roots)  # sidecars, Live Photo videos
            return changes.report

    def add_image(self, path: str | os.PathLike[str]) -> ImageRecord:
        """Analyse one file and add (or refresh) it; raises :class:`DecodeError` if unreadable."""
        file_path = normalize_path(path)
        try:
            st = os.stat(file_path)
        except OSError as err:
            raise DecodeError(file_path, err.strerror or "file not found") from err
        root = owning_root(file_path, [f.path for f in self.folders()]) or os.path.dirname(file_path)
        outcome = analyze_job(file_path)
        with self._lock:
            before = self.generation()
            changes = apply_outcome(self.conn, self.id,
                                    FoundFile(file_path, root, st.st_size, st.st_mtime_ns), outcome,
                                    self.image_by_path(file_path))
            self.cache.apply(self, before, changes.analysed_ids, changes.removed_ids)
        if outcome.kind != "ok":
            raise DecodeError(file_path, outcome.reason or "file not found")
        record = self.image_by_path(file_path)
        assert record is not None
        return record

    def remove_image(self, id_or_path: int | str | os.PathLike[str]) -> None:
        """Drop one image from the index (the file is not touched; a folder scan re-adds it)."""
        record = self._record(id_or_path)
        self._delete_ids([record.id])

    def forget(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Drop these files from the index (e.g. archived); return how many were indexed."""
        wanted = list(dict.fromkeys(to_db(normalize_path(p)) for p in paths))
        ids: list[int] = []
        for chunk in iter_chunks(wanted, IN_CHUNK):  # one query per chunk, not per file
            ids += [int(i) for (i,) in self.conn.execute(
                f"SELECT id FROM images WHERE context_id=? AND path IN ({','.join('?' * len(chunk))})",
                (self.id, *chunk))]
        with transaction(self.conn) as conn:
            conn.executemany("DELETE FROM skips WHERE context_id=? AND path=?",
                             [(self.id, p) for p in wanted])
        companion_files.forget(self.conn, self.id, [from_db(p) for p in wanted])
        self._delete_ids(ids)
        return len(ids)

    def _delete_ids(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._lock:
            before = self.generation()
            with transaction(self.conn) as conn:
                conn.executemany("DELETE FROM images WHERE id=?", [(i,) for i in ids])
                self._bump()
            self.cache.apply(self, before, set(), set(ids))

    # -- companion files (sidecars, Live Photo videos: context/companions.py)

    def companions(self, photos: Iterable[str]) -> dict[str, tuple[companion_files.Companion, ...]]:
        """The companions the last scan found for each of ``photos`` (a CompanionSource)."""
        wanted = {normalize_path(p): p for p in photos}
        out: dict[str, list[companion_files.Companion]] = {p: [] for p in wanted.values()}
        for companion in companion_files.stored(self.conn, self.id):
            for photo in companion.photos:
                if photo in wanted:
                    out[wanted[photo]].append(companion)
        return {p: tuple(cs) for p, cs in out.items()}

    def orphans(self) -> list[companion_files.Companion]:
        """Sidecars whose photo is gone (as of the last scan); never deleted, only listed."""
        return companion_files.orphans(self.conn, self.id)

    # -- reading

    def images(self) -> list[ImageRecord]:
        """Every indexed image, by path."""
        return sorted(self.cache.records(self).values(), key=lambda r: r.path)

    def image_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM images WHERE context_id=?",
                                      (self.id,)).fetchone()[0])

    def counts_by_folder(self) -> dict[str, int]:
        """Images indexed per library folder (one SQL query, no records built)."""
        return {from_db(root): int(n) for root, n in self.conn.execute(
            "SELECT root, COUNT(*) FROM images WHERE context_id=? GROUP BY root", (self.id,))}

    def image(self, image_id: int) -> ImageRecord:
        row = self.conn.execute(f"SELECT {IMAGE_COLUMNS} FROM images WHERE id=? AND context_id=?",
                                 (int(image_id), self.id)).fetchone()
        if row is None:
            raise ContextError(f"Image {image_id} is not in the context '{self.name}'.")
        return record_from_row(row)

    def image_by_path(self, path: str | os.PathLike[str]) -> ImageRecord | None:
        row = self.conn.execute(
            f"SELECT {IMAGE_COLUMNS} FROM images WHERE context_id=? AND path=?",
            (self.id, to_db(normalize_path(path)))).fetchone()
        return None if row is None else record_from_row(row)

    def _record(self, id_or_path: int | str | os.PathLike[str]) -> ImageRecord:
        if isinstance(id_or_path, int):
            return self.image(id_or_path)
        record = self.image_by_path(id_or_path)
        if record is None:
            raise ContextError(f"'{os.path.basename(os.fspath(id_or_path))}' is not in the "
                               f"context '{self.name}'.")
        return record

    def thumbnail(self, image_id: int) -> bytes:
        """The image's JPEG thumbnail (>= 256 px long side, EXIF orientation applied)."""
        row = self.conn.execute("SELECT jpeg FROM thumbnails WHERE image_id=?",
                                 (int(image_id),)).fetchone()
        if row is None:
            raise ContextError(f"Image {image_id} has no thumbnail in '{self.name}'.")
        return bytes(row[0])

    def features(self, image_id: int) -> ImageFeatures:
        row = self.conn.execute("SELECT blob FROM features WHERE image_id=?",
                                 (int(image_id),)).fetchone()
        if row is None:
            raise ContextError(f"Image {image_id} has no features in '{self.name}'.")
        return ImageFeatures.from_bytes(bytes(row[0]))

    def skipped(self) -> list[SkippedFile]:
        return [SkippedFile(from_db(p), r) for p, r in self.conn.execute(
            "SELECT path, reason FROM skips WHERE context_id=? ORDER BY path", (self.id,))]

    # -- searching (see pairs.py and search.py)

    def scored_pairs(self, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None, workers: int | None = None) -> ScoredPairs:
        """Every pair scoring >= the floor (50), computed once and cached; incremental.

        Only pairs involving images new or changed since the last call are verified (on
        ``workers`` processes, default every core, when there are many). Raises
        :class:`~desktop_app.errors.Cancelled` on cancel; pairs verified so far are kept.
        """
        with self._lock:
            return pair_scoring.scored_pairs(self, progress=progress, cancel=cancel, workers=workers)

    def find_duplicates(self, *, threshold: float = 90.0, pairs: ScoredPairs | None = None,
                        progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                        workers: int | None = None) -> list[DuplicateCluster]:
        """Duplicate groups at ``threshold``, each around its original (no chaining).

        With ``pairs`` (from :meth:`scored_pairs`) this is pure in-memory regrouping.
        """
        if pairs is None:
            pairs = self.scored_pairs(progress=progress, cancel=cancel, workers=workers)
        return search.find_duplicates(self, threshold=threshold, pairs=pairs)

    def find_similar(self, reference: int | str | os.PathLike[str], *, threshold: float = 70.0,
                     max_count: int = 20) -> list[SimilarResult]:
        """Images similar to ``reference`` (an id, a path in the context, or any image file,
        which is analysed but not added), best first, at most ``max_count``."""
        return search.find_similar(self, reference, threshold=threshold, max_count=max_count)

    def compare(self, a: int | str | os.PathLike[str], b: int | str | os.PathLike[str]) -> Comparison:
        """Score and evidence for two images (ids, indexed paths or external files)."""
        return search.compare(self, a, b)

    # -- user decisions (never dropped by re-indexing)

    def mark_distinct(self, pairs: Iterable[tuple[int | str, int | str]]) -> list[DistinctDecision]:
        """Record "these two are not duplicates" (by content hash, so renames don't undo it)."""
        decided = now_iso()
        out: list[DistinctDecision] = []
        for x, y in pairs:
            ra, rb = self._record(x), self._record(y)
            if ra.content_hash == rb.content_hash:
                log.info("ignoring 'not duplicates' for byte-identical files %s, %s", ra.path, rb.path)
                continue
            if ra.content_hash > rb.content_hash:
                ra, rb = rb, ra
            out.append(DistinctDecision(ra.content_hash, rb.content_hash, ra.path, rb.path, decided))
        with transaction(self.conn) as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO distinct_pairs (context_id, hash_a, hash_b, path_a, path_b,"
                " decided_at) VALUES (?,?,?,?,?,?)",
                [(self.id, d.hash_a, d.hash_b, to_db(d.path_a), to_db(d.path_b), d.decided_at)
                 for d in out])
        return out

    def unmark_distinct(self, decisions: Iterable[DistinctDecision | tuple[str, str]]) -> None:
        rows = []
        for d in decisions:
            ha, hb = (d.hash_a, d.hash_b) if isinstance(d, DistinctDecision) else d
            rows.append((self.id, min(ha, hb), max(ha, hb)))
        with transaction(self.conn) as conn:
            conn.executemany("DELETE FROM distinct_pairs WHERE context_id=? AND hash_a=? AND hash_b=?",
                             rows)

    def distinct_decisions(self) -> list[DistinctDecision]:
        return [DistinctDecision(ha, hb, from_db(pa), from_db(pb), when)
                for ha, hb, pa, pb, when in self.conn.execute(
            "SELECT hash_a, hash_b, path_a, path_b, decided_at FROM distinct_pairs"
            " WHERE context_id=? ORDER BY decided_at, path_a", (self.id,))]

    def save_marks(self, marks: Mapping[str, str | None]) -> None:
        """Upsert path -> "keep"/"archive"; a None or "" value clears that path's mark."""
        sets, clears = [], []
        stamp = now_iso()
        for path, mark in marks.items():
            key = to_db(normalize_path(path))
            if not mark:
                clears.append((self.id, key))
            elif mark not in MARK_VALUES:
                raise ValueError(f"mark must be one of {sorted(MARK_VALUES)}, not {mark!r}")
            else:
                sets.append((self.id, key, mark, stamp))
        with transaction(self.conn) as conn:
            conn.executemany("INSERT OR REPLACE INTO marks (context_id, path, mark, updated)"
                             " VALUES (?,?,?,?)", sets)
            conn.executemany("DELETE FROM marks WHERE context_id=? AND path=?", clears)

    def load_marks(self) -> dict[str, str]:
        return {from_db(p): m for p, m in self.conn.execute(
            "SELECT path, mark FROM marks WHERE context_id=? ORDER BY path", (self.id,))}


def _is_searchable(context: SearchContext) -> SearchableContext:
    """Never called: mypy checks here that SearchContext is a SearchableContext."""
    return context

"""In-memory views of a context (records, content groups, ranks, the candidate index, scored
pairs), each valid for one ``generation`` of its images and patched or rebuilt on change."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Protocol

from desktop_app.context.blobs import blobs_by_id, index_blobs
from desktop_app.context.protocols import ContextDatabase
from desktop_app.context.records import IMAGE_COLUMNS, record_from_row
from desktop_app.context.schema import iter_chunks, transaction
from desktop_app.context.types import DistinctDecision, ImageRecord, ScoredPairs
from desktop_app.engine.grouping import original_rank_key, rank_positions
from desktop_app.engine.types import ImageFeatures

if TYPE_CHECKING:  # pragma: no cover
    from desktop_app.engine.index import SimilarityIndex

log = logging.getLogger(__name__)

PATCH_LIMIT = 2000           # changes applied to a cached SimilarityIndex in place; more: rebuild


class IndexedContext(Protocol):
    """What searching needs of a context (:class:`~desktop_app.context.search_context.SearchContext`)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def store(self) -> ContextDatabase: ...
    @property
    def cache(self) -> ContextCache: ...
    @property
    def conn(self) -> sqlite3.Connection: ...
    def generation(self) -> int: ...
    def image(self, image_id: int) -> ImageRecord: ...
    def image_by_path(self, path: str | os.PathLike[str]) -> ImageRecord | None: ...
    def features(self, image_id: int) -> ImageFeatures: ...
    def distinct_decisions(self) -> list[DistinctDecision]: ...


class ContextCache:
    """In-memory views of one context, each valid for one ``generation`` of its images."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[int, ImageRecord] | None = None
        self._records_gen = -1
        self._by_hash: dict[str, list[int]] | None = None
        self._rank: dict[int, int] | None = None
        self._index: SimilarityIndex | None = None
        self._index_gen = -1
        self._pairs: ScoredPairs | None = None
        self._pairs_gen = -1

    def records(self, ctx: "IndexedContext") -> dict[int, ImageRecord]:
        gen = ctx.generation()
        with self._lock:
            if self._records is None or self._records_gen != gen:
                rows = ctx.conn.execute(
                    f"SELECT {IMAGE_COLUMNS} FROM images WHERE context_id=?", (ctx.id,))
                self._records = {r[0]: record_from_row(r) for r in rows}
                self._records_gen = gen
                self._by_hash = None
                self._rank = None
            return self._records

    def records_generation(self) -> int:
        """The generation the cached records belong to (-1: none cached)."""
        with self._lock:
            return self._records_gen

    def by_hash(self, ctx: "IndexedContext") -> dict[str, list[int]]:
        records = self.records(ctx)
        with self._lock:
            if self._by_hash is None:
                groups: dict[str, list[int]] = {}
                for rec in records.values():
                    groups.setdefault(rec.content_hash, []).append(rec.id)
                self._by_hash = groups
            return self._by_hash

    def rank(self, ctx: "IndexedContext") -> dict[int, int]:
        """Position of each image by the default original rule (0 = best copy)."""
        records = self.records(ctx)
        with self._lock:
            if self._rank is None:
                self._rank = rank_positions({
                    i: original_rank_key(r.facts, size=r.size, mtime_ns=r.mtime_ns, path=r.path)
                    for i, r in records.items()})
            return self._rank

    def similarity_index(self, ctx: "IndexedContext") -> "SimilarityIndex":
        """The engine's candidate index over every image, built once by streaming the blobs."""
        from desktop_app.engine.index import SimilarityIndex

        gen = ctx.generation()
        with self._lock:
            if self._index is None or self._index_gen != gen:
                self._index = None  # never two indexes in memory (~3 KB per image each)
                started = time.monotonic()
                index = SimilarityIndex()
                index.reserve(int(ctx.conn.execute(
                    "SELECT COUNT(*) FROM images WHERE context_id=?", (ctx.id,)).fetchone()[0]))
                missing: list[int] = []
                probe: ImageFeatures | None = None
                for image_id, blob in ctx.conn.execute(
                        "SELECT i.id, x.blob FROM images i LEFT JOIN index_features x"
                        " ON x.image_id = i.id WHERE i.context_id=?", (ctx.id,)):
                    if blob is None:
                        missing.append(int(image_id))
                    else:
                        probe = ImageFeatures.from_bytes(bytes(blob))
                        index.add(int(image_id), probe)
                if missing:
                    backfill_index_features(ctx, index, missing)
                if probe is not None:
                    # One query now builds the engine's inverted index here (in the caller's
                    # worker thread), not in the user's first search (~3 s at 100,000 images).
                    index.candidates(probe, limit=1)
                self._index, self._index_gen = index, gen
                log.info("similarity index of %r: %d images in %.2f s", ctx.name, len(index),
                         time.monotonic() - started)
            return self._index

    def pairs(self, gen: int) -> ScoredPairs | None:
        with self._lock:
            return self._pairs if self._pairs_gen == gen else None

    def set_pairs(self, gen: int, pairs: ScoredPairs) -> None:
        with self._lock:
            self._pairs, self._pairs_gen = pairs, gen

    def apply(self, ctx: "IndexedContext", before: int, analysed: set[int], removed: set[int]) -> None:
        """Follow a change made through ``ctx``: patch the similarity index, drop the rest."""
        after = ctx.generation()
        with self._lock:
            if after == before:
                return
            self._records = self._by_hash = self._rank = None
            self._pairs = None
            small = len(analysed) + len(removed) <= PATCH_LIMIT
            if self._index is not None and self._index_gen == before and small:
                try:
                    for image_id in removed | analysed:
                        try:
                            self._index.remove(image_id)
                        except (LookupError, ValueError):  # KeyError is a LookupError
                            pass  # was not in the index (e.g. added by this very change)
                    for image_id, blob in index_blobs(ctx.conn, sorted(analysed)).items():
                        self._index.add(image_id, ImageFeatures.from_bytes(blob))
                    self._index_gen = after
                except Exception:  # any doubt: rebuild from the database next time
                    log.exception("couldn't update the similarity index in place; will rebuild")
                    self._index = None
            else:  # big changes: rebuilding from the compact slices is faster than patching
                self._index = None

    def invalidate(self) -> None:
        with self._lock:
            self._records = self._by_hash = self._rank = self._index = self._pairs = None


def backfill_index_features(ctx: "IndexedContext", index: "SimilarityIndex",
                             ids: list[int]) -> None:
    """Images indexed before schema 2 have no index slice yet: derive and store it once."""
    from desktop_app.context.analysis import index_view

    conn = ctx.conn
    for chunk in iter_chunks(ids, 500):
        slices = []
        for image_id, blob in blobs_by_id(conn, "features", chunk).items():
            feats = ImageFeatures.from_bytes(blob)  # blobs_by_id gives bytes and int ids
            index.add(image_id, feats)
            slices.append((image_id, index_view(feats).to_bytes()))
        with transaction(conn):
            conn.executemany("INSERT OR REPLACE INTO index_features (image_id, blob) VALUES (?, ?)",
                             slices)

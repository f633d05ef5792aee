"""Feature blobs by image id: the one chunked ``SELECT ... IN`` of the context.

The caches, find_similar and the pair verification workers (their own read-only connection)
all load features through :func:`blobs_by_id`.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable

from desktop_app.engine.types import FORMAT_VERSION

BLOB_TABLES = frozenset({"features", "index_features"})
IN_CHUNK = 500           # ids per ``IN (...)`` (SQLite bounds the number of parameters)
CURRENT_VERSION = bytes([FORMAT_VERSION])   # ``substr(blob, 4, 1)`` of a blob of the engine's format


def blobs_by_id(conn: sqlite3.Connection, table: str, ids: Iterable[int]) -> dict[int, bytes]:
    """``{image_id: blob}`` from ``table`` ("features" or "index_features") for ``ids``.

    The one chunked ``SELECT ... IN`` of the context: the caches, find_similar and the pair
    verification workers (their own read-only connection) all load features through it.
    """
    if table not in BLOB_TABLES:
        raise ValueError(f"not a feature table: {table!r}")
    wanted = list(ids)
    out: dict[int, bytes] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        part = wanted[start:start + IN_CHUNK]
        for image_id, blob in conn.execute(
                f"SELECT image_id, blob FROM {table} WHERE image_id IN ({','.join('?' * len(part))})",
                part):
            out[int(image_id)] = bytes(blob)
    return out


def index_blobs(conn: sqlite3.Connection, ids: list[int]) -> dict[int, bytes]:
    """The candidate-index slices of ``ids`` (full features where a slice is missing)."""
    out = blobs_by_id(conn, "index_features", ids)
    missing = [i for i in ids if i not in out]
    if missing:
        out.update(blobs_by_id(conn, "features", missing))
    return out


def outdated_feature_ids(conn: sqlite3.Connection, context_id: int) -> set[int]:
    """Images of the context whose stored features are an older format than the engine's
    (:data:`~desktop_app.engine.types.FORMAT_VERSION`, the 4th byte of every blob): analysing
    them again finds what the newer features can (bordered and mirrored copies, ...).

    Reads the version byte of the small candidate-index slice (full features only where the
    slice is missing): about 0.3 s for 200,000 images with a warm cache.
    """
    rows = conn.execute(
        "SELECT i.id FROM images i"
        " LEFT JOIN index_features x ON x.image_id = i.id"
        " LEFT JOIN features f ON f.image_id = i.id"
        " WHERE i.context_id = ? AND coalesce(x.blob, f.blob) IS NOT NULL"
        " AND substr(coalesce(x.blob, f.blob), 4, 1) <> ?",
        (context_id, CURRENT_VERSION))
    return {int(r[0]) for r in rows}

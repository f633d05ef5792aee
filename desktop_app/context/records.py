"""Rows of the context database as records: the images and folders of one context."""

from __future__ import annotations

import sqlite3
from typing import Any

from desktop_app.context.schema import from_db
from desktop_app.context.types import Folder, ImageRecord
from desktop_app.engine.types import ImageFacts

IMAGE_COLUMNS = ("id, path, root, size, mtime_ns, content_hash, width, height, format, lossless,"
                 " date_taken, camera, orientation, metadata_count")


def record_from_row(row: tuple[Any, ...]) -> ImageRecord:
    """Build an :class:`ImageRecord` from a row selected with :data:`IMAGE_COLUMNS`."""
    facts = ImageFacts(width=row[6], height=row[7], format=row[8], lossless=bool(row[9]),
                       date_taken=row[10], camera=row[11], orientation=row[12],
                       metadata_count=row[13])
    return ImageRecord(id=row[0], path=from_db(row[1]), root=from_db(row[2]), size=row[3],
                       mtime_ns=row[4],
                       content_hash=row[5], facts=facts)


def folders_of(conn: sqlite3.Connection, context_id: int) -> list[Folder]:
    """The library folders of one context, by path."""
    return [Folder(from_db(path), bool(protected)) for path, protected in conn.execute(
        "SELECT path, protected FROM folders WHERE context_id=? ORDER BY path", (context_id,))]

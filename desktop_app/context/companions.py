"""Companion files: the sidecars and videos that belong to a photo, found by their names.

A photographer's photo is rarely one file. Next to ``IMG_0001.CR2`` a raw developer writes its
edits (``IMG_0001.xmp`` — Lightroom, digiKam — or ``IMG_0001.CR2.xmp`` — darktable;
``.pp3`` RawTherapee, ``.dop`` DxO, ``.on1`` ON1), an iPhone writes ``IMG_0001.AAE`` and a Live
Photo's video ``IMG_0001.MOV``, some cameras a ``IMG_0001.THM`` thumbnail. Matching is
case-insensitive and by name only (nothing is opened):

* *stem style* ``<stem>.<ext>`` belongs to every photo of that stem in the folder — a RAW and its
  camera JPEG share ``IMG_0001.xmp``;
* *name style* ``<photo name>.<ext>`` (sidecars only) belongs to that one photo.

A sidecar no photo claims is an *orphan*: listed, never deleted. A lone ``.MOV`` is just a video,
not an orphan.

Companions are found at scan time and stored per context (:func:`refresh`, a derived cache
rebuilt by every scan); :class:`DiskCompanions` finds them from the folders as they are now (an
archive plan asks the disk, so a sidecar written after the scan still travels with its photo).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from typing import Iterable, Protocol

from desktop_app.context.scan import is_image_name, is_under, walk_images
from desktop_app.context.schema import from_db, iter_chunks, to_db, transaction

log = logging.getLogger(__name__)

#: Sidecar extensions (lower case) and their kind; both naming styles apply.
SIDECAR_KINDS: dict[str, str] = {
    ".xmp": "xmp", ".pp3": "pp3", ".dop": "dop", ".on1": "on1", ".aae": "aae", ".thm": "thm",
}
#: Videos of the same stem: a Live Photo's motion part. Stem style only.
VIDEO_KINDS: dict[str, str] = {".mov": "live"}
#: Sidecars that hold the user's edits (not a thumbnail, not a video).
EDIT_KINDS = frozenset({"xmp", "pp3", "dop", "on1", "aae"})
#: How a plan names each kind: "+ .xmp, .AAE, Live Photo video".
KIND_LABELS: dict[str, str] = {
    "xmp": ".xmp", "pp3": ".pp3", "dop": ".dop", "on1": ".on1", "aae": ".AAE", "thm": ".THM",
    "live": "Live Photo video",
}


@dataclass(frozen=True)
class Companion:
    """One companion file and every photo that claims it (two for a RAW+JPEG pair's sidecar;
    none for an orphan)."""

    path: str
    kind: str                       # a value of SIDECAR_KINDS / VIDEO_KINDS
    size: int
    mtime_ns: int
    photos: tuple[str, ...]         # absolute paths of the photos it belongs to

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


class CompanionSource(Protocol):
    """Where an archive plan learns each photo's companions."""

    def companions(self, photos: Iterable[str]) -> dict[str, tuple[Companion, ...]]:
        """Companions of each of ``photos`` (absolute paths), keyed by photo path."""
        ...


def kind_of(name: str) -> str | None:
    """The companion kind of a file name (``"xmp"``, ``"live"``...), or None."""
    ext = os.path.splitext(name)[1].lower()
    return SIDECAR_KINDS.get(ext) or VIDEO_KINDS.get(ext)


def is_companion_name(name: str) -> bool:
    return kind_of(name) is not None


def match_folder(names: Iterable[str]) -> dict[str, list[str]]:
    """For one folder's file names: every companion name -> the photo names claiming it
    (empty list: an orphan sidecar). Videos nobody claims are left out."""
    names = list(names)
    photos = [n for n in names if is_image_name(n)]
    by_name: dict[str, list[str]] = {}
    by_stem: dict[str, list[str]] = {}
    for p in photos:
        by_name.setdefault(p.casefold(), []).append(p)
        by_stem.setdefault(os.path.splitext(p)[0].casefold(), []).append(p)
    out: dict[str, list[str]] = {}
    for name in names:
        kind = kind_of(name)
        if kind is None:
            continue
        stem = os.path.splitext(name)[0].casefold()
        owners = list(by_stem.get(stem, ()))
        if kind in SIDECAR_KINDS.values():
            owners += [p for p in by_name.get(stem, ()) if p not in owners]
        if owners or kind != "live":
            out[name] = sorted(owners)
    return out


def _companions_in(folder: str, names: Iterable[str]) -> list[Companion]:
    found: list[Companion] = []
    for name, owners in match_folder(names).items():
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError as err:
            log.info("skipping companion %r: %s", path, err)
            continue
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        found.append(Companion(path, kind_of(name) or "", st.st_size, st.st_mtime_ns,
                               tuple(os.path.join(folder, p) for p in owners)))
    return found


class DiskCompanions:
    """:class:`CompanionSource` reading the photos' folders as they are now."""

    def companions(self, photos: Iterable[str]) -> dict[str, tuple[Companion, ...]]:
        wanted = {os.path.normcase(p): p for p in photos}
        folders = sorted({os.path.dirname(p) for p in wanted.values()})
        out: dict[str, list[Companion]] = {p: [] for p in wanted.values()}
        for folder in folders:
            try:
                names = os.listdir(folder)
            except OSError as err:
                log.info("can't list %r for companions: %s", folder, err)
                continue
            for companion in _companions_in(folder, names):
                for photo in companion.photos:
                    key = wanted.get(os.path.normcase(photo))
                    if key is not None:
                        out[key].append(companion)
        return {p: tuple(sorted(cs, key=lambda c: c.path)) for p, cs in out.items()}


# --- storage (derived cache, rebuilt by each scan) -------------------------------------------------
def scan_companions(roots: Iterable[str]) -> list[Companion]:
    """Walk ``roots`` (same rules as the image scan) and return every companion and orphan."""
    by_folder: dict[str, list[str]] = {}
    for item in walk_images(roots, accept=lambda n: is_image_name(n) or is_companion_name(n)):
        by_folder.setdefault(os.path.dirname(item.path), []).append(os.path.basename(item.path))
    found: list[Companion] = []
    for folder, names in by_folder.items():
        if any(is_companion_name(n) for n in names):
            found.extend(_companions_in(folder, names))
    return found


def refresh(conn: sqlite3.Connection, context_id: int, roots: list[str]) -> int:
    """Re-find the context's companions under ``roots`` and store them; rows under a folder
    that is not there now (unplugged drive) are kept. Returns how many companions were found."""
    found = scan_companions(roots)
    offline = [r for r in roots if not os.path.isdir(r)]
    with transaction(conn):
        rows = conn.execute("SELECT path FROM companions WHERE context_id=?", (context_id,)).fetchall()
        stale = {from_db(p) for (p,) in rows}
        stale = {p for p in stale if not any(is_under(p, r) for r in offline)}
        conn.executemany("DELETE FROM companions WHERE context_id=? AND path=?",
                         [(context_id, to_db(p)) for p in stale])
        conn.executemany(
            "INSERT OR REPLACE INTO companions (context_id, path, photo, kind, size, mtime_ns) VALUES (?,?,?,?,?,?)",
            [(context_id, to_db(c.path), to_db(photo), c.kind, c.size, c.mtime_ns)
             for c in found for photo in (c.photos or ("",))],
        )
    return len(found)


Row = tuple["str | bytes", "str | bytes", str, int, int]   # path, photo, kind, size, mtime_ns


def _from_rows(rows: Iterable[Row]) -> list[Companion]:
    merged: dict[str, Companion] = {}
    for path_v, photo_v, kind, size, mtime_ns in rows:
        path, photo = from_db(path_v), from_db(photo_v)
        old = merged.get(path)
        photos = (old.photos if old else ()) + ((photo,) if photo else ())
        merged[path] = Companion(path, str(kind), int(size), int(mtime_ns), tuple(sorted(set(photos))))
    return sorted(merged.values(), key=lambda c: c.path)


def stored(conn: sqlite3.Connection, context_id: int) -> list[Companion]:
    """Every companion found by the last scan (orphans have no photos)."""
    return _from_rows(conn.execute(
        "SELECT path, photo, kind, size, mtime_ns FROM companions WHERE context_id=?", (context_id,)))


def orphans(conn: sqlite3.Connection, context_id: int) -> list[Companion]:
    """Sidecars whose photo is gone (as of the last scan, minus files archived since)."""
    return [c for c in stored(conn, context_id) if not c.photos]


def forget(conn: sqlite3.Connection, context_id: int, paths: Iterable[str], *, chunk: int = 500) -> None:
    """``paths`` left the library (archived with their photos): drop them as photos and as
    companions, so they are not listed as orphans."""
    wanted = [to_db(p) for p in paths]
    with transaction(conn):
        for part in iter_chunks(wanted, chunk):
            marks = ",".join("?" * len(part))
            conn.execute(f"DELETE FROM companions WHERE context_id=? AND (path IN ({marks}) OR photo IN ({marks}))",
                         (context_id, *part, *part))


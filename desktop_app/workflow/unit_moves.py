"""Carrying out one unit of an archive plan — a photo and its companion files — all or nothing.

Each file is re-checked right before it moves (:func:`precheck`: a regular file, not a symlink,
still inside its library root, same size + mtime; then one read for the content hash). One file
that fails keeps its whole unit in place. The unit's intents are journaled (fsynced) before its
first file moves; a file that then can't be moved makes the files that had moved go back
(journaled ``failed``), so a unit is never left split by an error — and recovery rejoins one a
crash split (:mod:`desktop_app.workflow.recovery`).
"""

from __future__ import annotations

import errno
import logging
import os
import stat as stat_mod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Container, Protocol, Sequence

from desktop_app.errors import ArchiveError
from desktop_app.workflow.fileops import fault_point, hash_file, move_file, unique_destination
from desktop_app.workflow.journal import OperationJournal
from desktop_app.workflow.move_steps import STOP_ERRNOS, copied_recorder
from desktop_app.workflow.paths import is_inside, relative_to_root
from desktop_app.workflow.trash import TrashBackend, forget_trash_info
from desktop_app.workflow.units import UnitEntry, companion_place

log = logging.getLogger(__name__)


class MovingEntry(UnitEntry, Protocol):
    """What moving needs of a plan entry (``archive.PlanEntry``): a unit's entry and what the
    re-check, the journal and the log need of it."""

    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def root(self) -> str: ...
    @property
    def group(self) -> int: ...
    @property
    def similarity(self) -> float: ...
    @property
    def chosen_by(self) -> str: ...
    @property
    def image_id(self) -> int: ...
    @property
    def relation(self) -> str: ...


@dataclass(frozen=True)
class MovedFile:
    """One file an archive moved (or, in a dry run, would move)."""

    source: str
    place: str | None           # archive path or trash location (None: trash didn't tell)
    size: int
    method: str                 # rename | copy | trash
    companion_of: str = ""      # a companion file: its photo


def precheck(entry: MovingEntry) -> str | None:
    """Why ``entry`` must not move now (user-facing reason), or None when it is safe."""
    name = os.path.basename(entry.source)
    try:
        st = os.lstat(entry.source)
    except FileNotFoundError:
        return f"'{name}' is no longer there"
    except OSError as err:
        return f"Couldn't read '{name}': {err.strerror}"
    if stat_mod.S_ISLNK(st.st_mode):
        return f"'{name}' is a symbolic link; only real files are archived"
    if not stat_mod.S_ISREG(st.st_mode):
        return f"'{name}' is not a regular file"
    if entry.root and not is_inside(entry.source, entry.root):
        return f"'{name}' resolves outside its library folder (a linked folder)"
    if st.st_size != entry.size or st.st_mtime_ns != entry.mtime_ns:
        return f"'{name}' changed since it was reviewed"
    return None


def verify(entry: MovingEntry) -> tuple[str | None, os.stat_result | None, str]:
    """:func:`precheck`, then one read for the SHA-256 and the indexed-hash check: (why it
    must not move or None, its lstat — a rename keeps it, so recovery recognises the file —,
    SHA-256). The dry run and the real run ask exactly the same questions."""
    reason = precheck(entry)
    if reason is not None:
        return reason, None, ""
    name = os.path.basename(entry.source)
    try:
        ident = os.lstat(entry.source)
        sha, same = hash_file(entry.source, indexed=entry.content_hash or None)
    except OSError as err:
        return f"Couldn't read '{name}': {err.strerror}", None, ""
    if not same:
        return f"'{name}' changed since it was reviewed", ident, sha
    return None, ident, sha


def place_for(entry: MovingEntry, folder: str, *, reserved: Container[str] = frozenset()) -> Path:
    """``entry``'s mirror place under the archive ``folder`` (its path relative to its library
    folder), suffixed if something stands there or another operation reserved it."""
    rel = relative_to_root(entry.source, entry.root)
    return unique_destination(Path(folder) / rel, reserved=reserved)


@dataclass
class UnitOutcome:
    """What moving one unit came to: its files moved (and their "done" records, written by the
    caller once the folders are flushed), or why it stayed."""

    moved: list[MovedFile] = field(default_factory=list)
    done: list[dict[str, Any]] = field(default_factory=list)      # "done" records to write
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None


Checked = list[tuple[MovingEntry, os.stat_result, str]]   # entry, its lstat, its SHA-256


#: A further check of one file right before it moves: why it must not, or None.
ExtraCheck = Callable[[MovingEntry, os.stat_result], "str | None"]


def verify_unit(unit: Sequence[MovingEntry], also: ExtraCheck | None = None) -> tuple[Checked, list[tuple[str, str]] | None]:
    """:func:`verify` (and ``also``) for every file of ``unit``: (entry, lstat, SHA-256) of
    each, and None when all may move, else (path, reason) for each of them — one file that
    must not move keeps its whole unit in place."""
    checked: Checked = []
    for entry in unit:
        why, ident, sha = verify(entry)
        if why is None and ident is not None and also is not None:
            why = also(entry, ident)
        if why is not None or ident is None:
            name, culprit = os.path.basename(entry.source), entry.source
            return checked, [(e.source, why or "") if e.source == culprit else
                             (e.source, f"'{os.path.basename(e.source)}' stays with '{name}': {why}")
                             for e in unit]
        checked.append((entry, ident, sha))
    return checked, None


def places_for(unit: Sequence[MovingEntry], folder: str | None, reserved: set[str]) -> dict[str, str]:
    """Where each file of ``unit`` goes now (``folder`` None: the trash): photos to their mirror
    path, companions beside their photo under the photo's (possibly suffixed) name."""
    if folder is None:
        return {e.source: "trash" for e in unit}
    places: dict[str, str] = {}
    taken: set[str] = set()
    for entry in sorted(unit, key=lambda e: bool(e.companion_of)):
        busy = reserved | {os.path.normcase(t) for t in taken}
        if entry.companion_of and entry.companion_of in places:
            wanted = companion_place(entry.source, entry.companion_of, places[entry.companion_of])
            place = str(unique_destination(wanted, reserved=busy))
        else:
            place = str(place_for(entry, folder, reserved=busy))
        places[entry.source] = place
        taken.add(place)
    return places


def move_unit(unit: Sequence[MovingEntry], first: int, folder: str | None, journal: OperationJournal,
              trash: TrashBackend | None, reserved: set[str], dirty: set[str],
              also: ExtraCheck | None = None) -> UnitOutcome:
    """Re-check, journal and move one unit (its entries' seqs start at ``first``) to the
    archive ``folder`` or, if None, the ``trash``: all its files, or none (moved back on failure)."""
    out = UnitOutcome()
    to_trash = folder is None
    checked, refused = verify_unit(unit, also)
    if refused is not None:
        out.skipped = refused
        return out
    places = places_for(unit, folder, reserved)
    for n, (entry, ident, sha) in enumerate(checked):
        journal.write(
            "intent", sync=False, seq=first + n, source=entry.source, destination=places[entry.source],
            method="trash" if to_trash else "move", size=entry.size, mtime_ns=entry.mtime_ns,
            content_hash=entry.content_hash, sha256=sha, group=entry.group,
            similarity=entry.similarity, chosen_by=entry.chosen_by, image_id=entry.image_id,
            relation=entry.relation, root=entry.root, src_dev=ident.st_dev, src_ino=ident.st_ino,
            unit=entry.unit, companion_of=entry.companion_of, kind=entry.kind,
        )
    journal.sync()  # every intent of the unit is on disk before its first file moves
    fault_point("after-intent")
    done: list[tuple[int, MovingEntry, str | None, str, str]] = []   # (seq, entry, place, method, sha)
    for n, (entry, _, sha) in enumerate(checked):
        seq, name, dest = first + n, os.path.basename(entry.source), places[entry.source]
        try:
            if folder is None:
                assert trash is not None
                place, method = trash.move_to_trash(entry.source), "trash"
                dirty.add(os.path.dirname(entry.source))
            else:
                method = move_file(
                    entry.source, dest, sha256=sha, dirty=dirty, owner=f"{journal.id}.{seq}",
                    on_copied=copied_recorder(journal, seq, sha), create_below=folder,
                )
                place = dest
        except (OSError, ArchiveError) as err:
            message = message_for(err, name)
            stop = isinstance(err, OSError) and err.errno in STOP_ERRNOS
            _fail_unit(unit, first, n, message, done, journal, dirty, out)
            out.stopped = message if stop else None
            return out
        except Exception as err:  # noqa: BLE001 - a trash backend (Qt, send2trash) may raise anything
            # Never let a backend's bug escape: that would leave the operation "interrupted"
            # until the next start. Settle this file from what is on disk, then go on.
            log.exception("archiving %s failed", entry.source)
            settled = _after_unexpected(entry, dest, to_trash, err, name)
            if isinstance(settled, str):
                _fail_unit(unit, first, n, settled, done, journal, dirty, out)
                return out
            place, method = settled
            dirty.add(os.path.dirname(entry.source))
        done.append((seq, entry, place, method, sha))
        fault_point("after-move")
    for seq, entry, place, method, _ in done:
        out.moved.append(MovedFile(entry.source, place, entry.size, method, entry.companion_of))
        out.done.append({"seq": seq, "place": place, "method": method})
    return out


def _fail_unit(unit: Sequence[MovingEntry], first: int, failed: int, message: str,
               done: list[tuple[int, MovingEntry, str | None, str, str]], journal: OperationJournal,
               dirty: set[str], out: UnitOutcome) -> None:
    """File ``failed`` of ``unit`` couldn't move: move back those that had (journaled ``failed``,
    back in place), record the rest as failed too, so the unit stays whole in the library."""
    culprit = os.path.basename(unit[failed].source)
    for seq, entry, place, method, sha in reversed(done):
        name = os.path.basename(entry.source)
        try:
            if not place:
                raise ArchiveError(f"'{name}' went to the system trash, which didn't say where")
            move_file(place, entry.source, sha256=sha, dirty=dirty, owner=f"{journal.id}.{seq}.back",
                      create_below=entry.root or None)
            if method == "trash":
                forget_trash_info(place)
        except (OSError, ArchiveError) as err:
            # Can't put it back: it stays archived (recorded as done); say the unit is split.
            out.moved.append(MovedFile(entry.source, place, entry.size, method, entry.companion_of))
            out.done.append({"seq": seq, "place": place, "method": method})
            out.errors.append((entry.source, f"'{name}' was archived but its companion '{culprit}' "
                                             f"wasn't, and it couldn't be put back ({getattr(err, 'strerror', None) or err})"))
            continue
        journal.write("failed", seq=seq, reason=f"moved back: '{culprit}' of its unit couldn't move")
    for n, entry in enumerate(unit):
        if n < failed:
            continue
        journal.write("failed", seq=first + n, reason=message if n == failed else f"stays with '{culprit}'")
    out.errors.append((unit[failed].source, message))
    out.errors.extend((e.source, f"'{os.path.basename(e.source)}' stays with '{culprit}': {message}")
                      for n, e in enumerate(unit) if n != failed)


def _after_unexpected(entry: MovingEntry, dest: str, to_trash: bool, err: Exception, name: str) -> str | tuple[str | None, str]:
    """After an unexpected exception moving ``entry``: the file's error message if it is still
    in place, else (place, method) of where it went (the backend moved it and then failed)."""
    if os.path.lexists(entry.source):
        reason = str(err).strip().rstrip(".") or type(err).__name__
        where = "the system trash failed" if to_trash else "the move failed"
        return f"Couldn't archive '{name}': {where} ({reason})"
    if to_trash:
        return None, "trash"   # gone from its place: in the trash, location unknown (as send2trash)
    if os.path.lexists(dest):
        return dest, "move"
    return f"Couldn't archive '{name}': it left its folder but didn't reach the archive ({err})"


def message_for(err: BaseException, name: str) -> str:
    if isinstance(err, ArchiveError):
        return str(err)
    assert isinstance(err, OSError)
    if err.errno == errno.ENOSPC:
        return f"Couldn't archive '{name}': the destination disk is full; archiving stopped"
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"Couldn't archive '{name}': permission denied"
    if err.errno == errno.EEXIST:
        return f"Couldn't archive '{name}': a file appeared at its archive place"
    return f"Couldn't archive '{name}': {err.strerror or err}"

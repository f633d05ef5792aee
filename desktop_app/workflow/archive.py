"""Archive plans and carrying them out: the only place files leave the library.

``plan_archive`` turns the marks of a review into an :class:`ArchivePlan` the user confirms
(files, bytes freed, destination per file) — the plan itself is the dry run. ``execute`` carries
it out unit by unit — a photo with its companion files (:mod:`desktop_app.workflow.units`:
sidecars, Live Photo video), all of which move or none — each file:

1. re-checked right before it moves (regular file, not a symlink, still inside its library
   root, same size + mtime + content hash as indexed) — a changed file is skipped and reported;
2. written to the journal as an ``intent`` (fsynced) — see :mod:`desktop_app.workflow.journal`;
3. moved without ever overwriting (atomic rename, or verified copy across filesystems), or
   handed to the trash backend;
4. written to the journal as ``done``.

A unit whose file fails its re-check is skipped whole; a unit whose file can't be moved is
moved back whole (the files that had moved are journaled as ``failed``, back in place).

A full disk (or read-only/failed device) stops the operation cleanly; a file that can't be
moved (permission denied, name too long...) is skipped with its reason; nothing is left half
done. Permanent deletion is not offered.
"""

from __future__ import annotations

import errno
import logging
import os
import stat as stat_mod
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Container, Iterable, Sequence

from desktop_app.context.protocols import LibraryContext
from desktop_app.context.companions import CompanionSource, DiskCompanions
from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.errors import ArchiveError, Cancelled
from desktop_app.workflow.fileops import fault_point, fsync_dir, hash_file, move_file, unique_destination
from desktop_app.workflow.paths import is_inside, overlaps, relative_to_root, write_archive_marker
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.information_loss import information_loss
from desktop_app.workflow.journal import ArchiveLog, now_iso
from desktop_app.workflow.move_steps import STOP_ERRNOS, copied_recorder, forget_in_context
from desktop_app.workflow.recovery import RecoveryReport, recover
from desktop_app.workflow.trash import TrashBackend, default_trash, forget_trash_info
from desktop_app.workflow.units import attach_companions, companion_place, group_units

log = logging.getLogger(__name__)

#: "done" records are made durable in batches of this many files, or this often.
FLUSH_EVERY = 64
FLUSH_SECONDS = 1.0


@dataclass(frozen=True)
class ArchiveFolder:
    """Move files under ``path``, keeping each one's path relative to its library root."""

    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class Trash:
    """Move files to the system trash (the backend is passed to :func:`execute`)."""

    def __str__(self) -> str:
        return "trash"


Destination = ArchiveFolder | Trash


@dataclass(frozen=True)
class PlanEntry:
    source: str
    destination: str            # proposed place ("trash" for the trash); re-resolved at execution
    size: int
    mtime_ns: int
    content_hash: str           # as indexed
    root: str
    group: int
    similarity: float
    chosen_by: str              # "rule:<name>", "hand", "default", "saved"
    image_id: int = -1
    unit: int = -1              # files of one unit (a photo + its companions) move together
    companion_of: str = ""      # a companion file: the photo it belongs to ("" for a photo)
    kind: str = ""              # a companion's kind ("xmp", "aae", "live"...)
    loses: tuple[str, ...] = ()  # what only this copy has (information-loss guard); () if nothing


@dataclass(frozen=True)
class ArchivePlan:
    """What will move where. Confirm it, then :func:`execute` it."""

    entries: tuple[PlanEntry, ...]
    destination: Destination
    refused: tuple[tuple[str, str], ...] = ()   # (path, reason) marked but never to be archived
    created: str = field(default_factory=now_iso)
    staying: tuple[tuple[str, str], ...] = ()   # (companion, reason): stays, shared with a keeper

    @property
    def files(self) -> int:
        """Photos to archive (their companions travel along: :attr:`companions`)."""
        return sum(1 for e in self.entries if not e.companion_of)

    @property
    def companions(self) -> int:
        return sum(1 for e in self.entries if e.companion_of)

    @property
    def flagged(self) -> tuple[PlanEntry, ...]:
        """Photos only this copy carries something of (GPS, edits, more pixels...)."""
        return tuple(e for e in self.entries if e.loses)

    def without(self, sources: Iterable[str], reason: str) -> "ArchivePlan":
        """This plan with the units of ``sources`` kept in the library instead (listed in
        ``refused`` with ``reason``) — e.g. the copies the information-loss guard flagged."""
        drop = set(sources)
        units = {e.unit for e in self.entries if e.source in drop and e.unit >= 0}
        gone = [e for e in self.entries if e.source in drop or (e.unit >= 0 and e.unit in units)]
        return ArchivePlan(
            entries=tuple(e for e in self.entries if e not in gone), destination=self.destination,
            refused=self.refused + tuple((e.source, reason) for e in gone if not e.companion_of),
            created=self.created, staying=self.staying,
        )

    @property
    def bytes_freed(self) -> int:
        return sum(e.size for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": str(self.destination),
            "files": self.files,
            "companions": self.companions,
            "bytes_freed": self.bytes_freed,
            "entries": [
                {"source": e.source, "destination": e.destination, "size": e.size, "group": e.group,
                 "similarity": round(e.similarity, 1), "chosen_by": e.chosen_by,
                 "companions": [{"source": c.source, "destination": c.destination, "kind": c.kind, "size": c.size}
                                for c in self.entries if c.companion_of == e.source],
                 "loses": list(e.loses)}
                for e in self.entries if not e.companion_of
            ],
            "refused": [{"path": p, "reason": r} for p, r in self.refused],
            "companions_staying": [{"path": p, "reason": r} for p, r in self.staying],
        }


@dataclass(frozen=True)
class MovedFile:
    source: str
    place: str | None           # archive path or trash location (None: trash didn't tell)
    size: int
    method: str                 # rename | copy | trash
    companion_of: str = ""      # a companion file: its photo


@dataclass(frozen=True)
class ArchiveResult:
    operation_id: str | None
    moved: tuple[MovedFile, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()   # (path, reason): not touched
    errors: tuple[tuple[str, str], ...] = ()    # (path, message): not moved, still in place
    stopped: str | None = None                  # why the operation stopped early, if it did
    cancelled: bool = False
    dry_run: bool = False
    recovery: RecoveryReport | None = None    # interrupted operations settled before starting

    @property
    def bytes_freed(self) -> int:
        return sum(m.size for m in self.moved)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation_id,
            "dry_run": self.dry_run,
            "moved": [{"source": m.source, "place": m.place, "size": m.size, "method": m.method,
                       "companions": [{"source": c.source, "place": c.place, "size": c.size}
                                      for c in self.moved if c.companion_of == m.source]}
                      for m in self.moved if not m.companion_of],
            "bytes_freed": self.bytes_freed,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "errors": [{"path": p, "message": r} for p, r in self.errors],
            "stopped": self.stopped,
            "cancelled": self.cancelled,
            "recovered": None if self.recovery is None else {
                "operations": list(self.recovery.operations), "missing": list(self.recovery.missing),
                "conflicts": [{"path": p, "reason": r} for p, r in self.recovery.conflicts],
            },
        }


# --- planning ------------------------------------------------------------------------------------
def _groups_of(source: Any) -> list[DuplicateGroup]:
    if hasattr(source, "current_groups"):
        return list(source.current_groups)
    return list(source)


def plan_archive(
    source: Any,
    destination: Destination | str | os.PathLike[str],
    *,
    roots: Iterable[str] = (),
    companions: CompanionSource | None = None,
    guard: bool = True,
) -> ArchivePlan:
    """The plan for every member marked ARCHIVE in ``source`` (a ReviewSession or groups).

    Each photo's companion files join it as one unit (found by ``companions``, default: the
    folders as they are now); with ``guard``, each photo that alone carries something its
    group's keepers don't (GPS, edits, more pixels...) is flagged (``entry.loses``).

    A file that is kept in any group, sits in a protected folder, or belongs to a group with no
    kept member is refused (listed in ``plan.refused``), whatever its mark. An archive folder
    inside a library root (``roots`` plus each member's root) is refused with ArchiveError: a
    re-scan would find the archived files again.
    """
    if not isinstance(destination, (ArchiveFolder, Trash)):
        destination = ArchiveFolder(os.fspath(destination))
    if isinstance(destination, ArchiveFolder):
        destination = ArchiveFolder(os.path.abspath(os.path.expanduser(destination.path)))
    groups = _groups_of(source)
    all_roots = set(roots) | {m.root for g in groups for m in g.members if m.root}
    if isinstance(destination, ArchiveFolder):
        for root in sorted(all_roots):
            if overlaps(destination.path, root):
                raise ArchiveError(
                    f"The archive folder '{destination.path}' must be outside the library folder '{root}'"
                )
    kept = {m.path for g in groups for m in g.members if m.mark is Mark.KEEP}
    entries: list[PlanEntry] = []
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    taken: set[str] = set()
    for group in groups:
        has_keeper = bool(group.kept)
        for m in group.archived:
            if m.path in seen:
                continue
            seen.add(m.path)
            if m.protected:
                refused.append((m.path, "in a protected folder"))
            elif not has_keeper:
                refused.append((m.path, "no other file of its group is kept"))
            elif m.path in kept:
                refused.append((m.path, "kept in another group"))
            else:
                if isinstance(destination, ArchiveFolder):
                    dest = str(unique_destination(Path(destination.path) / m.relative_path, taken=taken))
                    taken.add(dest)
                else:
                    dest = "trash"
                entries.append(
                    PlanEntry(
                        source=m.path, destination=dest, size=m.size, mtime_ns=m.mtime_ns,
                        content_hash=m.content_hash, root=m.root, group=group.index,
                        similarity=m.similarity, chosen_by=m.chosen_by, image_id=m.image_id,
                    )
                )
    finder = companions or DiskCompanions()
    units, staying = attach_companions(entries, finder, to_trash=isinstance(destination, Trash), taken=taken)
    if guard:
        losses = information_loss(groups, units, companions=finder)
        units = [replace(e, loses=losses[e.source]) if e.source in losses else e for e in units]
    return ArchivePlan(entries=tuple(units), destination=destination, refused=tuple(refused),
                       staying=tuple(staying))


# --- carrying out --------------------------------------------------------------------------------
def precheck(entry: PlanEntry) -> str | None:
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


def _verify(entry: PlanEntry) -> tuple[str | None, os.stat_result | None, str]:
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


def _place_for(entry: PlanEntry, destination: ArchiveFolder, *, reserved: Container[str] = frozenset()) -> Path:
    rel = relative_to_root(entry.source, entry.root)
    return unique_destination(Path(destination.path) / rel, reserved=reserved)


def _report(progress: ProgressFn | None, done: int, total: int, current: str, start: float) -> None:
    if progress is None:
        return
    progress(Progress.since(start, done, total, current))


def execute(
    plan: ArchivePlan,
    *,
    log_dir: str | os.PathLike[str] | ArchiveLog,
    trash: TrashBackend | None = None,
    context: LibraryContext | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    dry_run: bool = False,
) -> ArchiveResult:
    """Carry out ``plan``; every step journaled in ``log_dir`` (the context's data_dir).

    ``dry_run`` re-checks every file and reports what would move, touching nothing. With a
    ``context``, archived files are forgotten by it (they leave the groups).

    Operations a crash interrupted are settled first (``result.recovery``): a new operation
    never starts beside an unsettled one, and never picks a place another operation's
    unsettled intent names (one running in another window, say).
    """
    archive_log = log_dir if isinstance(log_dir, ArchiveLog) else ArchiveLog(log_dir)
    if isinstance(plan.destination, ArchiveFolder):
        _ensure_archive_folder(plan.destination.path, create=not dry_run)
        if not dry_run and plan.entries:
            write_archive_marker(plan.destination.path)  # scanners skip it; it's never a library
    recovery = None
    reserved: set[str] = set()
    if not dry_run and archive_log.interrupted():
        try:
            recovery = recover(archive_log, context=context, trash=trash)
        except OSError as err:
            raise ArchiveError(
                f"Couldn't settle an interrupted archive operation ({err.strerror or err}); nothing was moved"
            ) from err
        reserved = archive_log.unsettled_destinations()  # what is left is running elsewhere
    to_trash = isinstance(plan.destination, Trash)
    folder = plan.destination if isinstance(plan.destination, ArchiveFolder) else None
    if to_trash and trash is None and not dry_run:
        trash = default_trash()
    moved: list[MovedFile] = []
    skipped: list[tuple[str, str]] = list(plan.refused)
    errors: list[tuple[str, str]] = []
    stopped: str | None = None
    cancelled = False
    total, start = len(plan.entries), time.monotonic()

    if dry_run:
        done = 0
        for unit in group_units(plan.entries):
            _, refused = _verify_unit(unit)
            if refused is None:
                places = _places(unit, plan.destination, set())
                moved.extend(MovedFile(e.source, places[e.source], e.size, "trash" if to_trash else "dry-run",
                                       e.companion_of) for e in unit)
            else:
                skipped.extend(refused)
            done += len(unit)
            _report(progress, done, total, unit[0].source, start)
        return ArchiveResult(None, tuple(moved), tuple(skipped), dry_run=True)

    journal = archive_log.begin("archive", destination=str(plan.destination), files=total, bytes=plan.bytes_freed)
    # "done" records wait in memory until the folders they changed are fsynced, in batches: one
    # fsync per file (its intent) instead of four, and a "done" on disk is always true. A crash
    # loses only pending "done" records, which recovery rebuilds from what is on disk.
    pending: list[dict[str, Any]] = []
    dirty: set[str] = set()
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        for folder in sorted(dirty):
            fsync_dir(folder)
        dirty.clear()
        for record in pending:
            journal.write("done", sync=False, **record)
        if pending:
            journal.sync()
        pending.clear()
        last_flush = time.monotonic()

    try:
        for path, reason in plan.refused:
            journal.write("skipped", source=path, reason=reason)
        seq = 0
        for unit in group_units(plan.entries):
            first, seq = seq, seq + len(unit)
            _report(progress, first, total, unit[0].source, start)
            try:
                if cancel is not None:
                    cancel.check()
            except Cancelled:
                cancelled = True
                break
            outcome = _move_unit(unit, first, plan, journal, trash, reserved, dirty)
            for source, reason in outcome.skipped:
                journal.write("skipped", source=source, reason=reason)
            skipped.extend(outcome.skipped)
            errors.extend(outcome.errors)
            # Counted before the "done" records: if writing them fails, the files have still
            # moved (recovery at next start completes the journal from what is on disk).
            moved.extend(outcome.moved)
            pending.extend(outcome.done)
            if outcome.stopped:
                stopped = outcome.stopped
                break
            if len(pending) >= FLUSH_EVERY or time.monotonic() - last_flush > FLUSH_SECONDS:
                flush()
        flush()
        status = "cancelled" if cancelled else "stopped" if stopped else "complete"
        journal.write("end", status=status)
    except OSError as err:
        # The journal itself can't be written (its disk is full...): stop before any further move.
        stopped = f"Couldn't write the archive journal: {err.strerror or err}; archiving stopped"
        log.error(stopped)
    finally:
        journal.close()
    _report(progress, total, total, "", start)
    if context is not None and moved:
        forget_in_context(context, [m.source for m in moved])
    log.info("archive %s: %d moved, %d skipped, %d errors", journal.id, len(moved), len(skipped), len(errors))
    return ArchiveResult(journal.id, tuple(moved), tuple(skipped), tuple(errors), stopped, cancelled, recovery=recovery)


@dataclass
class _UnitOutcome:
    moved: list[MovedFile] = field(default_factory=list)
    done: list[dict[str, Any]] = field(default_factory=list)      # "done" records to write
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None


Checked = list[tuple[PlanEntry, os.stat_result, str]]   # entry, its lstat, its SHA-256


def _verify_unit(unit: Sequence[PlanEntry]) -> tuple[Checked, list[tuple[str, str]] | None]:
    """:func:`_verify` for every file of ``unit``: (entry, lstat, SHA-256) of each, and None
    when all may move, else (path, reason) for each of them — one changed file keeps its whole
    unit in place."""
    checked: Checked = []
    for entry in unit:
        why, ident, sha = _verify(entry)
        if why is not None or ident is None:
            name, culprit = os.path.basename(entry.source), entry.source
            return checked, [(e.source, why or "") if e.source == culprit else
                             (e.source, f"'{os.path.basename(e.source)}' stays with '{name}': {why}")
                             for e in unit]
        checked.append((entry, ident, sha))
    return checked, None


def _places(unit: Sequence[PlanEntry], destination: Destination, reserved: set[str]) -> dict[str, str]:
    """Where each file of ``unit`` goes now: photos to their mirror path, companions beside their
    photo under the photo's (possibly suffixed) name."""
    if isinstance(destination, Trash):
        return {e.source: "trash" for e in unit}
    places: dict[str, str] = {}
    taken: set[str] = set()
    for entry in sorted(unit, key=lambda e: bool(e.companion_of)):
        busy = reserved | {os.path.normcase(t) for t in taken}
        if entry.companion_of and entry.companion_of in places:
            wanted = companion_place(entry.source, entry.companion_of, places[entry.companion_of])
            place = str(unique_destination(wanted, reserved=busy))
        else:
            place = str(_place_for(entry, destination, reserved=busy))
        places[entry.source] = place
        taken.add(place)
    return places


def _move_unit(unit: Sequence[PlanEntry], first: int, plan: ArchivePlan, journal: Any,
               trash: TrashBackend | None, reserved: set[str], dirty: set[str]) -> _UnitOutcome:
    """Re-check, journal and move one unit: all its files, or none (moved back on failure)."""
    out = _UnitOutcome()
    folder = plan.destination if isinstance(plan.destination, ArchiveFolder) else None
    to_trash = folder is None
    checked, refused = _verify_unit(unit)
    if refused is not None:
        out.skipped = refused
        return out
    places = _places(unit, plan.destination, reserved)
    for n, (entry, ident, sha) in enumerate(checked):
        journal.write(
            "intent", sync=False, seq=first + n, source=entry.source, destination=places[entry.source],
            method="trash" if to_trash else "move", size=entry.size, mtime_ns=entry.mtime_ns,
            content_hash=entry.content_hash, sha256=sha, group=entry.group,
            similarity=entry.similarity, chosen_by=entry.chosen_by, image_id=entry.image_id,
            root=entry.root, src_dev=ident.st_dev, src_ino=ident.st_ino,
            unit=entry.unit, companion_of=entry.companion_of, kind=entry.kind,
        )
    journal.sync()  # every intent of the unit is on disk before its first file moves
    fault_point("after-intent")
    done: list[tuple[int, PlanEntry, str | None, str, str]] = []   # (seq, entry, place, method, sha)
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
                    on_copied=copied_recorder(journal, seq, sha), create_below=folder.path,
                )
                place = dest
        except (OSError, ArchiveError) as err:
            message = _message(err, name)
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


def _fail_unit(unit: Sequence[PlanEntry], first: int, failed: int, message: str,
               done: list[tuple[int, PlanEntry, str | None, str, str]], journal: Any,
               dirty: set[str], out: _UnitOutcome) -> None:
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


def _ensure_archive_folder(path: str, *, create: bool) -> None:
    """The archive folder exists, or is created when its parent exists; an archive folder on
    an unplugged drive is refused rather than created on the boot disk."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ArchiveError(f"Couldn't archive to '{path}': the folder '{parent}' isn't there (is its drive connected?)")
    if create:
        try:
            os.mkdir(path)
        except FileExistsError:
            pass
        except OSError as err:
            raise ArchiveError(f"Couldn't create the archive folder '{path}': {err.strerror or err}") from err
        fsync_dir(parent)


def _after_unexpected(entry: PlanEntry, dest: str, to_trash: bool, err: Exception, name: str) -> str | tuple[str | None, str]:
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


def _message(err: BaseException, name: str) -> str:
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

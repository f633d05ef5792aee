"""Archive plans and carrying them out: the only place files leave the library.

``plan_archive`` turns the marks of a review into an :class:`ArchivePlan` the user confirms
(files, bytes freed, destination per file) — the plan itself is the dry run. ``execute`` carries
it out unit by unit (:mod:`desktop_app.workflow.unit_moves`) — a photo with its companion files
(:mod:`desktop_app.workflow.units`: sidecars, Live Photo video), all of which move or none — each file:

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

import logging
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Protocol, runtime_checkable

from desktop_app.context.companions import CompanionSource, DiskCompanions
from desktop_app.context.protocols import LibraryContext
from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.errors import ArchiveError, Cancelled
from desktop_app.workflow.fileops import fsync_dir, unique_destination
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.information_loss import information_loss
from desktop_app.workflow.journal import ArchiveLog, now_iso
from desktop_app.workflow.keepers import Keeper, keeper_problem, keepers_by_group
from desktop_app.workflow.lock import library_lock
from desktop_app.workflow.move_steps import DoneBatch, forget_in_context
from desktop_app.workflow.paths import overlaps, write_archive_marker
from desktop_app.workflow.recovery import RecoveryReport, recover
from desktop_app.workflow.trash import TrashBackend, default_trash
from desktop_app.workflow.unit_moves import MovedFile, MovingEntry, move_unit, places_for, verify_unit
from desktop_app.workflow.units import attach_companions, group_units

log = logging.getLogger(__name__)



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
    relation: str = ""          # to the group's original, as labelled ("resized to 25 %")


@dataclass(frozen=True)
class ArchivePlan:
    """What will move where. Confirm it, then :func:`execute` it."""

    entries: tuple[PlanEntry, ...]
    destination: Destination
    refused: tuple[tuple[str, str], ...] = ()   # (path, reason) marked but never to be archived
    created: str = field(default_factory=now_iso)
    staying: tuple[tuple[str, str], ...] = ()   # (companion, reason): stays, shared with a keeper
    #: The members each group keeps, re-checked right before each move (see workflow.keepers);
    #: None for a plan built without them (nothing to re-check).
    keepers: tuple[Keeper, ...] | None = None

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
            created=self.created, staying=self.staying, keepers=self.keepers,
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
                 "relation": e.relation,
                 "companions": [{"source": c.source, "destination": c.destination, "kind": c.kind, "size": c.size}
                                for c in self.entries if c.companion_of == e.source],
                 "loses": list(e.loses)}
                for e in self.entries if not e.companion_of
            ],
            "refused": [{"path": p, "reason": r} for p, r in self.refused],
            "companions_staying": [{"path": p, "reason": r} for p, r in self.staying],
        }


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
        photos = {m.source for m in self.moved if not m.companion_of}
        return {
            "operation": self.operation_id,
            "dry_run": self.dry_run,
            "moved": [{"source": m.source, "place": m.place, "size": m.size, "method": m.method,
                       "companions": [{"source": c.source, "place": c.place, "size": c.size}
                                      for c in self.moved if c.companion_of == m.source]}
                      # a companion whose photo didn't move (it couldn't be put back) stands alone
                      for m in self.moved if not m.companion_of or m.companion_of not in photos],
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
@runtime_checkable
class ReviewedGroups(Protocol):
    """A review holding its current groups (a :class:`~desktop_app.workflow.session.ReviewSession`)."""

    @property
    def current_groups(self) -> list[DuplicateGroup]: ...


def _groups_of(source: ReviewedGroups | Iterable[DuplicateGroup]) -> list[DuplicateGroup]:
    if isinstance(source, ReviewedGroups):
        return list(source.current_groups)
    return list(source)


def plan_archive(
    source: ReviewedGroups | Iterable[DuplicateGroup],
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
    keepers = tuple(Keeper(g.index, m.path, m.size, m.mtime_ns) for g in groups for m in g.kept)
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
                        relation=m.relation_label,
                    )
                )
    finder = companions or DiskCompanions()
    units, staying = attach_companions(entries, finder, to_trash=isinstance(destination, Trash), taken=taken)
    if guard:
        losses = information_loss(groups, units, companions=finder)
        units = [replace(e, loses=losses[e.source]) if e.source in losses else e for e in units]
    return ArchivePlan(entries=tuple(units), destination=destination, refused=tuple(refused),
                       staying=tuple(staying), keepers=keepers)


# --- carrying out --------------------------------------------------------------------------------
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

    One archive or undo per library at a time, across processes: the run holds the library
    lock (:mod:`desktop_app.workflow.lock`), waiting briefly for another holder, then raising
    :class:`~desktop_app.workflow.lock.LibraryBusy`. Right before each file moves, its group
    must still have a kept photo in place (:mod:`desktop_app.workflow.keepers`).
    """
    archive_log = log_dir if isinstance(log_dir, ArchiveLog) else ArchiveLog(log_dir)
    with nullcontext() if dry_run else library_lock(archive_log.directory.parent, what="archive"):
        return _execute(plan, archive_log, trash, context, progress, cancel, dry_run=dry_run)


def _execute(plan: ArchivePlan, archive_log: ArchiveLog, trash: TrashBackend | None, context: LibraryContext | None,
             progress: ProgressFn | None, cancel: CancelToken | None, *, dry_run: bool) -> ArchiveResult:
    if isinstance(plan.destination, ArchiveFolder):
        _ensure_archive_folder(plan.destination.path, create=not dry_run)
        if not dry_run and plan.entries:
            write_archive_marker(plan.destination.path)  # scanners skip it; it's never a library
    recovery = None
    reserved: set[str] = set()
    if not dry_run and archive_log.interrupted():
        try:
            recovery = recover(archive_log, context=context, trash=trash, locked=True)
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

    keepers = None if plan.keepers is None else keepers_by_group(plan.keepers)

    def also(entry: MovingEntry, ident: os.stat_result) -> str | None:
        # Its group must still have a kept photo in the library (see workflow.keepers).
        return keeper_problem(keepers, entry.group, entry.source, ident)

    if dry_run:
        done = 0
        for unit in group_units(plan.entries):
            _, refused = verify_unit(unit, also)
            if refused is None:
                places = places_for(unit, None if folder is None else folder.path, set())
                moved.extend(MovedFile(e.source, places[e.source], e.size, "trash" if to_trash else "dry-run",
                                       e.companion_of) for e in unit)
            else:
                skipped.extend(refused)
            done += len(unit)
            _report(progress, done, total, unit[0].source, start)
        return ArchiveResult(None, tuple(moved), tuple(skipped), dry_run=True)

    journal = archive_log.begin("archive", destination=str(plan.destination), files=total, bytes=plan.bytes_freed)
    batch = DoneBatch(journal)   # "done" records and changed folders made durable in batches
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
            outcome = move_unit(unit, first, None if folder is None else folder.path, journal, trash, reserved,
                                batch.dirty, also)
            for source, reason in outcome.skipped:
                journal.write("skipped", source=source, reason=reason)
            skipped.extend(outcome.skipped)
            errors.extend(outcome.errors)
            # Counted before the "done" records: if writing them fails, the files have still
            # moved (recovery at next start completes the journal from what is on disk).
            moved.extend(outcome.moved)
            batch.add(outcome.done)
            if outcome.stopped:
                stopped = outcome.stopped
                break
        batch.flush()
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



"""Archive plans and carrying them out: the only place files leave the library.

``plan_archive`` turns the marks of a review into an :class:`ArchivePlan` the user confirms
(files, bytes freed, destination per file) — the plan itself is the dry run. ``execute`` carries
it out file by file, each one:

1. re-checked right before it moves (regular file, not a symlink, still inside its library
   root, same size + mtime + content hash as indexed) — a changed file is skipped and reported;
2. written to the journal as an ``intent`` (fsynced) — see :mod:`desktop_app.workflow.journal`;
3. moved without ever overwriting (atomic rename, or verified copy across filesystems), or
   handed to the trash backend;
4. written to the journal as ``done``.

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
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Container, Iterable, Protocol, runtime_checkable

from desktop_app.context.protocols import LibraryContext
from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.errors import ArchiveError, Cancelled
from desktop_app.workflow.fileops import fault_point, fsync_dir, hash_file, move_file, unique_destination
from desktop_app.workflow.paths import is_inside, overlaps, relative_to_root, write_archive_marker
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.journal import ArchiveLog, now_iso
from desktop_app.workflow.keepers import Keeper, keeper_problem, keepers_by_group
from desktop_app.workflow.lock import library_lock
from desktop_app.workflow.move_steps import STOP_ERRNOS, copied_recorder, forget_in_context
from desktop_app.workflow.recovery import RecoveryReport, recover
from desktop_app.workflow.trash import TrashBackend, default_trash

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
    relation: str = ""          # to the group's original, as labelled ("resized to 25 %")


@dataclass(frozen=True)
class ArchivePlan:
    """What will move where. Confirm it, then :func:`execute` it."""

    entries: tuple[PlanEntry, ...]
    destination: Destination
    refused: tuple[tuple[str, str], ...] = ()   # (path, reason) marked but never to be archived
    created: str = field(default_factory=now_iso)
    #: The members each group keeps, re-checked right before each move (see workflow.keepers);
    #: None for a plan built without them (nothing to re-check).
    keepers: tuple[Keeper, ...] | None = None

    @property
    def files(self) -> int:
        return len(self.entries)

    @property
    def bytes_freed(self) -> int:
        return sum(e.size for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": str(self.destination),
            "files": self.files,
            "bytes_freed": self.bytes_freed,
            "entries": [
                {"source": e.source, "destination": e.destination, "size": e.size, "group": e.group,
                 "similarity": round(e.similarity, 1), "chosen_by": e.chosen_by,
                 "relation": e.relation}
                for e in self.entries
            ],
            "refused": [{"path": p, "reason": r} for p, r in self.refused],
        }


@dataclass(frozen=True)
class MovedFile:
    source: str
    place: str | None           # archive path or trash location (None: trash didn't tell)
    size: int
    method: str                 # rename | copy | trash


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
            "moved": [{"source": m.source, "place": m.place, "size": m.size, "method": m.method} for m in self.moved],
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
) -> ArchivePlan:
    """The plan for every member marked ARCHIVE in ``source`` (a ReviewSession or groups).

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
    return ArchivePlan(entries=tuple(entries), destination=destination, refused=tuple(refused), keepers=keepers)


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

    keepers = None if plan.keepers is None else keepers_by_group(plan.keepers)
    if dry_run:
        for i, entry in enumerate(plan.entries):
            reason, ident, _ = _verify(entry)
            if reason is None and ident is not None:
                reason = keeper_problem(keepers, entry.group, entry.source, ident)
            if reason:
                skipped.append((entry.source, reason))
            else:
                place: str | None = "trash" if folder is None else str(_place_for(entry, folder))
                moved.append(MovedFile(entry.source, place, entry.size, "trash" if to_trash else "dry-run"))
            _report(progress, i + 1, total, entry.source, start)
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
        for seq, entry in enumerate(plan.entries):
            name = os.path.basename(entry.source)
            _report(progress, seq, total, entry.source, start)
            try:
                if cancel is not None:
                    cancel.check()
            except Cancelled:
                cancelled = True
                break
            reason, ident, sha = _verify(entry)
            if reason is None and ident is not None:
                reason = keeper_problem(keepers, entry.group, entry.source, ident)
            if reason is not None or ident is None:
                why = reason or f"Couldn't read '{name}'"  # (_verify gives a reason whenever no lstat)
                journal.write("skipped", source=entry.source, reason=why)
                skipped.append((entry.source, why))
                continue
            dest = "trash" if folder is None else str(_place_for(entry, folder, reserved=reserved))
            journal.write(
                "intent", seq=seq, source=entry.source, destination=dest,
                method="trash" if to_trash else "move", size=entry.size, mtime_ns=entry.mtime_ns,
                content_hash=entry.content_hash, sha256=sha, group=entry.group,
                similarity=entry.similarity, chosen_by=entry.chosen_by, image_id=entry.image_id,
                relation=entry.relation, root=entry.root, src_dev=ident.st_dev, src_ino=ident.st_ino,
            )
            fault_point("after-intent")
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
                journal.write("failed", seq=seq, reason=message)
                errors.append((entry.source, message))
                if isinstance(err, OSError) and err.errno in STOP_ERRNOS:
                    stopped = message
                    break
                continue
            except Exception as err:  # noqa: BLE001 - a trash backend (Qt, send2trash) may raise anything
                # Never let a backend's bug escape: that would leave the operation "interrupted"
                # until the next start. Settle this file from what is on disk, then go on.
                log.exception("archiving %s failed", entry.source)
                outcome = _after_unexpected(entry, dest, to_trash, err, name)
                if isinstance(outcome, str):
                    journal.write("failed", seq=seq, reason=outcome)
                    errors.append((entry.source, outcome))
                    continue
                place, method = outcome
                dirty.add(os.path.dirname(entry.source))
            # Counted before the "done" record: if that write fails, the file has still moved
            # (recovery at next start completes the journal from what is on disk).
            moved.append(MovedFile(entry.source, place, entry.size, method))
            fault_point("after-move")
            pending.append({"seq": seq, "place": place, "method": method})
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

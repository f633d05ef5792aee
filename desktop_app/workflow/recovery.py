"""Undo an archive operation, and settle operations a crash interrupted.

Undo restores each file of an operation to its original path; it refuses (per file, with a
message) when something now stands there, is journaled like an archive (so it is itself
crash-safe), and is idempotent: files already restored are not touched again.

``recover`` runs at start-up. For every operation without an ``end`` record it looks at each
file whose ``intent`` has no outcome and settles it from what is on disk:

========================  =====================  =================================================
original place            new place              outcome
========================  =====================  =================================================
present                   absent                 rolled-back (the move never happened)
absent                    ours                   done (the move happened; the journal catches up)
present, as recorded      our verified copy      done: the verified copy stays, the original goes
present                   not ours               rolled-back; the other file is left alone (conflict)
present, changed          our verified copy      conflict: both kept, reported
absent                    not ours / absent      missing, reported (nothing removed)
trash: absent             (in the trash)         done if found in the trash, else missing
========================  =====================  =================================================

"Ours" is proven, never guessed from a name or from equal bytes: the intent records the moved
file's dev+inode (a rename keeps them), a ``copied`` record the verified copy's dev+inode
before it is renamed into place, and a partial copy carries the operation id and seq in its
name. Recovery removes nothing that doesn't match those records exactly: a file another
operation put at the planned place, even a byte-identical one, is never touched.

A partial copy (``.…lookalike-partial``) is removed once the original is known to be whole.

Units (a photo and its companion files, :mod:`desktop_app.workflow.units`) stay whole: undo
restores a unit only when every one of its files can go back (a file standing at a companion's
original place keeps the whole unit in the archive; a file that then fails to move sends the
ones already restored back to the archive), and after settling a crash, a unit left
split — some files archived, some in the library — is brought back whole by an undo of its
archived files (journaled like any undo).
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat as stat_mod
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Collection, Union

from desktop_app.context.protocols import LibraryContext
from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.errors import ArchiveError
from desktop_app.workflow.fileops import fault_point, fsync_dir, move_file, partial_path, remove_empty_folders, sha256_file
from desktop_app.workflow.journal import ArchiveLog, JournalBusy, LogEntry, Operation, OperationJournal, fold
from desktop_app.workflow.lock import LibraryBusy, library_lock
from desktop_app.workflow.move_steps import STOP_ERRNOS, DoneBatch, copied_recorder, forget_in_context
from desktop_app.workflow.trash import TrashBackend, forget_trash_info
from desktop_app.workflow.unit_restore import give_up_if_lost, restorable, return_unit, split_seqs, units_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UndoResult:
    operation_id: str | None          # the undo operation's own id
    undone: str                       # the archive operation it undoes
    restored: tuple[str, ...] = ()    # original paths now back in place
    already: tuple[str, ...] = ()     # restored by an earlier undo
    refused: tuple[tuple[str, str], ...] = ()   # (original path, reason)
    stopped: str | None = None
    cancelled: bool = False             # stopped between files on request (Ctrl-C, Cancel)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation_id, "undoes": self.undone, "restored": list(self.restored),
            "already_restored": list(self.already),
            "refused": [{"path": p, "reason": r} for p, r in self.refused], "stopped": self.stopped,
            "cancelled": self.cancelled,
        }


@dataclass(frozen=True)
class RecoveryReport:
    operations: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()    # sources whose move was finished (now at the new place)
    rolled_back: tuple[str, ...] = ()  # sources that stayed at (or went back to) their place
    missing: tuple[str, ...] = ()      # found nowhere: reported, never silently dropped
    #: (path, what was found): files recovery would not touch because it could not prove they
    #: are this operation's own; everything is kept and the user decides.
    conflicts: tuple[tuple[str, str], ...] = ()

    @property
    def clean(self) -> bool:
        return not self.missing and not self.conflicts


#: Where an archive log lives: a context (its data_dir), that folder, or the log itself.
LogPlace = Union[LibraryContext, ArchiveLog, str, "os.PathLike[str]"]


def _log_of(where: LogPlace) -> ArchiveLog:
    if isinstance(where, ArchiveLog):
        return where
    if isinstance(where, (str, os.PathLike)):
        return ArchiveLog(where)
    return ArchiveLog(where.data_dir)


def _context_of(where: LogPlace) -> LibraryContext | None:
    return None if isinstance(where, (ArchiveLog, str, os.PathLike)) else where


def undo(
    where: LogPlace,
    operation_id: str | None = None,
    *,
    context: LibraryContext | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> UndoResult:
    """Bring back the files of archive operation ``operation_id`` (default: the latest one
    with files not yet restored, so repeated undos walk back through the log). Undoing an
    operation again restores only what is still in the archive (idempotent).

    ``where`` is the context, its data_dir or an ArchiveLog. With a ``context`` the restored
    files are added to it again.

    Every file of the operation is accounted for: restored, already restored, or refused with
    its reason — including a file whose journal record was lost (a full disk, a damaged line)
    but that is provably at its archive place (restored), and one recovery could not find.
    Holds the library lock like an archive (one archive or undo per library at a time).
    """
    archive_log = _log_of(where)
    if context is None:
        context = _context_of(where)
    with library_lock(archive_log.directory.parent, what="undo"):
        return _undo(archive_log, operation_id, context=context, progress=progress, cancel=cancel)


def _undo(
    archive_log: ArchiveLog,
    operation_id: str | None,
    *,
    context: LibraryContext | None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    seqs: Collection[int] | None = None,
    settle_first: bool = True,
) -> UndoResult:
    """:func:`undo`'s work (under the library lock). ``seqs`` restricts it to those entries,
    without settling the log first (``settle_first``): recovery rejoining a split unit, with the
    log just settled."""
    if settle_first and archive_log.interrupted():
        recover(archive_log, context=context, locked=True)
    ops = archive_log.operations()
    restored_by_op = ArchiveLog.restored(ops)  # one read of the log serves every operation
    if operation_id is None:
        latest = archive_log.latest_undoable(ops)
        if latest is None:
            raise ArchiveError("There is no archive operation left to undo")
        op = latest
    else:
        op = archive_log.operation(operation_id, kind="archive")
    if op.kind != "archive":
        raise ArchiveError(f"Operation '{op.id}' is an undo; undo the archive operation instead")
    done_before = restored_by_op.get(op.id, set())
    todo, unaccounted = _to_restore(op.entries, done_before)
    if seqs is not None:
        todo, unaccounted = [e for e in todo if e.seq in seqs], []
    already = tuple(e.source for e in op.done if e.seq in done_before)
    if not todo:
        return UndoResult(None, op.id, already=already, refused=tuple(unaccounted))
    restored: list[str] = []
    photos: list[str] = []           # restored files the context indexes (not companions)
    refused: list[tuple[str, str]] = list(unaccounted)
    stopped = None
    cancelled = False
    journal = archive_log.begin("undo", undoes=op.id, destination="original places")
    batch = DoneBatch(journal)   # as an archive: "done" records and changed folders in batches

    def refuse(path: str, reason: str) -> None:
        refused.append((path, reason))
        journal.write("skipped", source=path, reason=reason)

    try:
        n = 0
        for unit in units_of(todo):
            if cancel is not None and cancel.cancelled:
                cancelled = True
                break
            if progress is not None:
                progress(Progress(done=n, total=len(todo), current=unit[0].source))
            checked: list[tuple[LogEntry, os.stat_result, str]] = []
            for e in unit:
                reason, ident, sha = restorable(e)
                if reason is not None or ident is None:
                    culprit = os.path.basename(e.source)
                    for other in unit:
                        refuse(other.source, (reason or "") if other is e else
                               f"Couldn't restore '{os.path.basename(other.source)}': it stays with '{culprit}' ({reason})")
                    give_up_if_lost(unit, e, op.destination, reason or "", journal)
                    break
                checked.append((e, ident, sha))
            else:
                for e, ident, sha in checked:
                    journal.write(
                        "intent", sync=False, seq=n, source=e.place, destination=e.source, method="move",
                        size=e.size, sha256=sha, group=e.group, similarity=e.similarity,
                        chosen_by=e.chosen_by, restores=e.seq, root=e.root, src_dev=ident.st_dev,
                        src_ino=ident.st_ino, unit=e.unit, companion_of=e.companion_of, kind=e.kind,
                    )
                    n += 1
                journal.sync()  # the unit's intents are on disk before its first file moves
                fault_point("undo-after-intent")
                first = n - len(checked)
                back: list[tuple[int, LogEntry, str, str]] = []   # (seq, entry, method, sha) restored
                failure: str | None = None
                for k, (e, _, sha) in enumerate(checked):
                    assert e.place is not None
                    name, seq = os.path.basename(e.source), first + k
                    try:
                        method = move_file(e.place, e.source, sha256=sha, dirty=batch.dirty, owner=f"{journal.id}.{seq}",
                                           on_copied=copied_recorder(journal, seq, sha), create_below=e.root or None)
                    except (OSError, ArchiveError) as err:
                        failure = f"Couldn't restore '{name}': {getattr(err, 'strerror', None) or err}"
                        if isinstance(err, OSError) and err.errno in STOP_ERRNOS:
                            stopped = failure
                        return_unit(checked, k, first, failure, back, journal, refused)
                        break
                    back.append((seq, e, method, sha))
                    fault_point("undo-after-move")
                if failure is None:
                    for seq, e, method, _ in back:
                        restored.append(e.source)
                        if not e.companion_of:
                            photos.append(e.source)
                        if e.method == "trash":
                            forget_trash_info(e.place or "")
                    # Durable in a batch (folders, then records): a "done" lost to a crash is
                    # rebuilt by recovery from where the file is.
                    batch.add([{"seq": seq, "place": e.source, "method": method} for seq, e, method, _ in back])
                if stopped:
                    break
        batch.flush()
        journal.write("end", status="stopped" if stopped else "cancelled" if cancelled else "complete")
    except OSError as err:
        # The journal can't be written: stop; recovery completes the record at next start.
        stopped = f"Couldn't write the archive journal: {err.strerror or err}; undo stopped"
        log.error(stopped)
    finally:
        journal.close()
    if context is not None and photos:
        _readd(context, photos)
    _tidy_archive_folder(op, set(restored))
    return UndoResult(journal.id, op.id, tuple(restored), already, tuple(refused), stopped, cancelled)


def _to_restore(entries: tuple[LogEntry, ...], done_before: set[int]) -> tuple[list[LogEntry], list[tuple[str, str]]]:
    """The entries undo brings back, and (path, reason) for the moved files it can't.

    Beside the ``done`` entries: an entry left at ``intent`` in a finished operation (its
    outcome line was lost to a full disk or damage) is restored when its file is provably at
    its archive place; one recovery reported missing or in conflict is listed with its reason.
    """
    todo: list[LogEntry] = []
    unaccounted: list[tuple[str, str]] = []
    for e in entries:
        if e.seq in done_before:
            continue
        if e.state == "done":
            todo.append(e)
        elif e.state == "intent" and e.method != "trash" and _proven_at(e.destination, e):
            todo.append(replace(e, state="done", place=e.destination))
        elif e.state in ("missing", "conflict"):
            name = os.path.basename(e.source)
            unaccounted.append((e.source, e.reason or f"Couldn't restore '{name}': it was not found after an interrupted archive"))
        elif e.state == "intent" and not os.path.lexists(e.source):
            name = os.path.basename(e.source)
            unaccounted.append((e.source, f"Couldn't restore '{name}': its journal record is incomplete and it is not at '{e.destination}'"))
    return todo, unaccounted


def _proven_at(place: str, entry: LogEntry) -> bool:
    """The file at ``place`` is the one ``entry`` moved (same device+inode as recorded, or its
    recorded verified copy) with the recorded content."""
    st = _stat(place)
    return (st is not None and (_is(st, entry.src_dev, entry.src_ino) or _is(st, entry.copy_dev, entry.copy_ino))
            and _content_is(place, st, entry))


def _rejoin_units(archive_log: ArchiveLog, op_ids: set[str], context: LibraryContext | None) -> tuple[list[str], list[tuple[str, str]]]:
    """A crash between two files of one unit leaves it split: some of its files archived, some
    still (or again) in the library. Bring the archived ones back (a journaled undo of just
    those), so the unit is whole in the library. Returns (restored paths, refusals)."""
    if not op_ids:
        return [], []
    ops = archive_log.operations()
    restored_by_op = ArchiveLog.restored(ops)
    back: list[str] = []
    notes: list[tuple[str, str]] = []
    for op in ops:
        if op.id not in op_ids or op.kind != "archive" or not op.finished_cleanly:
            continue
        split = split_seqs(op.entries, restored_by_op.get(op.id, set()))
        if not split:
            continue
        log.warning("recovery: %d files of operation %s left their unit; bringing them back", len(split), op.id)
        result = _undo(archive_log, op.id, context=context, seqs=split, settle_first=False)
        back.extend(result.restored)
        notes.extend(result.refused)
    return back, notes


def _tidy_archive_folder(op: Operation, restored: set[str]) -> None:
    """Remove the folders the archive made in the archive folder that the undo left empty
    (each file kept its library path there: ``Archive/Trip/day1/IMG.jpg``). The archive
    folder itself stays: the user chose it."""
    if not op.destination or op.destination == "trash" or not os.path.isdir(op.destination):
        return
    for e in op.entries:
        place = e.place or e.destination
        if e.source in restored and place and e.method != "trash":
            remove_empty_folders(os.path.dirname(place), below=op.destination)


def _readd(context: LibraryContext, paths: list[str]) -> None:
    for path in paths:
        try:
            context.add_image(path)
        except Exception:  # noqa: BLE001 - the file is back; a re-scan indexes it
            log.exception("couldn't re-add %s to the search context", path)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _is(st: os.stat_result | None, dev: int | None, ino: int | None) -> bool:
    return st is not None and dev is not None and ino is not None and (st.st_dev, st.st_ino) == (dev, ino)


def _content_is(path: str, st: os.stat_result, entry: LogEntry) -> bool:
    """Regular file with the entry's size and SHA-256 (an unreadable file is not proven)."""
    if not stat_mod.S_ISREG(st.st_mode) or (entry.size and st.st_size != entry.size):
        return False
    try:
        return not entry.sha256 or sha256_file(path) == entry.sha256
    except OSError:
        return False


def _unlink(path: str | os.PathLike[str]) -> None:
    os.unlink(path)
    fsync_dir(os.path.dirname(os.fspath(path)))


Settled = tuple[str, "str | None", str]   # outcome, current place, conflict reason ("" if none)


def _settle(entry: LogEntry, trash_locator: Callable[[str], list[str]] | None, owner: str) -> Settled:
    """Outcome (done / rolled-back / missing / conflict), current place and a conflict note for
    an unsettled entry. Nothing is ever removed unless it is *proven* to be this operation's
    own file: a partial copy by its name (only this move creates it), the source by the
    identity and content the intent recorded, a placed copy by the ``copied`` record, a partial
    copy moving it *back* (``.back``) once the file is proven whole at one of its places."""
    src, dst = entry.source, entry.destination
    src_st = _stat(src)
    if entry.method == "trash":
        if src_st is not None:
            return "rolled-back", src, ""
        found = trash_locator(src) if trash_locator is not None else []
        if not found:
            # Not where it was, not in any trash we can see: say so (a send2trash/Qt trash that
            # can't be searched lands here too; the user checks the system trash).
            return "missing", None, f"'{os.path.basename(src)}' is neither at its place nor in the trash"
        mine = [f for f in found if _is(_stat(f), entry.src_dev, entry.src_ino)]
        return "done", (mine or found)[-1], ""
    name = os.path.basename(src)
    dst_st = _stat(dst)
    # The original, exactly as the intent recorded it (a rename keeps dev+inode).
    src_mine = (
        src_st is not None and _is(src_st, entry.src_dev, entry.src_ino)
        and (not entry.mtime_ns or src_st.st_mtime_ns == entry.mtime_ns) and _content_is(src, src_st, entry)
    )
    partial = partial_path(dst, owner=owner)
    if owner and os.path.lexists(partial) and src_mine:
        _unlink(partial)  # our unfinished (or unplaced) copy; the original is whole
    moved_here = _is(dst_st, entry.src_dev, entry.src_ino)      # renamed into place
    copied_here = _is(dst_st, entry.copy_dev, entry.copy_ino)   # our verified copy, placed
    dst_mine = dst_st is not None and (moved_here or copied_here) and _content_is(dst, dst_st, entry)
    back = partial_path(src, owner=f"{owner}.back")   # its unit failed part-way: moving it back
    back_st = _stat(str(back)) if owner else None
    if back_st is not None and stat_mod.S_ISREG(back_st.st_mode) and (dst_mine or src_mine):
        _unlink(back)  # our unfinished copy of a file proven whole at one of its places
    if src_st is not None and dst_st is None:
        return "rolled-back", src, ""
    if src_st is None and dst_st is not None:
        legacy = entry.src_ino is None and _content_is(dst, dst_st, entry)  # journal without identities
        if dst_mine or legacy:
            return "done", dst, ""
        return "missing", None, (
            f"'{name}' is not at its place, and the file at '{dst}' is not the one this operation moved; left alone"
        )
    if src_st is not None and dst_st is not None:
        if dst_mine and copied_here and src_mine and not moved_here:
            _unlink(src)  # the verified copy is in place; the original is the one we copied
            return "done", dst, ""
        if dst_mine and moved_here and src_mine:
            # Two names of one file (a rename done as link + unlink): drop the old name only.
            _unlink(src)
            return "done", dst, ""
        if dst_mine:
            return "conflict", src, (
                f"'{name}' changed at its place after it was copied to '{dst}'; both are kept"
            )
        # Someone else's file stands where this one was going: ours never left its place.
        return "rolled-back", src, f"'{dst}' is not the file this operation moved there; it was left alone"
    if owner and os.path.lexists(partial):
        # Original gone but our partial copy exists: can't happen through move_file; keep it and say so.
        return "missing", str(partial), f"'{name}' is only in the unfinished copy '{partial}'; kept"
    return "missing", None, f"'{name}' is at neither '{src}' nor '{dst}'"


def recover(where: LogPlace, *, context: LibraryContext | None = None,
            trash: TrashBackend | None = None, locked: bool = False) -> RecoveryReport:
    """Settle every interrupted operation (see the module table). Safe to run at every start,
    and safe to run again if it is itself interrupted. ``locked``: the caller holds the library
    lock (an archive or undo about to start); otherwise rejoining a unit a crash split takes it."""
    archive_log = _log_of(where)
    if context is None:
        context = _context_of(where)
    locator = getattr(trash, "locate", None)
    if locator is None:
        from desktop_app.workflow.trash import FreedesktopTrash  # noqa: PLC0415

        locator = FreedesktopTrash().locate
    ops: list[str] = []
    completed: list[str] = []
    rolled: list[str] = []
    missing: list[str] = []
    conflicts: list[tuple[str, str]] = []
    for stale in sorted(archive_log.directory.glob(".*.creating")):
        # Crashed between creating an operation and its first record: nothing was moved.
        try:
            OperationJournal(stale).close()
            os.unlink(stale)
        except (JournalBusy, OSError):
            pass
    for op in archive_log.interrupted():
        try:
            journal = OperationJournal(Path(op.path))
        except JournalBusy:
            log.info("operation %s is still running elsewhere; not recovering it", op.id)
            continue
        op = fold(Path(op.path))  # re-read under the lock: it may have finished meanwhile
        if op.finished_cleanly:
            journal.close()
            continue
        ops.append(op.id)
        try:
            for entry in op.entries:
                if entry.state != "intent":
                    continue
                outcome, place, note = _settle(entry, locator, f"{op.id}.{entry.seq}")
                journal.write("recovered", seq=entry.seq, outcome=outcome, place=place, reason=note)
                original = entry.source if op.kind == "archive" else entry.destination
                if note and outcome != "missing":
                    conflicts.append((original, note))
                    log.warning("recovery: %s", note)
                if outcome == "done":
                    completed.append(original)
                    if op.kind == "archive" and context is not None:
                        forget_in_context(context, [entry.source])
                    elif op.kind == "undo" and context is not None and not entry.companion_of:
                        _readd(context, [entry.destination])
                elif outcome == "rolled-back":
                    rolled.append(original)
                elif outcome == "conflict":
                    pass  # in its place, a copy at the new place too: both kept, in ``conflicts``
                else:
                    missing.append(original)
                    log.error("recovery: '%s' is at neither '%s' nor '%s'", original, entry.source, entry.destination)
            journal.write("end", status="recovered")
        finally:
            journal.close()
    settled = {op.id if op.kind == "archive" else op.undoes for op in archive_log.operations() if op.id in ops}
    settled.discard(None)
    if settled:
        try:
            with contextlib.nullcontext() if locked else library_lock(archive_log.directory.parent, what="recovery"):
                rejoined, notes = _rejoin_units(archive_log, {s for s in settled if s}, context)
        except LibraryBusy as err:
            rejoined, notes = [], [("", f"A photo and its companions left apart by an interrupted archive "
                                        f"weren't rejoined: {err}")]
            log.warning("recovery: %s", err)
        rolled.extend(rejoined)
        conflicts.extend(notes)
    return RecoveryReport(tuple(ops), tuple(completed), tuple(rolled), tuple(missing), tuple(conflicts))

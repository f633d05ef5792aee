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
absent                    present                done (the move happened; the journal catches up)
present                   present, verified      done: the verified copy stays, the original goes
present                   present, not verified  rolled-back: the unverified copy is removed
absent                    absent                 looked up in the trash; else reported missing
========================  =====================  =================================================

A partial copy (``.…lookalike-partial``) is removed once the original is known to be whole.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.engine.progress import CancelToken, Progress, ProgressFn
from desktop_app.errors import ArchiveError
from desktop_app.workflow.archive import STOP_ERRNOS, forget_in_context
from desktop_app.workflow.fileops import fault_point, fsync_dir, move_file, partial_path, sha256_file
from desktop_app.workflow.journal import ArchiveLog, JournalBusy, LogEntry, OperationJournal, fold
from desktop_app.workflow.trash import forget_trash_info

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UndoResult:
    operation_id: str | None          # the undo operation's own id
    undone: str                       # the archive operation it undoes
    restored: tuple[str, ...] = ()    # original paths now back in place
    already: tuple[str, ...] = ()     # restored by an earlier undo
    refused: tuple[tuple[str, str], ...] = ()   # (original path, reason)
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation_id, "undoes": self.undone, "restored": list(self.restored),
            "already_restored": list(self.already),
            "refused": [{"path": p, "reason": r} for p, r in self.refused], "stopped": self.stopped,
        }


@dataclass(frozen=True)
class RecoveryReport:
    operations: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()    # sources whose move was finished (now at the new place)
    rolled_back: tuple[str, ...] = ()  # sources that stayed at (or went back to) their place
    missing: tuple[str, ...] = ()      # found nowhere: reported, never silently dropped

    @property
    def clean(self) -> bool:
        return not self.missing


def _log_of(where: Any) -> ArchiveLog:
    if isinstance(where, ArchiveLog):
        return where
    if hasattr(where, "data_dir"):
        return ArchiveLog(where.data_dir)
    return ArchiveLog(where)


def undo(
    where: Any,
    operation_id: str | None = None,
    *,
    context: Any = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> UndoResult:
    """Bring back the files of archive operation ``operation_id`` (default: the latest one
    with files not yet restored, so repeated undos walk back through the log). Undoing an
    operation again restores only what is still in the archive (idempotent).

    ``where`` is the context, its data_dir or an ArchiveLog. With a ``context`` the restored
    files are added to it again.
    """
    archive_log = _log_of(where)
    if context is None and hasattr(where, "data_dir") and hasattr(where, "forget"):
        context = where
    if archive_log.interrupted():
        recover(archive_log, context=context)
    if operation_id is None:
        # Like Ctrl+Z: the latest archive operation that still has files to bring back.
        pending = [o for o in archive_log.operations()
                   if o.kind == "archive" and {e.seq for e in o.done} - archive_log.restored_seqs(o.id)]
        if not pending:
            raise ArchiveError("There is no archive operation left to undo")
        op = pending[-1]
    else:
        op = archive_log.operation(operation_id, kind="archive")
    if op.kind != "archive":
        raise ArchiveError(f"Operation '{op.id}' is an undo; undo the archive operation instead")
    done_before = archive_log.restored_seqs(op.id)
    todo = [e for e in op.done if e.seq not in done_before]
    already = tuple(e.source for e in op.done if e.seq in done_before)
    if not todo:
        return UndoResult(None, op.id, already=already)
    restored: list[str] = []
    refused: list[tuple[str, str]] = []
    stopped = None
    journal = archive_log.begin("undo", undoes=op.id, destination="original places")

    def refuse(path: str, reason: str) -> None:
        refused.append((path, reason))
        journal.write("skipped", source=path, reason=reason)

    try:
        for n, e in enumerate(todo):
            if cancel is not None and cancel.cancelled:
                break
            if progress is not None:
                progress(Progress(done=n, total=len(todo), current=e.source))
            name = os.path.basename(e.source)
            place = e.place
            if not place:
                refuse(e.source, f"'{name}' went to the system trash; restore it from there")
                continue
            if os.path.lexists(e.source):
                refuse(e.source, f"Couldn't restore '{name}': something now stands at its original place")
                continue
            if not os.path.isfile(place) or os.path.islink(place):
                refuse(e.source, f"Couldn't restore '{name}': it is no longer at '{place}'")
                continue
            try:
                sha = sha256_file(place)
            except OSError as err:
                refuse(e.source, f"Couldn't restore '{name}': {err.strerror}")
                continue
            if e.sha256 and sha != e.sha256:
                refuse(e.source, f"Couldn't restore '{name}': the archived file was changed")
                continue
            journal.write(
                "intent", seq=n, source=place, destination=e.source, method="move", size=e.size,
                sha256=sha, group=e.group, similarity=e.similarity, chosen_by=e.chosen_by,
                restores=e.seq,
            )
            fault_point("undo-after-intent")
            try:
                method = move_file(place, e.source, sha256=sha)
            except (OSError, ArchiveError) as err:
                reason = f"Couldn't restore '{name}': {getattr(err, 'strerror', None) or err}"
                journal.write("failed", seq=n, reason=reason)
                refused.append((e.source, reason))
                if isinstance(err, OSError) and err.errno in STOP_ERRNOS:
                    stopped = reason
                    break
                continue
            restored.append(e.source)
            fault_point("undo-after-move")
            if e.method == "trash":
                forget_trash_info(place)
            journal.write("done", seq=n, place=e.source, method=method)
        journal.write("end", status="stopped" if stopped else "complete")
    except OSError as err:
        # The journal can't be written: stop; recovery completes the record at next start.
        stopped = f"Couldn't write the archive journal: {err.strerror or err}; undo stopped"
        log.error(stopped)
    finally:
        journal.close()
    if context is not None and restored:
        _readd(context, restored)
    return UndoResult(journal.id, op.id, tuple(restored), already, tuple(refused), stopped)


def _readd(context: Any, paths: list[str]) -> None:
    for path in paths:
        try:
            context.add_image(path)
        except Exception:  # noqa: BLE001 - the file is back; a re-scan indexes it
            log.exception("couldn't re-add %s to the search context", path)


def _settle(entry: LogEntry, trash_locator: Any) -> tuple[str, str | None]:
    """Outcome (done / rolled-back / missing) and current place of an unsettled entry."""
    src, dst = entry.source, entry.destination
    src_here = os.path.lexists(src)
    if entry.method == "trash":
        if src_here:
            return "rolled-back", src
        found = trash_locator(src) if trash_locator is not None else []
        return "done", (found[-1] if found else None)
    partial = partial_path(dst)
    dst_here = os.path.lexists(dst)
    if os.path.lexists(partial) and src_here:
        os.unlink(partial)  # an unfinished copy; the original is whole
        fsync_dir(partial.parent)
    if src_here and not dst_here:
        return "rolled-back", src
    if dst_here and not src_here:
        return "done", dst
    if src_here and dst_here:
        # Only a verified copy is ever renamed into place; check again before dropping anything.
        dst_ok = not entry.sha256 or sha256_file(dst) == entry.sha256
        src_ok = not entry.sha256 or sha256_file(src) == entry.sha256
        if dst_ok and src_ok:
            os.unlink(src)
            fsync_dir(os.path.dirname(src))
            return "done", dst
        if not dst_ok:
            os.unlink(dst)
            fsync_dir(os.path.dirname(dst))
        return "rolled-back", src
    if os.path.lexists(partial):
        # Original gone but a partial copy exists: can't happen through move_file; keep it and say so.
        return "missing", str(partial)
    return "missing", None


def recover(where: Any, *, context: Any = None, trash: Any = None) -> RecoveryReport:
    """Settle every interrupted operation (see the module table). Safe to run at every start,
    and safe to run again if it is itself interrupted."""
    archive_log = _log_of(where)
    if context is None and hasattr(where, "data_dir") and hasattr(where, "forget"):
        context = where
    locator = getattr(trash, "locate", None)
    if locator is None:
        from desktop_app.workflow.trash import FreedesktopTrash  # noqa: PLC0415

        locator = FreedesktopTrash().locate
    ops: list[str] = []
    completed: list[str] = []
    rolled: list[str] = []
    missing: list[str] = []
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
                outcome, place = _settle(entry, locator)
                journal.write("recovered", seq=entry.seq, outcome=outcome, place=place)
                original = entry.source if op.kind == "archive" else entry.destination
                if outcome == "done":
                    completed.append(original)
                    if op.kind == "archive" and context is not None:
                        forget_in_context(context, [entry.source])
                    elif op.kind == "undo" and context is not None:
                        _readd(context, [entry.destination])
                elif outcome == "rolled-back":
                    rolled.append(original)
                else:
                    missing.append(original)
                    log.error("recovery: '%s' is at neither '%s' nor '%s'", original, entry.source, entry.destination)
            journal.write("end", status="recovered")
        finally:
            journal.close()
    return RecoveryReport(tuple(ops), tuple(completed), tuple(rolled), tuple(missing))

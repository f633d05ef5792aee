"""Archive and undo from the window: plan → confirm → move (worker) → summary with Undo.

The plan comes from the workflow (``ReviewSession.plan``); the user confirms it in an
:class:`~desktop_app.ui.archive.dialog.ArchiveDialog` (or through an injected ``confirm``
function in tests). The move runs in a worker with a progress dialog; afterwards the context's
pair scores are refreshed in the same worker, so regrouping stays in memory. The summary is a
non-modal message bar with **Undo** (also Edit → Undo Archive) and **Save Log…**.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from desktop_app.engine.progress import Progress
from desktop_app.errors import LookalikeError
from desktop_app.ui.archive.dialog import ArchiveDialog
from desktop_app.ui.common.scale import format_bytes
from desktop_app.ui.common.workers import TaskWorker
from desktop_app.ui.duplicates.scan_controller import folder_counts
from desktop_app.workflow.archive import ArchiveFolder, ArchiveResult, Destination, PlanEntry, Trash
from desktop_app.workflow.recovery import UndoResult
from desktop_app.workflow.session import ReviewSession

if TYPE_CHECKING:
    from desktop_app.ui.duplicates.page import DuplicatesPage

log = logging.getLogger(__name__)

#: confirm(entries, refused, archive_folder, use_trash, parent) -> destination, or None to cancel.
ConfirmFn = Callable[[tuple[PlanEntry, ...], tuple[tuple[str, str], ...], str, bool, QWidget], "Destination | None"]


def confirm_with_dialog(
    entries: tuple[PlanEntry, ...], refused: tuple[tuple[str, str], ...], archive_folder: str,
    use_trash: bool, parent: QWidget,
) -> Destination | None:
    """The default confirmation: the modal :class:`ArchiveDialog`."""
    dialog = ArchiveDialog(entries, archive_folder=archive_folder, use_trash=use_trash, refused=refused, parent=parent)
    if dialog.exec() != ArchiveDialog.DialogCode.Accepted:
        return None
    return dialog.destination()


def refreshed_library(context: Any) -> Any:
    """(pair scores, folder counts) after files moved, or None if the context couldn't say: the
    move itself succeeded and must still be reported (with its Undo)."""
    try:
        return context.scored_pairs(), folder_counts(context)
    except LookalikeError:
        log.exception("couldn't refresh the library after moving files")
        return None


def _summary(head: str, *parts: tuple[object, str, str]) -> tuple[str, str]:
    """The result's message and its kind: ``head``, then each (condition, sentence, kind) whose
    condition holds; the most serious kind wins ("" leaves the kind as it is)."""
    text, kind = head, "info"
    rank = {"info": 0, "warning": 1, "error": 2}
    for condition, sentence, level in parts:
        if condition:
            text += " " + sentence
            if level and rank[level] > rank[kind]:
                kind = level
    return text, kind


def archived_head(result: ArchiveResult, planned: int, where: str, *, bold: bool = False) -> str:
    """The summary's first sentence: "Archived 3 files (2 MB) to 'X'.", or, when the archive
    stopped part-way, "Archived 3 of 10 files (2 MB) to 'X', then stopped." — never a claim that
    nothing moved when something did."""
    count = f"{len(result.moved):,}"
    if bold:
        count = f"<b>{count}</b>"
    size = format_bytes(result.bytes_freed)
    if (result.cancelled or result.stopped) and planned > len(result.moved):
        return f"Archived {count} of {planned:,} files ({size}) to {where}, then stopped."
    return f"Archived {count} file(s) ({size}) to {where}."


def _names(items: tuple[tuple[str, str], ...], limit: int = 3) -> str:
    text = "; ".join(f"'{os.path.basename(p)}': {r}" for p, r in items[:limit])
    return text + (f"; and {len(items) - limit} more" if len(items) > limit else "")


class ArchiveFlow(QObject):
    """Owns the archive/undo workers for a :class:`DuplicatesPage`."""

    finished = Signal(object)          # (ScoredPairs, folder counts) after archive or undo; None on failure
    undo_available = Signal(bool)
    busy_changed = Signal(bool)

    def __init__(self, page: "DuplicatesPage", *, confirm: ConfirmFn | None = None) -> None:
        super().__init__(page)
        self._page = page
        self._confirm = confirm or confirm_with_dialog
        self.session: ReviewSession | None = None
        self.archive_folder = ""
        self.use_trash = False
        self.last_operation: str | None = None
        self.last_result: ArchiveResult | None = None
        self.last_undo: UndoResult | None = None
        self._worker: TaskWorker | None = None
        self._progress: QProgressDialog | None = None
        self._done: Callable[[object], None] | None = None
        self._planned = 0

    def set_session(self, session: ReviewSession | None) -> None:
        self.session = session
        self.last_operation = None
        if session is not None:
            ops = [op for op in session.operations() if op.kind == "archive" and op.entries]
            undone = {op.undoes for op in session.operations() if op.kind == "undo"}
            ops = [op for op in ops if op.id not in undone]
            self.last_operation = ops[-1].id if ops else None
        self.undo_available.emit(self.last_operation is not None)

    @property
    def is_busy(self) -> bool:
        return self._worker is not None

    def wait(self, msecs: int = 30000) -> None:
        worker = self._worker
        if worker is not None and worker.thread() is not None:
            worker.thread().wait(msecs)

    # --- archive -----------------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """Plan what the marks say, ask the user, then archive in a worker."""
        session = self.session
        if session is None or self._worker is not None:
            return
        if self._page.runner.busy:
            self._page.status_message.emit("One moment: still regrouping…")
            return
        draft = self._plan(session, Trash())
        if draft is None:
            return
        if not draft.entries:
            self._page.status_message.emit("Nothing is marked for archiving")
            return
        destination = self._confirm(draft.entries, draft.refused, self.archive_folder, self.use_trash, self._page)
        if destination is None:
            self._page.status_message.emit("Archive cancelled; nothing moved")
            return
        plan = self._plan(session, destination)
        if plan is None:
            return   # e.g. an archive folder inside the library: said in the message bar
        if isinstance(destination, ArchiveFolder):
            self.archive_folder, self.use_trash = destination.path, False
        else:
            self.use_trash = True
        trash = self._page.trash
        context = session.context

        def task(progress: Callable[[Progress], None], cancel: Any) -> tuple[ArchiveResult, Any]:
            result = session.archive(plan, trash=trash, progress=progress, cancel=cancel)
            return result, refreshed_library(context)

        where = "the trash" if isinstance(destination, Trash) else f"'{destination.path}'"
        self._planned = plan.files
        self._run(task, f"Archiving {plan.files:,} files to {where}…", plan.files, self._on_archived)

    def _on_archived(self, value: object) -> None:
        result, pairs = value  # type: ignore[misc]
        assert isinstance(result, ArchiveResult)
        self.last_result = result
        if result.moved:
            self.last_operation = result.operation_id
        where = "the trash" if self.use_trash else f"'{self.archive_folder}'"
        text, kind = _summary(
            archived_head(result, self._planned, where, bold=True),
            (result.skipped, f"{len(result.skipped)} changed since the scan and were left in place: "
                             f"{_names(result.skipped)}.", "warning"),
            (result.errors, f"{len(result.errors)} couldn't be moved and are still in place: {_names(result.errors)}.",
             "warning"),
            (result.stopped, f"Archiving stopped: {result.stopped}.", "error"),
            (result.cancelled, "You cancelled: the rest were not moved (Undo puts these back).", ""),
        )
        actions = []
        if result.moved:
            actions.append(("Undo", self.undo))
        actions.append(("Save Log…", self.save_log))
        self._page.messages.show_message(text, kind, actions=actions)
        self.undo_available.emit(self.last_operation is not None)
        self.finished.emit(pairs)

    # --- undo --------------------------------------------------------------------------------
    @Slot()
    def undo(self) -> None:
        """Put back the files of the last archive operation."""
        session = self.session
        if session is None or self.last_operation is None or self._worker is not None:
            return
        if self._page.runner.busy:   # the session is in use (a regroup, Find Similar's archive)
            self._page.status_message.emit("One moment: still regrouping…")
            return
        operation = self.last_operation
        context = session.context

        def task(progress: Callable[[Progress], None], _cancel: Any) -> tuple[UndoResult, Any]:
            result = session.undo(operation, progress=progress)
            return result, refreshed_library(context)

        self._run(task, "Putting the archived files back…", 0, self._on_undone)

    def _on_undone(self, value: object) -> None:
        result, pairs = value  # type: ignore[misc]
        assert isinstance(result, UndoResult)
        self.last_undo = result
        self.last_operation = None
        text, kind = _summary(
            f"Undone: <b>{len(result.restored) + len(result.already):,}</b> file(s) are back in their folders.",
            (result.refused, f"{len(result.refused)} couldn't be restored: {_names(result.refused)}.", "warning"),
            (result.stopped, f"Stopped: {result.stopped}.", "error"),
        )
        self._page.messages.show_message(text, kind, actions=[("Save Log…", self.save_log)])
        self.undo_available.emit(False)
        self.finished.emit(pairs)

    # --- shared --------------------------------------------------------------------------------
    def _plan(self, session: ReviewSession, destination: Destination) -> Any:
        """The workflow's plan, or None after telling the user why there is none (an archive
        folder inside the library, an unreadable library database...)."""
        try:
            return session.plan(destination)
        except LookalikeError as err:
            self._report_error(str(err))
            return None

    def _report_error(self, message: str) -> None:
        self._page.messages.show_message(message, "error")
        self._page.status_message.emit(message)

    def _run(self, task: Any, label: str, total: int, done: Callable[[object], None]) -> None:
        progress = QProgressDialog(label, "Cancel", 0, total, self._page)
        progress.setWindowTitle("Lookalike")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        worker = TaskWorker(task, self)
        progress.canceled.connect(worker.cancel)
        # Bound slots of this GUI-thread object, never lambdas: a lambda would run in the
        # worker's thread and touch widgets from there.
        worker.progressed.connect(self._on_progress)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self._done = done
        self._worker = worker
        self._progress = progress
        self.busy_changed.emit(True)
        worker.start()

    @Slot(object)
    def _on_worker_finished(self, value: object) -> None:
        done = self._done
        self._end()
        if done is not None:
            done(value)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        # Only when the task raised Cancelled (nothing to report); an archive cancelled part-way
        # returns its result and arrives in _on_worker_finished with what it moved.
        self._on_failed("Cancelled; nothing was moved.")

    @Slot(object)
    def _on_progress(self, p: Progress) -> None:
        if self._progress is not None and p.total:
            self._progress.setMaximum(p.total)
            self._progress.setValue(min(p.done, p.total))
            if p.current:
                self._progress.setLabelText(f"{os.path.basename(p.current)}  ({p.done:,} / {p.total:,})")

    def _end(self) -> None:
        self._worker = None
        self._done = None
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self.busy_changed.emit(False)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end()
        self._report_error(message)
        self.finished.emit(None)

    def save_log(self) -> None:
        """Export the archive log as CSV (written by the workflow)."""
        if self.session is None:
            return
        path, _ = QFileDialog.getSaveFileName(self._page, "Save Archive Log", "lookalike-archive-log.csv", "CSV (*.csv)")
        if path:
            try:
                self.session.log.write_csv(path)
            except (OSError, LookalikeError) as err:
                reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
                self._report_error(f"Couldn't save the log to '{path}': {reason}")

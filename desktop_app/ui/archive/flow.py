"""The window's face of the archive flow: one :class:`ArchiveFlow` for every page.

The flow itself (plan → confirm → run → summary → undo of the latest operation, the destination
remembered per library) is :class:`~desktop_app.workflow.archive_controller.ArchiveController`;
this is its view: the confirmation is an :class:`~desktop_app.ui.archive.dialog.ArchiveDialog`
(or an injected ``confirm`` function in tests); the planning (metadata reads for thousands of
photos), the move and the undo run in the window's
:class:`~desktop_app.ui.common.executor.SerialExecutor` (the move and the undo with a progress
dialog), so the GUI thread never waits on them; and each summary
goes to the page that asked (``summary_ready(summary, origin)``). Both pages and Edit → Undo
Archive share it, so Undo always means the latest archive, wherever it was made.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable, Iterable, Union, cast

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.errors import LookalikeError
from desktop_app.ui.archive.dialog import ArchiveDialog
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.workflow.archive import ArchivePlan, ArchiveResult, Destination, PlanEntry, Trash
from desktop_app.workflow.archive_controller import (
    ArchiveController,
    ArchiveSummary,
    RememberedDestination,
)
from desktop_app.workflow.groups import DuplicateGroup
from desktop_app.workflow.recovery import UndoResult
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import TrashBackend

log = logging.getLogger(__name__)

ARCHIVE, UNDO, LATEST = "archive", "undo", "undo-state"   # executor kinds
PLAN = "archive-plan"   # the draft plan, or the plan for the destination chosen

#: confirm(entries, refused, archive_folder, use_trash, parent) -> destination, or None to cancel;
#: or (destination, the flagged copies to keep in the library instead) when the plan flags some.
Confirmed = Union[Destination, tuple[Destination, tuple[str, ...]], None]
ConfirmFn = Callable[[tuple[PlanEntry, ...], tuple[tuple[str, str], ...], str, bool, QWidget], Confirmed]


def confirm_with_dialog(
    entries: tuple[PlanEntry, ...], refused: tuple[tuple[str, str], ...], archive_folder: str,
    use_trash: bool, parent: QWidget,
) -> tuple[Destination, tuple[str, ...]] | None:
    """The default confirmation: the modal :class:`ArchiveDialog` (which also asks about the
    copies that alone carry something: keep them, or archive them too)."""
    dialog = ArchiveDialog(entries, archive_folder=archive_folder, use_trash=use_trash, refused=refused, parent=parent)
    if dialog.exec() != ArchiveDialog.DialogCode.Accepted:
        return None
    return dialog.destination(), dialog.kept()


@dataclass
class _Preparing:
    """An archive being planned and confirmed (the steps between the executor and the dialog)."""

    groups: list[DuplicateGroup] | None
    trash: TrashBackend | None
    chosen: bool = False   # the user has chosen the destination (the next plan is for it)


class ArchiveFlow(QObject):
    """Implements :class:`~desktop_app.workflow.archive_controller.ArchiveView` for the window."""

    summary_ready = Signal(object, object)   # ArchiveSummary, the page (QWidget) that asked
    files_moved = Signal()                   # an archive or undo ended: the library may have changed
    undo_available = Signal(bool)
    running_changed = Signal(bool)           # an archive or undo runs (its progress dialog shows)

    def __init__(self, executor: SerialExecutor, *, confirm: ConfirmFn | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._confirm = confirm or confirm_with_dialog
        self.controller = ArchiveController(self)
        self._origin: QWidget | None = None
        self._plan: ArchivePlan | None = None
        self._preparing: _Preparing | None = None   # between start and the archive's submission
        self._kept: tuple[str, ...] = ()     # flagged copies the user keeps (see keep_flagged)
        self._progress: QProgressDialog | None = None
        self.last_result: ArchiveResult | None = None
        self.latest_operation: str | None = None
        executor.finished.connect(self._on_executor_finished)
        executor.failed.connect(self._on_executor_failed)
        executor.cancelled.connect(self._on_executor_cancelled)
        executor.progressed.connect(self._on_executor_progressed)

    # --- state ---------------------------------------------------------------------------------
    def set_session(self, session: ReviewSession | None) -> None:
        """The review session both pages share (None when the library closes)."""
        self.controller.set_session(session)
        self._preparing = None   # a plan of the previous library, still coming, is dropped
        self.last_result = None
        self.latest_operation = None
        self.undo_available.emit(False)
        if session is not None:
            controller = self.controller
            self._executor.submit(LATEST, lambda: (session, controller.latest_operation()))

    @property
    def session(self) -> ReviewSession | None:
        return self.controller.session

    @property
    def is_running(self) -> bool:
        """An archive or undo is being planned, confirmed, runs or waits in the executor."""
        return self._preparing is not None or self._executor.has(ARCHIVE, UNDO)

    @property
    def moving(self) -> bool:
        """An archive or undo runs or waits to run: files may be moving (the window must not
        close now)."""
        return self._executor.has(ARCHIVE, UNDO)

    def remembered(self) -> RememberedDestination:
        return self.controller.remembered()

    # --- the view protocol -----------------------------------------------------------------------
    def confirm(self, plan: ArchivePlan, remembered: RememberedDestination) -> Destination | None:
        parent = self._origin
        assert parent is not None
        answer = self._confirm(plan.entries, plan.refused, remembered.archive_folder, remembered.use_trash, parent)
        if isinstance(answer, tuple):
            destination, self._kept = answer
            return destination
        self._kept = ()   # a confirmation that didn't ask: archive as planned
        return answer

    def keep_flagged(self, plan: ArchivePlan) -> tuple[str, ...] | None:
        """Asked in the same dialog as the destination (see :meth:`confirm`)."""
        flagged = {e.source for e in plan.flagged}
        return tuple(p for p in self._kept if p in flagged)

    def report(self, summary: ArchiveSummary) -> None:
        self.summary_ready.emit(summary, self._origin)

    # --- archive -------------------------------------------------------------------------------
    def start(self, origin: QWidget, *, groups: Iterable[DuplicateGroup] | None = None,
              trash: TrashBackend | None = None) -> bool:
        """Plan the marks (of ``groups``, default the session's current groups) in the executor,
        confirm here, re-plan for the chosen destination in the executor, then archive there.
        False when nothing was started (already running, or no library: the reason is reported)."""
        if self.is_running:
            return False
        self._origin = origin
        if self.session is None:
            self.controller.failed("Open a library first.")
            return False
        self._preparing = _Preparing(None if groups is None else list(groups), trash)
        self._submit_plan(Trash())
        return True

    def _submit_plan(self, destination: Destination) -> None:
        preparing, controller = self._preparing, self.controller
        assert preparing is not None
        self._executor.submit(PLAN, lambda: controller.plan(destination, preparing.groups))

    def _planned(self, plan: ArchivePlan) -> None:
        """A plan came back from the executor: ask (the draft), or go on (the chosen one)."""
        preparing = self._preparing
        if preparing is None:
            return   # the library changed meanwhile
        if not preparing.chosen:
            destination = self.controller.choose(plan)
            if destination is None:
                self._preparing = None
                return
            preparing.chosen = True
            if destination != plan.destination:
                self._submit_plan(destination)
                return
        self._preparing = None
        settled = self.controller.settle(plan)
        if settled is not None:
            self._run(settled, preparing.trash)

    def _run(self, plan: ArchivePlan, trash: TrashBackend | None) -> None:
        controller = self.controller

        def task(progress: Callable[[Progress], None], cancel: CancelToken) -> ArchiveResult:
            return controller.run(plan, trash=trash, progress=progress, cancel=cancel)

        self._plan = plan
        where = "the trash" if isinstance(plan.destination, Trash) else f"'{plan.destination}'"
        self._show_progress(f"Archiving {plan.files:,} files to {where}…", plan.files)
        self._executor.submit_task(ARCHIVE, task)

    @Slot()
    def cancel(self) -> None:
        """Stop the running archive after the file being moved (what moved stays undoable)."""
        if self._executor.running_kind in (ARCHIVE, UNDO):
            self._executor.cancel()

    # --- undo --------------------------------------------------------------------------------
    def undo(self, origin: QWidget, operation_id: str | None = None) -> bool:
        """Put back the files of archive operation ``operation_id`` (a summary's own), or of the
        latest one, whichever page (or the CLI) made it. False when there is nothing to undo or
        an archive/undo is already under way."""
        if self.is_running or self.session is None or (operation_id is None and self.latest_operation is None):
            return False
        self._origin = origin
        controller = self.controller
        self._show_progress("Putting the archived files back…", 0)
        if operation_id is None:
            self._executor.submit_task(UNDO, lambda progress, cancel: controller.undo_latest(progress=progress, cancel=cancel))
        else:
            self._executor.submit_task(UNDO, lambda progress, cancel: controller.undo(operation_id, progress=progress,
                                                                                     cancel=cancel))
        return True

    # --- executor reports --------------------------------------------------------------------
    def _after(self, kind: str) -> None:
        """An archive or undo ended: what Undo means now (read in the executor, after it)."""
        self._close_progress()
        self.running_changed.emit(False)
        session, controller = self.session, self.controller
        if session is not None:
            self._executor.submit(LATEST, lambda: (session, controller.latest_operation()))
        self.files_moved.emit()

    @Slot(str, object)
    def _on_executor_finished(self, kind: str, value: object) -> None:
        if kind == PLAN:
            assert isinstance(value, ArchivePlan)
            self._planned(value)
        elif kind == LATEST:
            session, latest = cast(tuple[ReviewSession, "str | None"], value)
            if session is self.session:
                self.latest_operation = latest
                self.undo_available.emit(latest is not None)
        elif kind == ARCHIVE:
            assert isinstance(value, ArchiveResult) and self._plan is not None
            self.last_result = value
            plan, self._plan = self._plan, None
            if value.moved:   # Undo means this one now (the journal confirms it just after)
                self.latest_operation = value.operation_id
                self.undo_available.emit(True)
            self.controller.archived(plan, value)
            self._after(kind)
        elif kind == UNDO:
            assert isinstance(value, UndoResult)
            self.controller.undone(value)
            self._after(kind)

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        if kind == PLAN:   # e.g. an archive folder inside the library: nothing moved
            self._preparing = None
            self.controller.failed(message)
        elif kind in (ARCHIVE, UNDO):
            self._plan = None
            self.controller.failed(message)
            self._after(kind)
        elif kind == LATEST:
            log.warning("couldn't read the archive log: %s", message)

    @Slot(str)
    def _on_executor_cancelled(self, kind: str) -> None:
        # Only when the task raised Cancelled (nothing to report); an archive cancelled part-way
        # returns its result and arrives in _on_executor_finished with what it moved.
        self._on_executor_failed(kind, "Cancelled; nothing was moved.")

    # --- progress ----------------------------------------------------------------------------
    def _show_progress(self, label: str, total: int) -> None:
        parent = self._origin
        progress = QProgressDialog(label, "Cancel", 0, total, parent)
        progress.setWindowTitle("Lookalike")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(self.cancel)
        self._progress = progress
        self.running_changed.emit(True)

    @Slot(str, object)
    def _on_executor_progressed(self, kind: str, p: Progress) -> None:
        if kind in (ARCHIVE, UNDO) and self._progress is not None and p.total:
            self._progress.setMaximum(p.total)
            self._progress.setValue(min(p.done, p.total))
            if p.current:
                self._progress.setLabelText(f"{os.path.basename(p.current)}  ({p.done:,} / {p.total:,})")

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None

    # --- the log -----------------------------------------------------------------------------
    def save_log(self, parent: QWidget) -> str | None:
        """Export the archive log as CSV (written by the workflow); an error message or None."""
        session = self.session
        if session is None:
            return None
        # Not in the working directory, nor next to the photos (a library folder): Documents.
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        start = os.path.join(documents or os.path.expanduser("~"), "lookalike-archive-log.csv")
        path, _ = QFileDialog.getSaveFileName(parent, "Save Archive Log", start, "CSV (*.csv)")
        if not path:
            return None
        try:
            session.log.write_csv(path)
        except (OSError, LookalikeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            return f"Couldn't save the log to '{path}': {reason}"
        return None


__all__ = ["ARCHIVE", "PLAN", "UNDO", "ArchiveFlow", "ConfirmFn", "confirm_with_dialog"]

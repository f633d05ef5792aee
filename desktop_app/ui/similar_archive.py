"""Marking and archiving find-similar results, through the workflow layer.

The reference (when it is in the library) and the results form one ad-hoc
:class:`~desktop_app.workflow.groups.DuplicateGroup` in a private
:class:`~desktop_app.workflow.session.ReviewSession`, so the same promises hold as on the
duplicates page: protected files are never marked, a group is never archived whole (with an
outside reference, at least one result stays), marks are saved with the library, and archiving is
planned, confirmed, journaled and undoable. Everything starts *kept*: a search is not a proposal.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app.context.types import DuplicateCluster, ImageRecord, SimilarResult
from desktop_app.engine.progress import Progress
from desktop_app.errors import LookalikeError
from desktop_app.ui.archive_flow import ConfirmFn, archived_head, confirm_with_dialog
from desktop_app.ui.marks import set_photo_mark
from desktop_app.ui.workers import TaskWorker
from desktop_app.workflow.archive import ArchiveFolder, ArchiveResult, Trash
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.recovery import UndoResult
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import TrashBackend

log = logging.getLogger(__name__)


class SimilarArchive(QObject):
    """Marks on the results shown, and the archive/undo of the marked ones (worker thread)."""

    marks_changed = Signal()
    message = Signal(str)              # one line for the page ("Couldn't …", "Archived 3 files …")
    archived = Signal(object)          # ArchiveResult: the library changed (refresh views)
    undone = Signal(object)            # UndoResult
    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget, *, confirm: ConfirmFn | None = None,
                 trash: TrashBackend | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._confirm = confirm or confirm_with_dialog
        self._trash = trash
        self._context: Any = None
        self._session: ReviewSession | None = None
        self._group: DuplicateGroup | None = None
        self._worker: TaskWorker | None = None
        self.archive_folder = ""
        self.use_trash = False
        self.last_operation: str | None = None
        self._planned = 0

    # ----------------------------------------------------------------- state

    def set_context(self, context: Any) -> None:
        self._context = context
        self._session = None
        self._group = None
        self.last_operation = None
        self.marks_changed.emit()

    def _the_session(self) -> ReviewSession | None:
        if self._session is None and self._context is not None:
            # The duplicates page settles interrupted archives at start-up; don't race it here.
            self._session = ReviewSession(self._context, recover_now=False, trash=self._trash)
        return self._session

    def set_results(self, reference: ImageRecord | None, results: Sequence[SimilarResult]) -> None:
        """The group is the reference (if in the library) and the results on screen."""
        session = self._the_session()
        members = ((SimilarResult(reference, 100.0),) if reference is not None else ()) + tuple(
            r for r in results if reference is None or r.image.path != reference.path)
        if session is None or not members:
            self._group = None
        else:
            group = session.groups_from([DuplicateCluster(members)])[0]
            fresh = {m.path: Mark.KEEP for m in group.members if m.chosen_by == "default"}
            if fresh:
                group.set_marks(fresh, chosen_by="default")
            self._group = group
        self.marks_changed.emit()

    def marked(self) -> set[str]:
        """Paths marked for archiving (saved marks from earlier reviews included)."""
        return {m.path for m in self._group.archived} if self._group is not None else set()

    def available(self) -> bool:
        return self._group is not None and self._worker is None

    def is_busy(self) -> bool:
        return self._worker is not None

    def toggle(self, paths: Sequence[str]) -> None:
        """Mark ``paths`` for archiving, or keep them again if they all were marked."""
        session, group = self._session, self._group
        if session is None or group is None:
            self.message.emit("Open a library to mark photos for archiving.")
            return
        paths = [p for p in paths if p in group]
        archive = not all(p in self.marked() for p in paths)
        for path in paths:
            try:
                set_photo_mark(session, path, Mark.ARCHIVE if archive else Mark.KEEP)   # RAW+JPEG together
            except LookalikeError as err:  # SelectionError: protected, or the last kept copy
                self.message.emit(str(err))
                break
        self.marks_changed.emit()

    # ----------------------------------------------------------------- archive / undo

    @Slot()
    def archive(self) -> None:
        """Plan the marked files, ask the user where to, and move them in a worker."""
        session, group = self._session, self._group
        if session is None or group is None or self._worker is not None:
            return
        try:
            draft = session.plan(Trash(), [group])
        except LookalikeError as err:
            self.message.emit(str(err))
            return
        if not draft.entries:
            self.message.emit("Nothing is marked for archiving" + (
                f" ({len(draft.refused)} marked file(s) must stay: {draft.refused[0][1]})." if draft.refused else "."))
            return
        destination = self._confirm(draft.entries, draft.refused, self.archive_folder, self.use_trash, self._parent)
        if destination is None:
            self.message.emit("Archive cancelled; nothing moved.")
            return
        if isinstance(destination, ArchiveFolder):
            self.archive_folder, self.use_trash = destination.path, False
        else:
            self.use_trash = True
        try:
            plan = session.plan(destination, [group])
        except LookalikeError as err:
            self.message.emit(str(err))
            return

        def task(progress: Callable[[Progress], None], cancel: Any) -> ArchiveResult:
            return session.archive(plan, progress=progress, cancel=cancel)

        self._planned = plan.files

        self._run(task, self._on_archived)

    @Slot()
    def undo(self) -> None:
        """Put back the files of the last archive made here."""
        session, operation = self._session, self.last_operation
        if session is None or operation is None or self._worker is not None:
            return

        def task(progress: Callable[[Progress], None], _cancel: Any) -> UndoResult:
            return session.undo(operation, progress=progress)

        self._run(task, self._on_undone)

    def wait(self, msecs: int = 30_000) -> None:
        worker = self._worker
        if worker is not None and worker.thread() is not None:
            worker.thread().wait(msecs)

    def _run(self, task: Any, done: Callable[[Any], None]) -> None:
        worker = TaskWorker(task)
        worker.finished.connect(done)
        worker.failed.connect(self._on_failed)
        # Only a task that raised Cancelled: one stopped part-way returns its result (finished).
        worker.cancelled.connect(self._on_cancelled)
        self._worker = worker
        self.busy_changed.emit(True)
        worker.start()

    def _end(self) -> None:
        self._worker = None
        self.busy_changed.emit(False)

    @Slot(object)
    def _on_archived(self, result: ArchiveResult) -> None:
        self._end()
        if result.moved:
            self.last_operation = result.operation_id
        where = "the trash" if self.use_trash else f"'{self.archive_folder}'"
        text = archived_head(result, self._planned, where)
        problems = list(result.errors) + list(result.skipped)
        if problems:
            text += f" {len(problems)} not moved: {problems[0][1]}."
        self.message.emit(text)
        self.archived.emit(result)

    @Slot(object)
    def _on_undone(self, result: UndoResult) -> None:
        self._end()
        self.last_operation = None
        text = f"Restored {len(result.restored) + len(result.already)} file(s)."
        if result.refused:
            text += f" {len(result.refused)} could not be restored: {result.refused[0][1]}."
        self.message.emit(text)
        self.undone.emit(result)

    @Slot()
    def _on_cancelled(self) -> None:
        self._end()
        self.message.emit("Cancelled; nothing was moved.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end()
        self.message.emit(message)

"""Marking and archiving find-similar results, through the workflow layer.

The reference (when it is in the library) and the results form one ad-hoc
:class:`~desktop_app.workflow.groups.DuplicateGroup` in the Duplicates page's
:class:`~desktop_app.workflow.session.ReviewSession` (shared through :meth:`SimilarArchive.share`:
one set of marks, so a mark made here shows there and the other way round), so the same promises
hold: protected files are never marked, a group is never archived whole (with an outside
reference, at least one result stays), marks are saved with the library, and archiving is planned,
confirmed, journaled and undoable. Everything starts *kept*: a search is not a proposal.

The session is not thread-safe: everything that works on it off the GUI thread (building the
group, archive, undo) goes through the page's :class:`~desktop_app.ui.common.session_runner.SessionRunner`,
which runs one operation at a time; marks change on the GUI thread only while nothing runs.
Standalone (no Duplicates page, as in tests), the archive opens its own session and runner.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app.context.types import DuplicateCluster, ImageRecord, SimilarResult
from desktop_app.errors import LookalikeError
from desktop_app.ui.archive.flow import ConfirmFn, archived_head, confirm_with_dialog
from desktop_app.ui.common.marks import set_photo_mark
from desktop_app.ui.common.session_runner import SessionRunner
from desktop_app.workflow.archive import ArchiveFolder, ArchiveResult, Trash
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.recovery import UndoResult
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import TrashBackend

log = logging.getLogger(__name__)

GROUP, ARCHIVE, UNDO, OPEN = "similar-group", "similar-archive", "similar-undo", "similar-session"


class SimilarArchive(QObject):
    """Marks on the results shown, and the archive/undo of the marked ones (worker thread)."""

    marks_changed = Signal()
    marks_edited = Signal()            # a mark changed here by hand: the Duplicates page regroups
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
        self._members: tuple[SimilarResult, ...] = ()
        self._generation = 0              # results or session changed: older group builds are stale
        self._built = 0                   # the generation of the group shown
        self._runner = SessionRunner(self)
        self._shared = False
        self._other_busy: Callable[[], bool] = lambda: False
        self._running: str | None = None  # ARCHIVE or UNDO while it runs
        self.archive_folder = ""
        self.use_trash = False
        self.last_operation: str | None = None
        self._planned = 0
        self._connect_runner()

    # ----------------------------------------------------------------- state

    def share(self, runner: SessionRunner, busy: Callable[[], bool]) -> None:
        """Use the Duplicates page's session (given by :meth:`set_session`) and its runner;
        ``busy()`` says the page is using the session (its own archive in a worker)."""
        self._runner.finished.disconnect(self._on_runner_finished)
        self._runner.failed.disconnect(self._on_runner_failed)
        self._runner = runner
        self._shared = True
        self._other_busy = busy
        self._connect_runner()

    def _connect_runner(self) -> None:
        self._runner.finished.connect(self._on_runner_finished)
        self._runner.failed.connect(self._on_runner_failed)

    def set_context(self, context: Any) -> None:
        self._context = context
        self._group = None
        self._members = ()
        self.last_operation = None
        if not self._shared:
            self._session = None
            if context is not None:
                # Standalone: a session of our own, opened off the GUI thread. The Duplicates
                # page settles interrupted archives; don't race it here.
                trash = self._trash
                self._runner.submit(OPEN, lambda: (context, ReviewSession(context, recover_now=False, trash=trash)))
        self._generation += 1
        self.marks_changed.emit()

    def set_session(self, session: ReviewSession | None) -> None:
        """The shared session (the Duplicates page opened it, or None when it closed)."""
        self._session = session
        self._rebuild()

    def set_results(self, reference: ImageRecord | None, results: Sequence[SimilarResult]) -> None:
        """The group is the reference (if in the library) and the results on screen."""
        self._members = ((SimilarResult(reference, 100.0),) if reference is not None else ()) + tuple(
            r for r in results if reference is None or r.image.path != reference.path)
        self._rebuild()

    @Slot()
    def reload(self) -> None:
        """Marks changed on the Duplicates page: rebuild the group so they show here."""
        self._rebuild()

    def _rebuild(self) -> None:
        """Build the group in the runner (the session's saved marks applied), then show it."""
        self._generation += 1
        session, members, generation = self._session, self._members, self._generation
        if session is None or not members:
            self._group = None
            self._built = generation
            self.marks_changed.emit()
            return

        def build() -> tuple[int, DuplicateGroup]:
            # Build only: the session's current groups are the Duplicates page's.
            group = session.groups_from([DuplicateCluster(members)], make_current=False)[0]
            fresh = {m.path: Mark.KEEP for m in group.members if m.chosen_by == "default"}
            if fresh:
                group.set_marks(fresh, chosen_by="default")
            return generation, group

        self._runner.submit(GROUP, build)

    def marked(self) -> set[str]:
        """Paths marked for archiving (saved marks from earlier reviews included)."""
        return {m.path for m in self._group.archived} if self._group is not None else set()

    def available(self) -> bool:
        return self._group is not None and self._running is None

    def is_busy(self) -> bool:
        return self._running is not None

    def settling(self) -> bool:
        """True until the group of the latest results (with its marks) is built."""
        return self._built != self._generation and self._session is not None

    def _session_busy(self) -> bool:
        return self._runner.busy or self._other_busy()

    def toggle(self, paths: Sequence[str]) -> None:
        """Mark ``paths`` for archiving, or keep them again if they all were marked."""
        session, group = self._session, self._group
        if session is None or group is None:
            self.message.emit("Open a library to mark photos for archiving.")
            return
        if self._session_busy():
            self.message.emit("One moment: the library is busy (regrouping or archiving)…")
            return
        paths = [p for p in paths if p in group]
        archive = not all(p in self.marked() for p in paths)
        mark = Mark.ARCHIVE if archive else Mark.KEEP
        for path in paths:
            try:
                # In this group (its checks: protected, the last kept copy); RAW+JPEG together.
                set_photo_mark(session, path, mark, group=group)
            except LookalikeError as err:  # SelectionError: protected, or the last kept copy
                self.message.emit(str(err))
                break
        self.marks_changed.emit()
        self.marks_edited.emit()

    # ----------------------------------------------------------------- archive / undo

    @Slot()
    def archive(self) -> None:
        """Plan the marked files, ask the user where to, and move them in a worker."""
        session, group = self._session, self._group
        if session is None or group is None or self._running is not None:
            return
        if self._session_busy():
            self.message.emit("One moment: the library is busy (regrouping or archiving)…")
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

        self._planned = plan.files
        self._run(ARCHIVE, lambda: session.archive(plan))

    @Slot()
    def undo(self) -> None:
        """Put back the files of the last archive made here."""
        session, operation = self._session, self.last_operation
        if session is None or operation is None or self._running is not None:
            return
        if self._other_busy():
            self.message.emit("One moment: the library is busy (archiving)…")
            return
        self._run(UNDO, lambda: session.undo(operation))

    def wait(self, msecs: int = 30_000) -> None:
        if not self._shared or self._running is not None:
            self._runner.wait(msecs)

    def _run(self, kind: str, fn: Callable[[], Any]) -> None:
        # In the runner: after any regroup of the shared session, before the next one. (No
        # Cancel here: the few files of one search move in a moment.)
        self._running = kind
        self.busy_changed.emit(True)
        self._runner.submit(kind, fn)

    def _end(self) -> None:
        self._running = None
        self.busy_changed.emit(False)

    @Slot(str, object)
    def _on_runner_finished(self, kind: str, result: object) -> None:
        if kind == OPEN:
            context, session = result  # type: ignore[misc]
            if context is self._context and not self._shared:
                self._session = session
                self._rebuild()
        elif kind == GROUP:
            generation, group = result  # type: ignore[misc]
            if generation == self._generation:
                self._group, self._built = group, generation
                self.marks_changed.emit()
        elif kind == ARCHIVE and self._running == ARCHIVE:
            self._on_archived(result)  # type: ignore[arg-type]
        elif kind == UNDO and self._running == UNDO:
            self._on_undone(result)  # type: ignore[arg-type]

    @Slot(str, str)
    def _on_runner_failed(self, kind: str, message: str) -> None:
        if kind in (ARCHIVE, UNDO) and self._running == kind:
            self._on_failed(message)
        elif kind in (GROUP, OPEN):
            log.info("find similar: %s failed: %s", kind, message)
            self._group, self._built = None, self._generation
            self.message.emit(message)
            self.marks_changed.emit()

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

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end()
        self.message.emit(message)

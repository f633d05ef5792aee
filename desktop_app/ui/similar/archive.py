"""Marking and archiving find-similar results, through the workflow layer.

The reference (when it is in the library) and the results form one ad-hoc
:class:`~desktop_app.workflow.groups.DuplicateGroup` in the Duplicates page's
:class:`~desktop_app.workflow.session.ReviewSession` (one set of marks, so a mark made here shows
there and the other way round), so the same promises hold: protected files are never marked, a
group is never archived whole (with an outside reference, at least one result stays), marks are
saved with the library, and archiving is planned, confirmed, journaled and undoable — by the
window's one :class:`~desktop_app.ui.archive.flow.ArchiveFlow`. Everything starts *kept*: a search
is not a proposal.

The session is not thread-safe: everything that uses it (building the group, a mark, archive,
undo) goes through the window's :class:`~desktop_app.ui.common.executor.SerialExecutor`.
Standalone (no window, as in tests), the page has an executor and a flow of its own, and this
opens its own session.
"""

from __future__ import annotations

import logging
from typing import Any, Sequence, cast

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app.context.types import DuplicateCluster, ImageRecord, SimilarResult
from desktop_app.ui.archive.flow import ArchiveFlow
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.workflow.photo_marks import set_photo_mark
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import TrashBackend

log = logging.getLogger(__name__)

GROUP, MARKS, OPEN = "similar-group", "similar-marks", "similar-session"   # executor kinds


class SimilarArchive(QObject):
    """Marks on the results shown; archive and undo through the shared flow."""

    marks_changed = Signal()
    marks_edited = Signal()            # a mark changed here by hand: the Duplicates page regroups
    message = Signal(str)              # one line for the page ("Couldn't …", "One moment …")

    def __init__(self, parent: QWidget, executor: SerialExecutor, flow: ArchiveFlow, *, shared: bool,
                 trash: TrashBackend | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._executor = executor
        self._flow = flow
        self._shared = shared             # the window's session (set_session) or one of our own
        self._trash = trash
        self._context: Any = None
        self._session: ReviewSession | None = None
        self._group: DuplicateGroup | None = None
        self._members: tuple[SimilarResult, ...] = ()
        self._generation = 0              # results or session changed: older group builds are stale
        self._built = 0                   # the generation of the group shown
        executor.finished.connect(self._on_executor_finished)
        executor.failed.connect(self._on_executor_failed)

    # ----------------------------------------------------------------- state

    def set_context(self, context: Any) -> None:
        self._context = context
        self._group = None
        self._members = ()
        if not self._shared:
            self._session = None
            self._flow.set_session(None)
            if context is not None:
                # Standalone: a session of our own, opened off the GUI thread. The Duplicates
                # page settles interrupted archives; don't race it here.
                trash = self._trash
                self._executor.submit(OPEN, lambda: (context, ReviewSession(context, recover_now=False, trash=trash)))
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
        """Build the group in the executor (the session's saved marks applied), then show it."""
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

        self._executor.submit(GROUP, build)

    def marked(self) -> set[str]:
        """Paths marked for archiving (saved marks from earlier reviews included)."""
        return {m.path for m in self._group.archived} if self._group is not None else set()

    def available(self) -> bool:
        return self._group is not None and not self._flow.is_running

    def settling(self) -> bool:
        """True until the group of the latest results (with its marks) is built and every mark
        asked for is saved."""
        return (self._built != self._generation and self._session is not None) or self._executor.has(MARKS)

    def toggle(self, paths: Sequence[str]) -> None:
        """Mark ``paths`` for archiving, or keep them again if they all were marked (in the
        executor: the marks are saved with the library)."""
        session, group = self._session, self._group
        if session is None or group is None:
            self.message.emit("Open a library to mark photos for archiving.")
            return
        if self._flow.is_running:
            self.message.emit("One moment: the library is busy (archiving)…")
            return
        paths = [p for p in paths if p in group]
        mark = Mark.KEEP if all(p in self.marked() for p in paths) else Mark.ARCHIVE

        def apply() -> None:
            for path in paths:
                # In this group (its checks: protected, the last kept copy); RAW+JPEG together.
                # SelectionError (protected, the last kept copy) stops here and is reported.
                set_photo_mark(session, path, mark, group=group)

        self._executor.submit(MARKS, apply)

    # ----------------------------------------------------------------- archive / undo

    @Slot()
    def archive(self) -> None:
        """Plan the marked files, ask the user where to, and move them (the shared flow)."""
        group = self._group
        if self._session is None or group is None or self._flow.is_running:
            return
        # planned in the executor, after the marks and the group queued there
        self._flow.start(self._parent, groups=[group], trash=self._trash)

    @Slot()
    def undo(self) -> None:
        """Put back the files of the latest archive (this page's or the Duplicates page's)."""
        self._flow.undo(self._parent)

    def can_undo(self) -> bool:
        return self._flow.latest_operation is not None and not self._flow.is_running

    def wait(self, msecs: int = 30_000) -> None:
        if not self._shared:
            self._executor.wait(msecs)

    @Slot(str, object)
    def _on_executor_finished(self, kind: str, result: object) -> None:
        if kind == OPEN:
            context, session = cast(tuple[Any, ReviewSession], result)
            if context is self._context and not self._shared:
                self._session = session
                self._flow.set_session(session)
                self._rebuild()
        elif kind == GROUP:
            generation, group = cast(tuple[int, DuplicateGroup], result)
            if generation == self._generation:
                self._group, self._built = group, generation
                self.marks_changed.emit()
        elif kind == MARKS:
            self.marks_changed.emit()
            self.marks_edited.emit()

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        if kind == MARKS:
            self.message.emit(message)
            self.marks_changed.emit()     # the marks set before the refusal
            self.marks_edited.emit()
        elif kind in (GROUP, OPEN):
            log.info("find similar: %s failed: %s", kind, message)
            self._group, self._built = None, self._generation
            self.message.emit(message)
            self.marks_changed.emit()

"""The archive flow every front end shares: plan → confirm → run → summary → undo of the latest
operation, with the destination remembered per library.

The window's pages and the CLI drive the same :class:`ArchiveController` through a small view
(:class:`ArchiveView`: ``confirm(plan, remembered)`` and ``report(summary)``), as dupeGuru's core
drives its GUI objects through ``self.view``. The steps are separate methods because a GUI runs
them on different threads: :meth:`plan`, :meth:`run` and :meth:`undo_latest` wherever the
session's one thread is (a worker: planning reads metadata and may take seconds), :meth:`choose`,
:meth:`settle`, :meth:`archived` / :meth:`undone` on the GUI thread (they ask and report).
:meth:`prepare` and :meth:`archive` chain them on one thread for a headless front end.

"The latest operation" is read from the journal (:meth:`ArchiveLog.latest_undoable`), never
remembered by a page: an archive made from Duplicates and then one from Find Similar (or from the
CLI) are undone newest first, wherever Undo is pressed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Protocol

from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.errors import LookalikeError
from desktop_app.workflow.archive import ArchiveFolder, ArchivePlan, ArchiveResult, Destination, Trash
from desktop_app.workflow.groups import DuplicateGroup
from desktop_app.workflow.recovery import UndoResult
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import TrashBackend

log = logging.getLogger(__name__)

#: Keys of the library's settings (the context's JSON settings) that remember the destination.
FOLDER_SETTING = "archive_folder"
TRASH_SETTING = "archive_to_trash"

#: Why a flagged copy stayed (``plan.refused``): the user kept it rather than lose what only it has.
KEPT_REASON = "kept: only this copy has something the kept files don't"

# ArchiveSummary.kind
ARCHIVED, UNDONE, NOTHING, CANCELLED, FAILED = "archived", "undone", "nothing", "cancelled", "failed"


@dataclass(frozen=True)
class RememberedDestination:
    """Where the last archive of a library went: offered again by the next confirmation."""

    archive_folder: str = ""
    use_trash: bool = False

    def after(self, destination: Destination) -> "RememberedDestination":
        if isinstance(destination, ArchiveFolder):
            return RememberedDestination(destination.path, False)
        return RememberedDestination(self.archive_folder, True)


@dataclass(frozen=True)
class ArchiveSummary:
    """What one step of the flow came to, for the view to say.

    ``kind``: ``archived`` (``result``, ``planned``, ``destination``), ``undone`` (``undo``),
    ``nothing`` (no file marked; ``refused`` says which marked files must stay), ``cancelled``
    (the user said no), ``failed`` (``message``: one sentence)."""

    kind: str
    result: ArchiveResult | None = None
    undo: UndoResult | None = None
    planned: int = 0
    destination: Destination | None = None
    refused: tuple[tuple[str, str], ...] = ()
    message: str = ""

    @property
    def where(self) -> str:
        """"the trash" or "'/the/folder'", as the summaries name the destination."""
        if isinstance(self.destination, ArchiveFolder):
            return f"'{self.destination.path}'"
        return "the trash"


class ArchiveView(Protocol):
    """What the flow needs of a front end."""

    def confirm(self, plan: ArchivePlan, remembered: RememberedDestination) -> Destination | None:
        """Show ``plan`` (drafted for ``plan.destination``); the destination the user chose, or
        None to cancel. ``remembered`` is what this library used last time."""

    def report(self, summary: ArchiveSummary) -> None:
        """Say what happened (GUI thread)."""

    def keep_flagged(self, plan: ArchivePlan) -> tuple[str, ...] | None:
        """``plan`` flags copies that alone carry something their keepers don't
        (``plan.flagged``, the information-loss guard): which of them to keep in the library
        instead (their units stay whole), () to archive them too, or None to cancel."""


class ArchiveController:
    """One library's archive flow. ``session`` is the review session whose marks are planned;
    it is not thread-safe, so :meth:`run` and :meth:`undo_latest` must run where the session's
    other operations run (the GUI's serial executor)."""

    def __init__(self, view: ArchiveView, session: ReviewSession | None = None) -> None:
        self.view = view
        self.session = session
        self._remembered: RememberedDestination | None = None

    def set_session(self, session: ReviewSession | None) -> None:
        self.session = session
        self._remembered = None

    # --- the remembered destination --------------------------------------------------------
    def remembered(self) -> RememberedDestination:
        """This library's last destination (read once from its settings)."""
        if self._remembered is None:
            values = {}
            if self.session is not None:
                try:
                    values = self.session.context.settings()
                except LookalikeError:
                    log.warning("couldn't read the library's settings", exc_info=True)
            self._remembered = RememberedDestination(
                str(values.get(FOLDER_SETTING) or ""), bool(values.get(TRASH_SETTING, False)))
        return self._remembered

    def _remember(self, session: ReviewSession, destination: Destination) -> None:
        """Saved with the library (a database write: called from :meth:`run`, off the GUI thread)."""
        remembered = self.remembered().after(destination)
        self._remembered = remembered
        try:
            session.context.update_settings(
                {FOLDER_SETTING: remembered.archive_folder or None, TRASH_SETTING: remembered.use_trash})
        except LookalikeError:
            log.warning("couldn't remember the archive destination", exc_info=True)

    # --- archive: the steps a front end sequences ------------------------------------------------
    # plan(draft) [session's thread] -> choose [GUI] -> plan(destination) if it differs [session's
    # thread] -> settle [GUI] -> run [session's thread] -> archived [GUI]. Planning reads every
    # marked photo's metadata (the information-loss guard) and looks for companions: seconds for
    # thousands of photos, so a GUI runs it in its executor, never on the GUI thread.
    def plan(self, destination: Destination, groups: list[DuplicateGroup] | None = None) -> ArchivePlan:
        """Plan what the marks say (of ``groups``, default all the session's current groups) for
        ``destination`` (the session's thread). Also reads the remembered destination, so the
        confirmation that follows needn't read the library. Raises LookalikeError (e.g. an
        archive folder inside the library)."""
        session = self._session()
        self.remembered()
        return session.plan(destination, groups)

    def choose(self, first: ArchivePlan) -> Destination | None:
        """Ask the view where ``first`` (the draft plan) goes (GUI thread). None after reporting
        why nothing goes anywhere (nothing marked, or cancelled)."""
        if not first.entries:
            self.view.report(ArchiveSummary(NOTHING, refused=first.refused, destination=first.destination))
            return None
        destination = self.view.confirm(first, self.remembered())
        if destination is None:
            self.view.report(ArchiveSummary(CANCELLED))
        return destination

    def settle(self, plan: ArchivePlan) -> ArchivePlan | None:
        """The plan to run once the view has said which flagged copies to keep (GUI thread), or
        None after reporting why there is none (cancelled, or nothing left to move)."""
        if not plan.flagged:
            return plan
        keep = self.view.keep_flagged(plan)
        if keep is None:
            self.view.report(ArchiveSummary(CANCELLED))
            return None
        plan = plan.without(keep, KEPT_REASON) if keep else plan
        if not plan.entries:
            self.view.report(ArchiveSummary(NOTHING, refused=plan.refused, destination=plan.destination))
            return None
        return plan

    def prepare(
        self, groups: Iterable[DuplicateGroup] | None = None, *, draft: Destination | None = None,
    ) -> ArchivePlan | None:
        """The steps up to :meth:`run` on one thread (a headless front end): the confirmed plan,
        or None after reporting why there is none. ``draft``: the destination shown while asking
        (default: the trash)."""
        targets = None if groups is None else list(groups)
        try:
            first = self.plan(draft or Trash(), targets)
            destination = self.choose(first)
            if destination is None:
                return None
            plan = first if destination == first.destination else self.plan(destination, targets)
        except LookalikeError as err:
            self.failed(str(err))
            return None
        return self.settle(plan)

    def run(self, plan: ArchivePlan, *, trash: TrashBackend | None = None, progress: ProgressFn | None = None,
            cancel: CancelToken | None = None) -> ArchiveResult:
        """Carry out a confirmed plan (any thread: the session's). Remembers its destination."""
        session = self._session()
        self._remember(session, plan.destination)
        return session.archive(plan, trash=trash, progress=progress, cancel=cancel)

    def archived(self, plan: ArchivePlan, result: ArchiveResult) -> ArchiveSummary:
        summary = ArchiveSummary(ARCHIVED, result=result, planned=plan.files, destination=plan.destination)
        self.view.report(summary)
        return summary

    def archive(self, groups: Iterable[DuplicateGroup] | None = None, *, draft: Destination | None = None,
                trash: TrashBackend | None = None, progress: ProgressFn | None = None,
                cancel: CancelToken | None = None) -> ArchiveSummary | None:
        """The whole flow on one thread (a headless front end). None when nothing ran."""
        plan = self.prepare(groups, draft=draft)
        if plan is None:
            return None
        try:
            result = self.run(plan, trash=trash, progress=progress, cancel=cancel)
        except LookalikeError as err:
            return self.failed(str(err))
        return self.archived(plan, result)

    # --- undo --------------------------------------------------------------------------------
    def latest_operation(self) -> str | None:
        """The id of the archive operation Undo would bring back (reads the journal)."""
        session = self.session
        if session is None:
            return None
        latest = session.log.latest_undoable()
        return latest.id if latest is not None else None

    def undo_latest(self, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> UndoResult:
        """Bring back the files of the latest archive operation, whoever made it (any thread:
        the session's). Raises ArchiveError when there is none. ``cancel`` stops between units."""
        return self._session().undo(None, progress=progress, cancel=cancel)

    def undo(self, operation_id: str, *, progress: ProgressFn | None = None,
             cancel: CancelToken | None = None) -> UndoResult:
        """Bring back the files of one named operation (a summary's Undo, the CLI's ``undo OPERATION``)."""
        return self._session().undo(operation_id, progress=progress, cancel=cancel)

    def undone(self, result: UndoResult) -> ArchiveSummary:
        summary = ArchiveSummary(UNDONE, undo=result)
        self.view.report(summary)
        return summary

    def failed(self, message: str) -> ArchiveSummary:
        summary = ArchiveSummary(FAILED, message=message)
        self.view.report(summary)
        return summary

    def _session(self) -> ReviewSession:
        if self.session is None:
            raise LookalikeError("Open a library first.")
        return self.session


__all__ = [
    "ARCHIVED", "CANCELLED", "FAILED", "NOTHING", "UNDONE", "ArchiveController", "ArchiveSummary",
    "KEPT_REASON", "ArchiveView", "RememberedDestination",
]

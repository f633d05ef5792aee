"""A page's message bar as the archive flow's view: the summaries of the archives and undos that
page asked for (with Undo and Save Log… on them, and the details of an archive in
:class:`~desktop_app.ui.archive.summary_dialog.ArchiveSummaryDialog`), and a one-line echo for
the status bar."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from desktop_app.ui.archive.flow import ArchiveFlow
from desktop_app.ui.archive.summary_dialog import ArchiveSummaryDialog
from desktop_app.ui.archive.texts import message_bar_text, status_text
from desktop_app.ui.common.states import MessageBar
from desktop_app.workflow.archive_controller import ARCHIVED, CANCELLED, NOTHING, UNDONE, ArchiveSummary


class SummaryBar(QObject):
    """Shows ``flow``'s summaries for ``page`` in ``messages``; ``status(line)`` echoes each.
    ``undo(operation_id)`` undoes the archive a summary describes (not whatever is latest)."""

    status = Signal(str)

    def __init__(self, flow: ArchiveFlow, messages: MessageBar, page: QWidget, *,
                 undo: Callable[[str | None], None]) -> None:
        super().__init__(page)
        self._flow = flow
        self._messages = messages
        self._page = page
        self._undo = undo
        self.summary_dialog: ArchiveSummaryDialog | None = None   # the last archive's details
        flow.summary_ready.connect(self._on_summary)

    @Slot(object, object)
    def _on_summary(self, summary: ArchiveSummary, origin: object) -> None:
        if origin is not self._page:
            return
        if summary.kind in (NOTHING, CANCELLED):
            self.status.emit(status_text(summary))
            return
        text, kind = message_bar_text(summary)
        actions: list[tuple[str, Callable[[], None]]] = []
        if summary.kind == ARCHIVED and summary.result is not None and summary.result.moved:
            actions.append(("Undo", self._undo_of(summary)))
        if summary.kind in (ARCHIVED, UNDONE):
            actions.append(("Save Log…", self.save_log))
        result = summary.result
        if summary.kind == ARCHIVED and result is not None and (result.moved or result.skipped or result.errors):
            actions.insert(0, ("Details…", lambda: self.show_details(summary)))
            self.show_details(summary)
        self._messages.show_message(text, kind, actions=actions)
        self.status.emit(text.replace("<b>", "").replace("</b>", ""))

    def show_details(self, summary: ArchiveSummary) -> None:
        """What moved and what stayed, with Show in Archive, Save Log… and Undo (not modal)."""
        if self.summary_dialog is not None:
            self.summary_dialog.close()
        self.summary_dialog = ArchiveSummaryDialog(summary, undo=self._undo_of(summary), save_log=self.save_log, parent=self._page)
        self.summary_dialog.show()

    def _undo_of(self, summary: ArchiveSummary) -> Callable[[], None]:
        """Undo of the operation ``summary`` describes."""
        operation_id = summary.result.operation_id if summary.result is not None else None
        return lambda: self._undo(operation_id)

    def save_log(self) -> None:
        """Export the archive log as CSV; a failure is said in the bar."""
        problem = self._flow.save_log(self._page)
        if problem:
            self._messages.show_message(problem, "error")
            self.status.emit(problem)

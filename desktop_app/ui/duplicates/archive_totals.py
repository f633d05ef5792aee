"""What the Duplicates page's "Archive N files (size)" button says: the totals of the archive
plan itself (:meth:`~desktop_app.workflow.session.ReviewSession.archive_totals`: photos plus the
companion files that travel with them), so the button and the confirmation never disagree.

Counting companions reads the photos' folders, so the totals are computed in the window's
:class:`~desktop_app.ui.common.executor.SerialExecutor` after each change of the marks (the GUI
thread never waits on it); requests made while one is queued coalesce into one more.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.workflow.session import ArchiveTotals, ReviewSession

TOTALS = "archive-totals"   # executor kind


class ArchiveTotalsCounter(QObject):
    """``request(session)`` after the marks changed; ``ready(ArchiveTotals)`` when counted."""

    ready = Signal(object)   # ArchiveTotals

    def __init__(self, executor: SerialExecutor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._session: ReviewSession | None = None
        self._again = False   # asked while a count was queued or running: count once more after it
        self.totals = ArchiveTotals()
        executor.finished.connect(self._on_finished)
        executor.failed.connect(self._on_failed)

    def request(self, session: ReviewSession | None) -> None:
        """Count (in the executor) what archiving ``session``'s marks would move now."""
        if session is not self._session:
            self.totals = ArchiveTotals()
        self._session = session
        if session is None:
            return
        if self._executor.has(TOTALS):
            self._again = True
            return
        self._executor.submit(TOTALS, lambda: (session, session.archive_totals()))

    @Slot(str, object)
    def _on_finished(self, kind: str, value: object) -> None:
        if kind != TOTALS:
            return
        session, totals = value if isinstance(value, tuple) else (None, None)
        if session is self._session and isinstance(totals, ArchiveTotals):
            self.totals = totals
            self.ready.emit(totals)
        self._count_again()

    @Slot(str, str)
    def _on_failed(self, kind: str, _message: str) -> None:
        if kind == TOTALS:   # e.g. the library closed meanwhile: the next change counts again
            self._count_again()

    def _count_again(self) -> None:
        if self._again:
            self._again = False
            self.request(self._session)


__all__ = ["TOTALS", "ArchiveTotalsCounter"]

"""The Duplicates tab: folders, scan, threshold, groups, review and archive, for one context.

This is the controller of the detect → review → select → archive journey. Every change to marks
goes through the workflow's :class:`~desktop_app.workflow.session.ReviewSession` (which refuses a
whole group archived or a protected file archived; the reason goes to the status bar). Long work
(scan) runs in a worker; everything that uses the session or writes the library (opening the
session, regrouping, marks, rules, folders, archive, undo) runs in the window's one
:class:`~desktop_app.ui.common.executor.SerialExecutor`, so the GUI thread never waits on it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence, cast

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QStackedWidget, QVBoxLayout, QWidget

from desktop_app.context.types import DistinctDecision, ScoredPairs, SkippedFile
from desktop_app.ui.archive.flow import ArchiveFlow
from desktop_app.ui.archive.qt_trash import QtTrash
from desktop_app.ui.archive.summary_bar import SummaryBar
from desktop_app.ui.common.executor import REGROUP, SerialExecutor
from desktop_app.ui.common.states import EmptyState, MessageBar
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.ui.duplicates.archive_totals import TOTALS, ArchiveTotalsCounter
from desktop_app.ui.duplicates.detect_bar import DetectBar
from desktop_app.ui.duplicates.folders_panel import FoldersPanel
from desktop_app.ui.duplicates.group_model import GroupListModel
from desktop_app.ui.duplicates.group_view import GroupView
from desktop_app.ui.duplicates.library_scan import LibraryScan, refreshed_library
from desktop_app.ui.duplicates.lists_dialogs import DecisionsDialog, SkippedDialog
from desktop_app.ui.duplicates.mark_actions import MarkActions, Marked, Regrouped
from desktop_app.ui.duplicates.review_page import ReviewPage
from desktop_app.ui.duplicates.scan_controller import ScanOutcome
from desktop_app.ui.duplicates.scan_panel import ScanPanel
from desktop_app.ui.duplicates.texts import empty_text
from desktop_app.workflow.groups import DuplicateGroup
from desktop_app.workflow.session import ReviewSession

log = logging.getLogger(__name__)

# Executor kinds of this page.
REFRESH = "refresh"   # re-read the library after files moved
SESSION = "session"   # open the review session (settles an interrupted archive)


class DuplicatesPage(QWidget):
    """Folders on the left; detect bar, scan strip, messages and groups/review on the right."""

    status_message = Signal(str)            # one line for the status bar
    find_similar_requested = Signal(str)
    compare_requested = Signal(str, str)
    threshold_committed = Signal(int)       # remembered in QSettings by the window
    groups_changed = Signal(int)            # group count after each regroup
    session_updated = Signal(str)           # a background session operation ended (its kind)
    session_changed = Signal(object)        # the ReviewSession shared with Find Similar (or None)
    marks_edited = Signal()                 # marks changed by hand, rule or reset on this page
    folders_changed = Signal(object)        # FolderChange: folders added, removed or protected

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        confirm_archive: Callable[..., Any] | None = None,
        choose_folder: Callable[[QWidget], str] | None = None,
        executor: SerialExecutor | None = None,
        archive: ArchiveFlow | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatesPage")
        self.context: Any = None
        self.session: ReviewSession | None = None
        self.pairs: ScoredPairs | None = None
        self.skipped: tuple[SkippedFile, ...] = ()
        # ~600 strips' worth of tiles is a few screens of scrolling at ~60 KB each (≈ 40 MB);
        # decoded at the screen's pixel ratio so HiDPI thumbnails stay sharp.
        ratio = max(1.0, QGuiApplication.primaryScreen().devicePixelRatio()) if QGuiApplication.primaryScreen() is not None else 1.0
        self.thumbnails = ThumbnailCache(size=int(148 * ratio), max_items=600, parent=self)
        self.model = GroupListModel(self.thumbnails, self)
        self.executor = executor or SerialExecutor(self)
        self.trash = QtTrash()
        self._scan_wanted = False              # scan once it is open (recovery comes first)

        self.folders = FoldersPanel(choose_folder=choose_folder)
        self.mark_actions = MarkActions(self.executor, session=lambda: self.session, free=self._session_free,
                                        moving_files=lambda: self.archive.is_running, parent=self)
        self.detect = DetectBar()
        self.scan_panel = ScanPanel()
        self.messages = MessageBar()
        self.library = LibraryScan(self.executor, self.folders, self.scan_panel, self.messages,
                                   context=lambda: self.context, parent=self)
        self.scanner = self.library.scanner
        self.view = GroupView()
        self.view.setModel(self.model)
        self.review = ReviewPage()
        self.empty = EmptyState()
        self.stack = QStackedWidget()
        for w in (self.empty, self.view, self.review):
            self.stack.addWidget(w)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.detect)
        rl.addWidget(self.scan_panel)
        rl.addWidget(self.messages)
        rl.addWidget(self.stack, 1)
        self.splitter = QSplitter()
        self.splitter.setObjectName("duplicatesSplitter")
        self.splitter.addWidget(self.folders)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)
        self.skipped_dialog = SkippedDialog(self)
        self.decisions_dialog = DecisionsDialog(self)
        self.archive = archive or ArchiveFlow(self.executor, confirm=confirm_archive, parent=self)
        self.summaries = SummaryBar(self.archive, self.messages, self, undo=self.undo_archive)
        self.totals = ArchiveTotalsCounter(self.executor, self)   # what the Archive button says
        self.totals.ready.connect(lambda t: self.detect.set_summary(self.model.rowCount(), to_archive=t.files,
                                                                    bytes_to_free=t.bytes))
        self._connect()
        self._show_empty()

    def _connect(self) -> None:
        self.library.changed.connect(self.folders_changed)
        self.library.scan_wanted.connect(self.start_scan)
        self.library.regroup_wanted.connect(lambda: self.regroup(self.detect.threshold()))
        self.library.scanned.connect(self._on_scanned)
        self.library.scan_stopped.connect(self._on_scan_stopped)
        self.library.skipped_wanted.connect(self.show_skipped)
        self.library.status.connect(self.status_message)
        self.library.error.connect(lambda message: self.messages.show_message(message, "error"))
        self.detect.threshold_changed.connect(self.regroup)
        self.detect.archive_requested.connect(self.archive_marked)
        self.view.toggle_requested.connect(lambda _row, path: self.toggle(path))
        self.view.open_requested.connect(self.open_review)
        self.view.not_duplicates_requested.connect(self.not_duplicates)
        self.review.toggle_requested.connect(self.toggle)
        self.review.navigate_requested.connect(self._on_review_navigate)
        self.review.closed.connect(self.close_review)
        self.review.not_duplicates_requested.connect(lambda pair: self.not_duplicates(self.review.row, pair))
        for source in (self.view, self.review):   # the grid and the review route the same way
            source.find_similar_requested.connect(self.find_similar_requested)
            source.compare_requested.connect(self.compare_requested)
            source.message.connect(self.status_message)
        self.empty.action_clicked.connect(self._on_empty_action)
        self.decisions_dialog.undo_requested.connect(self.undo_decisions)
        self.mark_actions.marked.connect(self._on_marked)
        self.mark_actions.marks_changed.connect(self._on_marks_changed)
        self.mark_actions.regrouped.connect(self._on_distinct)
        self.mark_actions.decisions_changed.connect(self._on_decisions_changed)
        self.mark_actions.status.connect(self.status_message)
        self.mark_actions.failed.connect(lambda message: self.messages.show_message(message, "error"))
        self.mark_actions.done.connect(self.session_updated)
        self.summaries.status.connect(self.status_message)
        self.archive.files_moved.connect(self.refresh_library)
        self.executor.finished.connect(self._on_executor_finished)
        self.executor.failed.connect(self._on_executor_failed)

    # --- context -----------------------------------------------------------------------------
    def set_context(self, context: Any, *, scan: bool = True) -> None:
        """Show ``context`` (a SearchContext); scan it (incremental, fast when up to date)."""
        self.close_context()
        self.context = context
        self.thumbnails.set_fetch(context.thumbnail)
        self.review.features_of = context.features   # aligns crops/rotations in the difference view
        self.folders.set_folders(context.folders(), {})
        # Opening the session settles an archive a crash interrupted (hashing, moving files back):
        # in the executor, never on the GUI thread; a scan waits for it (it must see the settled
        # folders), and so does every other session operation (the executor runs them in order).
        self._scan_wanted = scan and bool(context.folders())
        trash = self.trash
        self.executor.submit(SESSION, lambda: (context, ReviewSession(context, trash=trash)))
        self._show_empty()

    def _on_session_opened(self, context: Any, session: ReviewSession | None) -> None:
        if context is not self.context:
            return   # another library was opened meanwhile
        self.session = session
        if session is not None and session.recovery is not None:
            self.messages.show_message(
                "An archive was interrupted last time; every file was put back in a safe place "
                "(see the archive log).", "warning",
            )
        self.archive.set_session(session)
        self.session_changed.emit(session)
        wanted, self._scan_wanted = self._scan_wanted, False
        if wanted:
            self.start_scan()
        elif self.pairs is not None:
            self.regroup(self.detect.threshold())
        else:
            self._show_empty()

    def _opening(self) -> bool:
        return self.executor.has(SESSION)

    def close_context(self) -> None:
        if self.scanner.is_running:
            self.scanner.wait()
        self.executor.wait()
        self.review.clear()
        self.model.set_groups([])
        self.thumbnails.set_fetch(None)
        self.review.features_of = None
        self.context = None
        self.session = None
        self.pairs = None
        self.library.pending = []
        self.library.note = ""
        self._scan_wanted = False
        self.messages.hide()
        self.archive.set_session(None)
        self.session_changed.emit(None)
        self.detect.set_summary(None)

    def shutdown(self) -> None:
        """Stop workers before the window closes."""
        self.scanner.wait()
        self.executor.wait()
        self.thumbnails.shutdown()
        self.review.shutdown()

    # --- folders -----------------------------------------------------------------------------
    def add_folders(self, paths: Sequence[str], *, rescan: bool = False, announce: bool = False) -> None:
        """Add folders to the library (in the executor), then scan if any was new (or
        ``rescan``). ``announce``: the window says where they went (``folders_changed``)."""
        self.library.add(paths, rescan=rescan, announce=announce)

    # --- scan (LibraryScan runs it and says what it found) ---------------------------------------
    @property
    def scan_workers(self) -> int | None:
        """Processes for indexing (None: every core)."""
        return self.library.workers

    @scan_workers.setter
    def scan_workers(self, workers: int | None) -> None:
        self.library.workers = workers

    def start_scan(self) -> None:
        if self.context is None or self.scanner.is_running:
            return
        if self._opening():
            self._scan_wanted = True   # right after the session is open (see _on_session_opened)
            self._show_empty()
        elif not self.library.start_scan(self.context) or self.model.rowCount() == 0:
            self._show_empty()   # nothing to scan, or (after the start) "Scanning…"

    def _on_scanned(self, outcome: ScanOutcome) -> None:
        self.pairs = outcome.pairs
        self.skipped = outcome.skipped
        self.skipped_dialog.set_skipped(outcome.skipped)
        self.regroup(self.detect.threshold())

    def _on_scan_stopped(self, failed: bool) -> None:
        if self.pairs is not None and not failed:
            self.regroup(self.detect.threshold())
        else:
            self._show_empty()

    def show_skipped(self) -> None:
        self.skipped_dialog.set_skipped(self.context.skipped() if self.context is not None else self.skipped)
        self.skipped_dialog.show()
        self.skipped_dialog.raise_()

    # --- groups ------------------------------------------------------------------------------
    @Slot(int)
    def regroup(self, threshold: int) -> None:
        """Rebuild the groups at ``threshold`` from the cached pair scores, in a worker (the
        workflow builds every member: ~1 s for 10,000 groups); the latest request wins."""
        if self.session is None or self.pairs is None:
            self._show_empty()
            return
        session, pairs = self.session, self.pairs
        self.executor.submit(REGROUP, lambda: (threshold, session.groups(float(threshold), pairs)))

    def _show_groups(self, groups: list[DuplicateGroup], threshold: int) -> None:
        row, member = self.view.current_row(), self.view.current_member()
        self.model.set_groups(groups)
        self.threshold_committed.emit(threshold)
        if groups:
            self.view.set_current(max(0, min(row, len(groups) - 1)), member)
        self._after_marks_changed()
        if self.stack.currentWidget() is self.review:
            focused = self.review.current_member()
            where = self.model.row_of_path(focused.path) if focused is not None else None
            if where is not None:   # stay on the same image when its group survived the regroup
                self.open_review(where, self.model.group(where).paths.index(focused.path))  # type: ignore[union-attr]
            elif groups:
                self.open_review(self.view.current_row(), 0)
            else:
                self.close_review()
        else:
            self._show_groups_or_empty()
        self.groups_changed.emit(len(groups))

    @Slot(str, object)
    def _on_executor_finished(self, kind: str, result: object) -> None:
        if kind == SESSION:
            context, session = cast(tuple[Any, ReviewSession], result)
            self._on_session_opened(context, session)
        elif kind == REGROUP:
            threshold, groups = cast(tuple[int, list[DuplicateGroup]], result)
            if self.session is not None:
                self._show_groups(groups, threshold)
        elif kind == REFRESH:
            if self.context is not None:
                self._apply_refresh(result)
        else:
            return   # another page's operation (Find Similar's group, the archive flow's)
        self.session_updated.emit(kind)

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        if kind not in (SESSION, REGROUP, REFRESH):
            return   # another part's operation (marks, folders, the archive flow): it reports it
        self.messages.show_message(message, "error")
        if kind == SESSION and self.session is None:
            # No review without a session, but the library can still be scanned and browsed.
            self.session_changed.emit(None)
            wanted, self._scan_wanted = self._scan_wanted, False
            if wanted:
                self.start_scan()
        self.session_updated.emit(kind)

    def _session_free(self) -> bool:
        """The session can be read on this thread (groups chosen) only while the executor is
        idle, or only counts what Archive would move (a read the next operation queues behind)."""
        if self.archive.is_running:
            self.status_message.emit("One moment: archiving…")
            return False
        if self.executor.busy_except(TOTALS):
            self.status_message.emit("One moment: still regrouping…")
            return False
        return self.session is not None

    @Slot()
    def refresh_marks(self) -> None:
        """Marks changed on the Find Similar page (same session): regroup so they show here."""
        if self.session is not None and self.pairs is not None:
            self.regroup(self.detect.threshold())

    def _show_groups_or_empty(self) -> None:
        if self.model.rowCount():
            self.stack.setCurrentWidget(self.view)
        else:
            self._show_empty()

    def _show_empty(self) -> None:
        last = self.archive.last_result
        state = empty_text(
            library=self.context is not None,
            folders=self.context is not None and bool(self.context.folders()),
            scanning=self.scanner.is_running or self._scan_wanted,
            opening=self._opening(),
            scanned=self.pairs is not None,
            all_archived=last is not None and bool(last.moved),
            threshold=self.detect.threshold(),
        )
        icon = self.style().standardIcon(state.icon) if state.icon is not None else None
        self.empty.show_state(state.title, state.text, action=state.action, icon=icon)
        self.stack.setCurrentWidget(self.empty)

    def _on_empty_action(self) -> None:
        text = self.empty.button.text()
        if text.startswith("Lower to"):
            self.detect.set_threshold(int(text.split()[-1]), emit=True)
        elif text == "Scan Now":
            self.start_scan()
        else:
            self.folders.add_button.click()

    # --- marks and decisions (MarkActions runs them in the executor) ---------------------------
    @Slot(str)
    def toggle(self, path: str) -> None:
        """Flip the mark of the photo ``path`` belongs to (a RAW+JPEG pair moves together)."""
        self.mark_actions.toggle(path)

    def _selected_groups(self, selected_only: bool) -> list[DuplicateGroup] | None:
        return [self.model.group(r) for r in self.view.selected_rows()] if selected_only else None

    def apply_rules(self, rules: str, *, selected_only: bool) -> None:
        """Apply a workflow rule chain (e.g. ``"highest-resolution"``) to all or the selected groups."""
        if not self.model.rowCount():
            return
        groups = self._selected_groups(selected_only)
        if selected_only and not groups:
            self.status_message.emit("Select one or more groups first (click their left side)")
            return
        self.mark_actions.apply_rules(rules, groups)

    def reset_marks(self, *, selected_only: bool = False) -> None:
        self.mark_actions.reset(self._selected_groups(selected_only))

    @Slot(int, object)
    def not_duplicates(self, row: int, pair: object) -> None:
        if 0 <= row < self.model.rowCount():
            chosen = (str(pair[0]), str(pair[1])) if isinstance(pair, (tuple, list)) else None
            self.mark_actions.not_duplicates(self.model.group(row), chosen, self.detect.threshold())

    def show_decisions(self) -> None:
        if self.session is None:
            return
        self.decisions_dialog.set_decisions(self.session.decisions())
        self.decisions_dialog.show()
        self.decisions_dialog.raise_()

    @Slot(list)
    def undo_decisions(self, decisions: list[DistinctDecision]) -> None:
        self.mark_actions.clear_decisions(decisions)

    def _on_marked(self, marked: Marked) -> None:
        self.status_message.emit(marked.sentence())
        self._after_marks_changed(self.model.row_of_path(marked.path))
        self.marks_edited.emit()

    def _on_marks_changed(self, sentence: str) -> None:
        self.status_message.emit(sentence)
        self._after_marks_changed()
        self.marks_edited.emit()

    def _on_distinct(self, regrouped: Regrouped) -> None:
        self._show_groups(regrouped.groups, regrouped.threshold)
        self.status_message.emit("Remembered: these photos are not duplicates (Edit → Not Duplicates… to undo)")

    def _on_decisions_changed(self, decisions: list[DistinctDecision], sentence: str) -> None:
        self.decisions_dialog.set_decisions(decisions)
        self.status_message.emit(sentence)
        self.regroup(self.detect.threshold())

    def _after_marks_changed(self, row: int | None = None) -> None:
        """Repaint, and re-count what Archive would move (in the executor: see archive_totals)."""
        self.model.refresh(None if row is None else [row])
        if self.stack.currentWidget() is self.review and self.review.group is not None:
            self.review.refresh(self.review.group)
        self.totals.request(self.session)
        self.detect.set_counting(self.model.rowCount() if self.session is not None else None)

    def selection_summary(self) -> tuple[int, int, int]:
        """(groups, files to archive, bytes with their companions): the detect bar's plan count."""
        return self.model.rowCount(), self.totals.totals.files, self.totals.totals.bytes

    # --- review ------------------------------------------------------------------------------
    @Slot(int, int)
    def open_review(self, row: int, member: int = 0) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.view.set_current(row, member)
        self.review.set_group(row, self.model.group(row), total=self.model.rowCount(), member=member)
        self.stack.setCurrentWidget(self.review)
        self.review.setFocus()

    def close_review(self) -> None:
        if self.review.group is not None and self.review.row >= 0:
            self.view.set_current(self.review.row, self.review.current)
        self._show_groups_or_empty()
        self.view.setFocus()

    def _on_review_navigate(self, delta: int) -> None:
        row = self.review.row + delta
        if 0 <= row < self.model.rowCount():
            self.open_review(row, 0)

    # --- archive / undo ----------------------------------------------------------------------
    @Slot()
    def archive_marked(self) -> None:
        """Plan the marks (in the executor, after what is queued there), confirm, archive."""
        if self.archive.is_running:
            self.status_message.emit("One moment: archiving…")
        elif self.session is not None:
            self.archive.start(self, trash=self.trash)

    @Slot()
    def undo_archive(self, operation_id: str | None = None) -> None:
        """Put back archive ``operation_id`` (a summary's Undo), or the latest archive, wherever
        it was made (Edit → Undo Archive)."""
        self.archive.undo(self, operation_id)

    @Slot()
    def refresh_library(self) -> None:
        """Files were archived or restored (from any page): re-read the pair scores and folder
        counts in the background, then regroup (archived files leave)."""
        if self.context is None or self.scanner.is_running:
            return   # a running scan ends with fresh pairs anyway
        context = self.context
        self.executor.submit(REFRESH, lambda: refreshed_library(context))

    def _apply_refresh(self, refreshed: object) -> None:
        if isinstance(refreshed, tuple):
            pairs, counts = refreshed
            if isinstance(pairs, ScoredPairs):
                self.pairs = pairs
            if self.context is not None:
                self.folders.set_folders(self.context.folders(), counts)
        self.regroup(self.detect.threshold())

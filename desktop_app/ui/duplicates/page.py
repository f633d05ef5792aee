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
import os
from typing import Any, Callable, Sequence

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QStackedWidget, QVBoxLayout, QWidget

from desktop_app.context.types import ScoredPairs, SkippedFile
from desktop_app.errors import LookalikeError
from desktop_app.ui.archive.flow import ArchiveFlow
from desktop_app.ui.archive.qt_trash import QtTrash
from desktop_app.ui.archive.summary_dialog import ArchiveSummaryDialog
from desktop_app.ui.archive.texts import message_bar_text, status_text
from desktop_app.ui.common.executor import REGROUP, SerialExecutor
from desktop_app.workflow.photo_marks import toggle_photo
from desktop_app.ui.common.states import EmptyState, MessageBar
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.ui.duplicates import folder_changes
from desktop_app.ui.duplicates.detect_bar import DetectBar
from desktop_app.ui.duplicates.folders_panel import FoldersPanel
from desktop_app.ui.duplicates.group_model import GroupListModel
from desktop_app.ui.duplicates.group_view import GroupView
from desktop_app.ui.duplicates.lists_dialogs import DecisionsDialog, SkippedDialog
from desktop_app.ui.duplicates.review_page import ReviewPage
from desktop_app.ui.duplicates.scan_controller import ScanController, ScanOutcome
from desktop_app.ui.duplicates.scan_panel import ScanPanel
from desktop_app.ui.duplicates.texts import empty_text, scan_text
from desktop_app.workflow.archive_controller import ARCHIVED, CANCELLED, NOTHING, UNDONE, ArchiveSummary
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.rules import parse_rules
from desktop_app.workflow.session import ReviewSession

log = logging.getLogger(__name__)

# Executor kinds of this page.
REFRESH = "refresh"   # re-read the library after files moved
SESSION = "session"   # open the review session (settles an interrupted archive)
MARK = "mark"         # a hand mark (saved with the library)
FOLDERS = "folders"   # add, remove or protect library folders


def refreshed_library(context: Any) -> tuple[ScoredPairs, dict[str, int]] | None:
    """(pair scores, folder counts) after files moved, or None if the context couldn't say: the
    move itself succeeded and must still be reported (with its Undo)."""
    try:
        return context.scored_pairs(), context.counts_by_folder()
    except LookalikeError:
        log.exception("couldn't refresh the library after moving files")
        return None


def _archive_stats(group: DuplicateGroup) -> tuple[int, int]:
    archived = [m.size for m in group.members if m.mark is Mark.ARCHIVE]
    return len(archived), sum(archived)


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
        ratio = max(1.0, QGuiApplication.primaryScreen().devicePixelRatio()) if QGuiApplication.primaryScreen() else 1.0
        self.thumbnails = ThumbnailCache(size=int(148 * ratio), max_items=600, parent=self)
        self.model = GroupListModel(self.thumbnails, self)
        self.scanner = ScanController(self)
        self.executor = executor or SerialExecutor(self)
        self._row_stats: list[tuple[int, int]] = []
        self.trash = QtTrash()
        self.scan_workers: int | None = None   # processes for indexing (None: every core)
        self._pending_folders: list[str] = []  # dropped or added while a scan was running
        self._pending_protection: dict[str, bool] = {}
        self.summary_dialog: ArchiveSummaryDialog | None = None   # the last archive's details   # protection set while a scan was running
        self._scan_wanted = False              # scan once it is open (recovery comes first)
        self.library_note = ""                 # "Added 'X' to library 'Y'": kept atop the scan's summary

        self.folders = FoldersPanel(choose_folder=choose_folder)
        self.detect = DetectBar()
        self.scan_panel = ScanPanel()
        self.messages = MessageBar()
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
        self._connect()
        self._show_empty()

    def _connect(self) -> None:
        self.folders.folders_added.connect(self.add_folders)
        self.folders.folder_removed.connect(self.remove_folder)
        self.folders.protection_changed.connect(self._on_protection_changed)
        self.scanner.progressed.connect(self.scan_panel.update_progress)
        self.scanner.finished.connect(self._on_scan_finished)
        self.scanner.failed.connect(self._on_scan_failed)
        self.scanner.cancelled.connect(self._on_scan_cancelled)
        self.scan_panel.cancel_requested.connect(self.scanner.cancel)
        self.detect.threshold_changed.connect(self.regroup)
        self.detect.archive_requested.connect(self.archive_marked)
        self.view.toggle_requested.connect(lambda _row, path: self.toggle(path))
        self.view.open_requested.connect(self.open_review)
        self.view.find_similar_requested.connect(self.find_similar_requested)
        self.view.compare_requested.connect(self.compare_requested)
        self.view.not_duplicates_requested.connect(self.not_duplicates)
        self.review.toggle_requested.connect(self.toggle)
        self.review.navigate_requested.connect(self._on_review_navigate)
        self.review.closed.connect(self.close_review)
        self.review.not_duplicates_requested.connect(lambda pair: self.not_duplicates(self.review.row, pair))
        self.review.find_similar_requested.connect(self.find_similar_requested)
        self.review.compare_requested.connect(self.compare_requested)
        self.review.message.connect(self.status_message)
        self.view.message.connect(self.status_message)
        self.empty.action_clicked.connect(self._on_empty_action)
        self.decisions_dialog.undo_requested.connect(self.undo_decisions)
        self.archive.summary_ready.connect(self._on_archive_summary)
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
        self._pending_folders = []
        self._scan_wanted = False
        self.library_note = ""
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
    @Slot(list)
    def add_folders(self, paths: Sequence[str], *, rescan: bool = False, announce: bool = False) -> None:
        """Add folders to the library (in the executor), then scan if any was new (or
        ``rescan``). ``announce``: the window says where they went (``folders_changed``)."""
        if self.context is None:
            return
        if self.scanner.is_running:
            # Added when this scan ends (its folders are read-only meanwhile).
            self._pending_folders += [p for p in paths if p not in self._pending_folders]
            self.status_message.emit(f"{len(self._pending_folders)} folder(s) will be added when this scan ends")
            return
        context, wanted = self.context, list(paths)
        self.executor.submit(FOLDERS, lambda: folder_changes.add_folders(context, wanted, rescan=rescan,
                                                                           announce=announce))

    @Slot(str)
    def remove_folder(self, path: str) -> None:
        if self.context is None or self.scanner.is_running:
            return
        context = self.context
        self.executor.submit(FOLDERS, lambda: folder_changes.remove_folder(context, path))

    def _on_protection_changed(self, path: str, protected: bool) -> None:
        if self.context is None:
            return
        if self.scanner.is_running:
            # The scan owns the library meanwhile; protection only matters to the groups it
            # leads to, so it is stored as the scan ends, before they are formed.
            self._pending_protection[path] = protected
            self.status_message.emit(f"'{path}' will be {'protected' if protected else 'unprotected'} when this scan ends")
            return
        context = self.context
        self.executor.submit(FOLDERS, lambda: folder_changes.set_protected(context, path, protected))

    def _on_folders_changed(self, result: object) -> None:
        assert isinstance(result, folder_changes.FolderChange)
        change = result
        if self.context is None:
            return
        for error in change.errors:
            self.messages.show_message(error, "error")
        self.folders.set_folders(self.context.folders())
        path = change.requested[0] if change.requested else ""
        if change.action == folder_changes.ADD:
            if change.added:
                self.status_message.emit(f"Added {len(change.added)} folder(s); scanning…")
            if change.added or change.rescan:
                self.start_scan()
        elif change.action == folder_changes.REMOVE:
            self.status_message.emit(f"Removed '{path}' from the library (its files are untouched)")
            self.start_scan()
        else:
            self.status_message.emit(
                f"'{path}' is protected: its files are never archived" if change.protected
                else f"'{path}' is no longer protected"
            )
            self.regroup(self.detect.threshold())
        self.folders_changed.emit(change)

    # --- scan --------------------------------------------------------------------------------
    def start_scan(self) -> None:
        if self.context is None or self.scanner.is_running:
            return
        if self._opening():
            self._scan_wanted = True   # right after the session is open (see _on_session_opened)
            self._show_empty()
            return
        if not self.context.folders():
            self._show_empty()
            return
        self.messages.hide()
        self.folders.set_editable(False)
        self.scan_panel.start()
        self.scanner.start(self.context, workers=self.scan_workers)
        if self.model.rowCount() == 0:
            self._show_empty()   # after start(): the state says "Scanning…"

    def _scan_ended(self) -> None:
        self.scan_panel.hide()
        self.folders.set_editable(True)
        pending, self._pending_protection = self._pending_protection, {}
        for path, protected in pending.items():   # queued before the regroup that follows
            self._on_protection_changed(path, protected)
        if self._pending_folders:
            # After the handler that called us has shown this scan's outcome.
            QTimer.singleShot(0, self._add_pending_folders)

    def _add_pending_folders(self) -> None:
        paths, self._pending_folders = self._pending_folders, []
        if paths and not self.scanner.is_running:
            self.add_folders(paths)
        elif paths:
            self._pending_folders = paths

    @Slot(object)
    def _on_scan_finished(self, outcome: ScanOutcome) -> None:
        self._scan_ended()
        self.pairs = outcome.pairs
        self.skipped = outcome.skipped
        self.skipped_dialog.set_skipped(outcome.skipped)
        if self.context is not None:
            self.folders.set_folders(self.context.folders(), outcome.folder_counts)
        text = scan_text(outcome)
        actions: list[tuple[str, Callable[[], None]]] = []
        if outcome.skipped:
            actions.append(("Show Skipped Files", self.show_skipped))
        if outcome.index_cancelled:
            actions.append(("Scan Again", self.start_scan))
        note, self.library_note = self.library_note, ""
        if actions or outcome.index_cancelled:
            # Where the folders went stays said (the window's note), above what the scan found.
            self.messages.show_message((f"{note} " if note else "") + text + ".",
                                       "warning" if outcome.skipped else "info", actions=actions)
        self.status_message.emit(text)
        self.regroup(self.detect.threshold())

    @Slot(str)
    def _on_scan_failed(self, message: str) -> None:
        self._scan_ended()
        self.messages.show_message(f"Scanning failed: {message}", "error", actions=[("Try Again", self.start_scan)])
        self._show_empty()

    @Slot()
    def _on_scan_cancelled(self) -> None:
        self._scan_ended()
        self.status_message.emit("Scan cancelled; the photos read so far are kept")
        if self.pairs is not None:
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
            context, session = result  # type: ignore[misc]
            self._on_session_opened(context, session)
        elif kind == REGROUP:
            threshold, groups = result  # type: ignore[misc]
            if self.session is not None:
                self._show_groups(groups, threshold)
        elif kind == "rules":
            rules, scope, changed = result  # type: ignore[misc]
            self.status_message.emit(f"Rule '{rules}' applied to {scope}: {len(changed)} group(s) changed")
            self._after_marks_changed()
            self.marks_edited.emit()
        elif kind == "reset":
            self.status_message.emit("Marks reset to the proposal: originals kept, copies to archive")
            self._after_marks_changed()
            self.marks_edited.emit()
        elif kind == "distinct":
            threshold, groups = result  # type: ignore[misc]
            self._show_groups(groups, threshold)
            self.status_message.emit("Remembered: these photos are not duplicates (Edit → Not Duplicates… to undo)")
        elif kind == MARK:
            self._on_marked(result)
        elif kind == FOLDERS:
            self._on_folders_changed(result)
        elif kind == REFRESH:
            if self.context is not None:
                self._apply_refresh(result)
        elif kind == "clear-distinct":
            count, decisions = result  # type: ignore[misc]
            self.decisions_dialog.set_decisions(decisions)
            self.status_message.emit(f"{count} decision(s) undone; those photos can be grouped again")
            self.regroup(self.detect.threshold())
        else:
            return   # another page's operation (Find Similar's group, the archive flow's)
        self.session_updated.emit(kind)

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        if kind not in (SESSION, REGROUP, MARK, FOLDERS, REFRESH, "rules", "reset", "distinct", "clear-distinct"):
            return   # another page's operation: it reports it
        if kind == MARK:   # refused (protected, the last kept copy) or not saved: the reason
            self.status_message.emit(message)
            return
        self.messages.show_message(message, "error")
        if kind == FOLDERS and self.context is not None:
            self.folders.set_folders(self.context.folders())
        if kind == SESSION and self.session is None:
            # No review without a session, but the library can still be scanned and browsed.
            self.session_changed.emit(None)
            wanted, self._scan_wanted = self._scan_wanted, False
            if wanted:
                self.start_scan()
        self.session_updated.emit(kind)

    def _session_free(self) -> bool:
        """The session can be read on this thread (groups chosen, a plan made) only while the
        executor is idle: not while it regroups, applies a rule or archives."""
        if self.archive.is_running:
            self.status_message.emit("One moment: archiving…")
            return False
        if self.executor.busy:
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

    # --- marks -------------------------------------------------------------------------------
    @Slot(str)
    def toggle(self, path: str) -> None:
        """Flip the mark of the photo ``path`` belongs to (a RAW+JPEG pair moves together). In
        the executor, after whatever runs there (the mark is saved with the library); refused
        only while an archive moves files."""
        session = self.session
        if session is None:
            return
        if self.archive.is_running:
            self.status_message.emit("One moment: archiving…")
            return

        def mark() -> tuple[str, Mark, list[str]] | None:
            try:
                return (path, *toggle_photo(session, path))
            except KeyError:
                return None   # no longer in a group (regrouped meanwhile)

        self.executor.submit(MARK, mark)

    def _on_marked(self, result: object) -> None:
        if result is None:
            return
        path, mark, paths = result  # type: ignore[misc]
        names = " and ".join(f"'{os.path.basename(p)}'" for p in paths)
        self.status_message.emit(f"{names} will be {'archived' if mark is Mark.ARCHIVE else 'kept'}")
        self._after_marks_changed(self.model.row_of_path(path))
        self.marks_edited.emit()

    def apply_rules(self, rules: str, *, selected_only: bool) -> None:
        """Apply a workflow rule chain (e.g. ``"highest-resolution"``) to all or the selected groups."""
        if not self._session_free() or not self.model.rowCount():
            return
        session = self.session
        assert session is not None
        groups = [self.model.group(r) for r in self.view.selected_rows()] if selected_only else None
        if selected_only and not groups:
            self.status_message.emit("Select one or more groups first (click their left side)")
            return
        try:
            chain = parse_rules(rules)   # a typo is reported here, not as a worker failure
        except ValueError as err:
            self.status_message.emit(str(err))
            return
        scope = f"{len(groups)} selected group(s)" if groups else "all groups"
        self.executor.submit("rules", lambda: (rules, scope, session.apply_rules(chain, groups)))

    def reset_marks(self, *, selected_only: bool = False) -> None:
        if not self._session_free():
            return
        session = self.session
        assert session is not None
        groups = [self.model.group(r) for r in self.view.selected_rows()] if selected_only else None
        self.executor.submit("reset", lambda: session.reset_marks(groups))

    def _after_marks_changed(self, row: int | None = None) -> None:
        """Repaint and re-total (per-row totals; a single toggle re-counts only its row)."""
        self.model.refresh(None if row is None else [row])
        if self.stack.currentWidget() is self.review and self.review.group is not None:
            self.review.refresh(self.review.group)
        if self.session is None:
            self.detect.set_summary(None)
            return
        groups = self.model.groups_ref()
        if row is None or len(self._row_stats) != len(groups):
            self._row_stats = [_archive_stats(g) for g in groups]
        else:
            self._row_stats[row] = _archive_stats(groups[row])
        self.detect.set_summary(
            len(groups), to_archive=sum(n for n, _ in self._row_stats),
            bytes_to_free=sum(b for _, b in self._row_stats),
        )

    def selection_summary(self) -> tuple[int, int, int]:
        """(groups, files to archive, bytes they free) as shown in the detect bar."""
        return (len(self._row_stats), sum(n for n, _ in self._row_stats), sum(b for _, b in self._row_stats))

    # --- not duplicates ------------------------------------------------------------------------
    @Slot(int, object)
    def not_duplicates(self, row: int, pair: object) -> None:
        if not self._session_free() or not 0 <= row < self.model.rowCount():
            return
        session = self.session
        assert session is not None
        group = self.model.group(row)
        target = group if pair is None else tuple(pair)  # type: ignore[arg-type]
        if pair is not None:
            a, b = (group.member(p) for p in target)  # type: ignore[union-attr]
            if a.content_hash and a.content_hash == b.content_hash:
                self.status_message.emit(f"'{b.name}' is a byte-for-byte copy of '{a.name}': they are always duplicates")
                return
        threshold = self.detect.threshold()
        # The workflow remembers the decision and regroups (in the worker).
        self.executor.submit("distinct", lambda: (threshold, session.not_duplicates(target)))  # type: ignore[arg-type]

    def show_decisions(self) -> None:
        if self.session is None:
            return
        self.decisions_dialog.set_decisions(self.session.decisions())
        self.decisions_dialog.show()
        self.decisions_dialog.raise_()

    @Slot(list)
    def undo_decisions(self, decisions: list) -> None:
        if not self._session_free():
            return
        session = self.session
        assert session is not None
        self.executor.submit(
            "clear-distinct", lambda: (session.clear_decisions(decisions), len(decisions), session.decisions())[1:]
        )

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
        """Plan what the marks say, confirm, archive (the shared archive flow)."""
        if self._session_free():
            self.archive.start(self, trash=self.trash)

    @Slot()
    def undo_archive(self) -> None:
        """Put back the latest archive, wherever it was made (Edit → Undo Archive)."""
        self.archive.undo(self)

    @Slot(object, object)
    def _on_archive_summary(self, summary: ArchiveSummary, origin: object) -> None:
        if origin is not self:
            return
        if summary.kind in (NOTHING, CANCELLED):
            self.status_message.emit(status_text(summary))
            return
        text, kind = message_bar_text(summary)
        actions: list[tuple[str, Callable[[], None]]] = []
        if summary.kind == ARCHIVED and summary.result is not None and summary.result.moved:
            actions.append(("Undo", self.undo_archive))
        if summary.kind in (ARCHIVED, UNDONE):
            actions.append(("Save Log…", self.save_log))
        if summary.kind == ARCHIVED and summary.result is not None and (summary.result.moved or summary.result.skipped
                                                                       or summary.result.errors):
            actions.insert(0, ("Details…", lambda: self.show_archive_summary(summary)))
            self.show_archive_summary(summary)
        self.messages.show_message(text, kind, actions=actions)
        self.status_message.emit(text.replace("<b>", "").replace("</b>", ""))

    def show_archive_summary(self, summary: ArchiveSummary) -> None:
        """What moved and what stayed, with Show in Archive, Save Log… and Undo (not modal)."""
        if self.summary_dialog is not None:
            self.summary_dialog.close()
        self.summary_dialog = ArchiveSummaryDialog(summary, undo=self.undo_archive, save_log=self.save_log, parent=self)
        self.summary_dialog.show()

    def save_log(self) -> None:
        problem = self.archive.save_log(self)
        if problem:
            self.messages.show_message(problem, "error")
            self.status_message.emit(problem)

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

"""The library's folders and their scan, for the Duplicates page: add (queued while a scan runs),
remove, protect — each a database write run in the executor (:mod:`.folder_changes`), said in one
line and followed by a scan or a regroup — and the scan itself (:class:`.ScanController`), its
progress strip and what it found said in the message bar."""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_app.context.protocols import SearchableContext
from desktop_app.context.types import ScoredPairs
from desktop_app.errors import LookalikeError
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.ui.common.states import MessageBar
from desktop_app.ui.duplicates import folder_changes
from desktop_app.ui.duplicates.folder_changes import FolderChange
from desktop_app.ui.duplicates.folders_panel import FoldersPanel
from desktop_app.ui.duplicates.scan_controller import ScanController, ScanOutcome
from desktop_app.ui.duplicates.scan_panel import ScanPanel
from desktop_app.ui.duplicates.texts import scan_text

FOLDERS = "folders"   # executor kind

log = logging.getLogger(__name__)


def refreshed_library(context: SearchableContext) -> tuple[ScoredPairs, dict[str, int]] | None:
    """(pair scores, folder counts) after files moved, or None if the context couldn't say: the
    move itself succeeded and must still be reported (with its Undo)."""
    try:
        return context.scored_pairs(), context.counts_by_folder()
    except LookalikeError:
        log.exception("couldn't refresh the library after moving files")
        return None


class LibraryScan(QObject):
    """Signals: ``changed(FolderChange)`` (after the panel shows it), ``scan_wanted()``,
    ``regroup_wanted()``, ``scanned(ScanOutcome)``, ``scan_stopped(failed)``,
    ``skipped_wanted()``, ``status(str)`` and ``error(str)`` (one sentence each)."""

    changed = Signal(object)
    scan_wanted = Signal()
    regroup_wanted = Signal()
    scanned = Signal(object)
    scan_stopped = Signal(bool)       # True: failed (the reason is in the message bar)
    skipped_wanted = Signal()
    status = Signal(str)
    error = Signal(str)

    def __init__(self, executor: SerialExecutor, panel: FoldersPanel, scan_panel: ScanPanel,
                 messages: MessageBar, *, context: Callable[[], SearchableContext | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._panel = panel
        self._scan_panel = scan_panel
        self._messages = messages
        self._context = context
        self.scanner = ScanController(self)
        self.workers: int | None = None   # processes for indexing (None: every core)
        self.pending: list[str] = []      # dropped or added while a scan was running
        self.pending_protection: dict[str, bool] = {}   # protection set while a scan was running
        self.note = ""                    # "Added 'X' to library 'Y'": kept atop the scan's summary
        self.scanner.progressed.connect(scan_panel.update_progress)
        self.scanner.finished.connect(self._on_scan_finished)
        self.scanner.failed.connect(self._on_scan_failed)
        self.scanner.cancelled.connect(self._on_scan_cancelled)
        scan_panel.cancel_requested.connect(self.scanner.cancel)
        panel.folders_added.connect(self.add)
        panel.folder_removed.connect(self.remove)
        panel.protection_changed.connect(self.protect)
        executor.finished.connect(self._on_executor_finished)
        executor.failed.connect(self._on_executor_failed)

    @Slot(list)
    def add(self, paths: Sequence[str], *, rescan: bool = False, announce: bool = False) -> None:
        """Add folders, then scan if any was new (or ``rescan``); queued while a scan runs."""
        context = self._context()
        if context is None:
            return
        if self.scanner.is_running:
            # Added when this scan ends (its folders are read-only meanwhile).
            self.pending += [p for p in paths if p not in self.pending]
            self.status.emit(f"{len(self.pending)} folder(s) will be added when this scan ends")
            return
        wanted = list(paths)
        self._executor.submit(FOLDERS, lambda: folder_changes.add_folders(context, wanted, rescan=rescan,
                                                                            announce=announce))

    @Slot(str)
    def remove(self, path: str) -> None:
        context = self._context()
        if context is not None and not self.scanner.is_running:
            self._executor.submit(FOLDERS, lambda: folder_changes.remove_folder(context, path))

    @Slot(str, bool)
    def protect(self, path: str, protected: bool) -> None:
        context = self._context()
        if context is not None and self.scanner.is_running:
            # The scan owns the library meanwhile; protection only matters to the groups it
            # leads to, so it is stored as the scan ends, before they are formed.
            self.pending_protection[path] = protected
            self.status.emit(f"'{path}' will be {'protected' if protected else 'unprotected'} when this scan ends")
        elif context is not None:
            self._executor.submit(FOLDERS, lambda: folder_changes.set_protected(context, path, protected))

    # --- the scan -------------------------------------------------------------------------------
    def start_scan(self, context: SearchableContext) -> bool:
        """Index the folders, then score the pairs (a worker). False if there is nothing to scan."""
        if not context.folders():
            return False
        self._messages.hide()
        self._panel.set_editable(False)
        self._scan_panel.start()
        self.scanner.start(context, workers=self.workers)
        return True

    def _scan_ended(self) -> None:
        self._scan_panel.hide()
        self._panel.set_editable(True)
        pending, self.pending_protection = self.pending_protection, {}
        for path, protected in pending.items():   # queued before the regroup that follows
            self.protect(path, protected)
        if self.pending:
            # Added after the handler that called us has shown this scan's outcome.
            QTimer.singleShot(0, self._add_pending)

    @Slot(object)
    def _on_scan_finished(self, outcome: ScanOutcome) -> None:
        self._scan_ended()
        context = self._context()
        if context is not None:
            self._panel.set_folders(context.folders(), outcome.folder_counts)
        text = scan_text(outcome)
        actions: list[tuple[str, Callable[[], None]]] = []
        if outcome.skipped:
            actions.append(("Show Skipped Files", self.skipped_wanted.emit))
        if outcome.index_cancelled:
            actions.append(("Scan Again", self.scan_wanted.emit))
        note, self.note = self.note, ""
        if actions or outcome.index_cancelled:
            # Where the folders went stays said (the window's note), above what the scan found.
            self._messages.show_message((f"{note} " if note else "") + text + ".",
                                        "warning" if outcome.skipped else "info", actions=actions)
        self.status.emit(text)
        self.scanned.emit(outcome)

    @Slot(str)
    def _on_scan_failed(self, message: str) -> None:
        self._scan_ended()
        self._messages.show_message(f"Scanning failed: {message}", "error",
                                    actions=[("Try Again", self.scan_wanted.emit)])
        self.scan_stopped.emit(True)

    @Slot()
    def _on_scan_cancelled(self) -> None:
        self._scan_ended()
        self.status.emit("Scan cancelled; the photos read so far are kept")
        self.scan_stopped.emit(False)

    # --- folders -----------------------------------------------------------------------------

    def _add_pending(self) -> None:
        paths, self.pending = self.pending, []
        if paths and not self.scanner.is_running:
            self.add(paths)
        elif paths:
            self.pending = paths

    @Slot(str, object)
    def _on_executor_finished(self, kind: str, result: object) -> None:
        context = self._context()
        if kind != FOLDERS or context is None:
            return
        assert isinstance(result, FolderChange)
        change = result
        for error in change.errors:
            self.error.emit(error)
        self._panel.set_folders(context.folders())
        path = change.requested[0] if change.requested else ""
        if change.action == folder_changes.ADD:
            if change.added:
                self.status.emit(f"Added {len(change.added)} folder(s); scanning…")
            if change.added or change.rescan:
                self.scan_wanted.emit()
        elif change.action == folder_changes.REMOVE:
            self.status.emit(f"Removed '{path}' from the library (its files are untouched)")
            self.scan_wanted.emit()
        else:
            self.status.emit(f"'{path}' is protected: its files are never archived" if change.protected
                             else f"'{path}' is no longer protected")
            self.regroup_wanted.emit()
        self.changed.emit(change)

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        context = self._context()
        if kind == FOLDERS:
            self.error.emit(message)
            if context is not None:
                self._panel.set_folders(context.folders())

"""The library's folders as the Duplicates page changes them: add (queued while a scan runs),
remove, protect — each a database write run in the executor (:mod:`.folder_changes`), then said
in one line and followed by a scan or a regroup."""

from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop_app.context.protocols import SearchableContext
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.ui.duplicates import folder_changes
from desktop_app.ui.duplicates.folder_changes import FolderChange
from desktop_app.ui.duplicates.folders_panel import FoldersPanel

FOLDERS = "folders"   # executor kind


class LibraryFolders(QObject):
    """Signals: ``changed(FolderChange)`` (after the panel shows it), ``scan_wanted()``,
    ``regroup_wanted()``, ``status(str)`` and ``error(str)`` (one sentence each)."""

    changed = Signal(object)
    scan_wanted = Signal()
    regroup_wanted = Signal()
    status = Signal(str)
    error = Signal(str)

    def __init__(self, executor: SerialExecutor, panel: FoldersPanel, *,
                 context: Callable[[], SearchableContext | None], scanning: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._panel = panel
        self._context = context
        self._scanning = scanning
        self.pending: list[str] = []   # dropped or added while a scan was running
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
        if self._scanning():
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
        if context is not None and not self._scanning():
            self._executor.submit(FOLDERS, lambda: folder_changes.remove_folder(context, path))

    @Slot(str, bool)
    def protect(self, path: str, protected: bool) -> None:
        context = self._context()
        if context is not None:
            self._executor.submit(FOLDERS, lambda: folder_changes.set_protected(context, path, protected))

    def scan_ended(self) -> None:
        """Add what was dropped during the scan, after the scan's own outcome is shown."""
        if self.pending:
            QTimer.singleShot(0, self._add_pending)

    def _add_pending(self) -> None:
        paths, self.pending = self.pending, []
        if paths and not self._scanning():
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

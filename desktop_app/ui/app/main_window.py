"""Lookalike's main window: composition only — build the pages, menus and settings, connect them.

Pages: a start screen (no library open) and the tabs Duplicates | Find Similar | Compare. A
"library" is a search context of :mod:`desktop_app.context`; recent ones reopen in one click
(File → Open Recent, or the start screen). Window geometry, splitter, threshold and recent
libraries persist in ``QSettings``; the archive destination is remembered with each library (by
the workflow's archive flow). Both pages share one serial executor (the session's one thread) and
one archive flow, so Edit → Undo Archive undoes the latest archive wherever it was made.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence, cast

from PySide6.QtCore import QByteArray, QSettings, Slot
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from desktop_app import APP_NAME, __version__
from desktop_app.context.protocols import SearchableContext
from desktop_app.errors import LookalikeError
from desktop_app.ui.app.orphans_dialog import OrphansDialog
from desktop_app.ui.app.start_page import StartPage
from desktop_app.ui.archive.flow import ArchiveFlow
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.ui.common import desktop
from desktop_app.ui.common.window_size import DEFAULT_SIZE, fit_to_screen
from desktop_app.ui.common.drops import Dropped, DropTarget
from desktop_app.ui.common.icons import app_icon
from desktop_app.ui.compare.page import ComparePage
from desktop_app.ui.duplicates.folder_changes import FolderChange
from desktop_app.ui.duplicates.page import DuplicatesPage
from desktop_app.ui.similar.page import SimilarPage
from desktop_app.workflow.libraries import library_for
from desktop_app.workflow.rules import RELATION_RULES, RULES
from desktop_app.ui.duplicates.folders_panel import FoldersPanel
from desktop_app.ui.app.rule_chain_dialog import ask_rule_chain

log = logging.getLogger(__name__)

MAX_RECENT = 8
LIBRARY = "library"   # executor kind: open or create a library (a database write)


class MainWindow(DropTarget, QMainWindow):
    """The window. ``store`` is a :class:`~desktop_app.context.store.ContextStore`."""

    def __init__(
        self,
        store: Any,
        *,
        settings: QSettings | None = None,
        confirm_archive: Callable[..., Any] | None = None,
        choose_folder: Callable[[QWidget], str] | None = None,
        log_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.log_file = log_file        # Help → Show Log (None: no log file is written)
        self.store = store
        self.settings = settings or QSettings()
        self._choose_folder = choose_folder or FoldersPanel.ask_folder
        self._ask_rule_chain = ask_rule_chain   # tests stand in for the dialog
        self.context: Any = None
        self.orphans_dialog: OrphansDialog | None = None
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        # Folders and photos dropped anywhere on the window (pages that take drops themselves,
        # like the compare views, get them first; folders pass through those).
        self.setAcceptDrops(True)
        self.start_page = StartPage(icon=app_icon())
        self.executor = SerialExecutor(self)
        self.archive = ArchiveFlow(self.executor, confirm=confirm_archive, parent=self)
        self.duplicates = DuplicatesPage(choose_folder=self._choose_folder, executor=self.executor, archive=self.archive)
        self.similar = SimilarPage(executor=self.executor, archive=self.archive)
        self.compare = ComparePage()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.duplicates, "Duplicates")
        self.tabs.addTab(self.similar, "Find Similar")
        self.tabs.addTab(self.compare, "Compare")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.pages.addWidget(self.tabs)
        self.setCentralWidget(self.pages)
        self.statusBar().showMessage("Ready")
        self._build_menus()
        self._connect()
        self._restore_settings()
        self._refresh_recent()

    # --- composition ---------------------------------------------------------------------------
    def _connect(self) -> None:
        self.executor.finished.connect(self._on_executor_finished)
        self.executor.failed.connect(self._on_executor_failed)
        self.start_page.add_folder_requested.connect(self.add_folder_dialog)
        self.start_page.folders_dropped.connect(self.open_folders)
        self.start_page.open_requested.connect(self.open_library)
        self.duplicates.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.duplicates.find_similar_requested.connect(self.show_similar)
        self.duplicates.compare_requested.connect(self.show_compare)
        self.similar.compare_requested.connect(self.show_compare)
        for page in (self.similar, self.compare):
            page.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.duplicates.threshold_committed.connect(lambda t: self.settings.setValue("threshold", int(t)))
        self.duplicates.folders_changed.connect(self._on_folders_changed)
        self.archive.undo_available.connect(self.undo_action.setEnabled)
        self.archive.running_changed.connect(lambda running: self.duplicates.setEnabled(not running))
        self.archive.running_changed.connect(self._close_when_stopped)
        self._closing = False   # closed while files moved: closes once the archive/undo has ended
        # One review session for both pages (one set of marks), used through one executor; files
        # archived or restored from either page leave (or rejoin) both (the flow's files_moved).
        self.duplicates.session_changed.connect(self.similar.archive().set_session)
        self.similar.archive().marks_edited.connect(self.duplicates.refresh_marks)
        self.duplicates.marks_edited.connect(self.similar.archive().reload)

    def _action(self, menu: Any, text: str, slot: Callable[[], Any], shortcut: Any = None, icon: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon:
            action.setIcon(QIcon.fromTheme(icon))
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New Library…", self.new_library_dialog, QKeySequence.StandardKey.New, "document-new")
        self.recent_menu = file.addMenu("Open &Recent")
        # Counted when shown: a scan since the last refresh must not leave "(0 photos)".
        self.recent_menu.aboutToShow.connect(self._refresh_recent)
        file.addSeparator()
        self.add_folder_action = self._action(file, "&Add Folder…", self.add_folder_dialog, "Ctrl+Shift+O", "folder-new")
        self.scan_action = self._action(file, "&Scan Again", self.duplicates.start_scan, "F5", "view-refresh")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "application-exit")

        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo Archive", self.undo_archive, QKeySequence.StandardKey.Undo, "edit-undo")
        self.undo_action.setEnabled(False)
        edit.addSeparator()
        self._action(edit, "&Reset Marks", lambda: self.duplicates.reset_marks(selected_only=False))
        self._action(edit, "Reset Marks of &Selected Groups", lambda: self.duplicates.reset_marks(selected_only=True))
        edit.addSeparator()
        self._action(edit, "&Not Duplicates…", self.duplicates.show_decisions)

        rules = self.rules_menu = bar.addMenu("&Rules")
        self.rules_all = rules.addMenu("Apply to &All Groups")
        self.rules_selected = rules.addMenu("Apply to &Selected Groups")
        for name, rule in RULES.items():
            label = rule.description[0].upper() + rule.description[1:]
            self._action(self.rules_all, label, partial(self.duplicates.apply_rules, name, selected_only=False))
            self._action(self.rules_selected, label, partial(self.duplicates.apply_rules, name, selected_only=True))
        # Rules by relation to the original: "Archive resized copies", "Keep crops".
        self.rules_relation = rules.addMenu("By &Relation (All Groups)")
        for relation_rule in RELATION_RULES:
            label = relation_rule.description[0].upper() + relation_rule.description[1:]
            self._action(self.rules_relation, label,
                         partial(self.duplicates.apply_rules, relation_rule.name, selected_only=False))
        rules.addSeparator()
        # Off by default: a rule leaves the photos the user marked by hand as they are.
        self.override_hand_marks = rules.addAction("&Override My Hand Marks")
        self.override_hand_marks.setCheckable(True)
        self.override_hand_marks.toggled.connect(self.duplicates.mark_actions.set_override_hand_marks)
        rules.addSeparator()
        self._action(rules, "Keep Files Matching a &Pattern…", self.pattern_rule_dialog)
        self._action(rules, "Apply a Rule &Chain…", self.rule_chain_dialog)

        view = bar.addMenu("&View")
        self._action(view, "&Skipped Files…", self.duplicates.show_skipped)
        self._action(view, "&Orphan Sidecars…", self.show_orphans)
        self._action(view, "&Duplicates", lambda: self.tabs.setCurrentWidget(self.duplicates), "Ctrl+1")
        self._action(view, "&Find Similar", lambda: self.tabs.setCurrentWidget(self.similar), "Ctrl+2")
        self._action(view, "&Compare", lambda: self.tabs.setCurrentWidget(self.compare), "Ctrl+3")

        help_ = bar.addMenu("&Help")
        self._action(help_, "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self.show_log_action = self._action(help_, "Show &Log", self.show_log)
        self.show_log_action.setEnabled(self.log_file is not None)
        self._action(help_, f"&About {APP_NAME}", self.show_about)
        self._update_library_actions()

    def _update_library_actions(self) -> None:
        """Rules and Scan Again need a library: disabled until one is open."""
        has_library = self.context is not None
        self.rules_menu.setEnabled(has_library)
        self.scan_action.setEnabled(has_library)
        self.scan_action.setToolTip("Scan the library's folders again (F5)" if has_library
                                    else "Add a folder of photos first")

    # --- libraries (contexts) ------------------------------------------------------------------
    def open_library(self, name: str) -> bool:
        """Open the library (context) ``name`` and scan it. False (and a message) if it fails."""
        try:
            context = self.store.open(name)
        except LookalikeError as err:
            self._error(str(err))
            self._refresh_recent()
            return False
        self._set_context(context)
        return True

    def open_folders(self, paths: Sequence[str], *, library: str | None = None) -> None:
        """Add ``paths`` to the open library, or to ``library``, or — nothing open, no name
        given (``lookalike FOLDER``) — to a library chosen by :meth:`_library_for`; scans. Says
        which library the folders joined and how many folders it now has."""
        wanted = list(paths)
        if self.context is None or library is not None:
            # Creating a library writes the database: in the executor, then the folders join it.
            name, store = library or self._library_for(paths), self.store
            self.executor.submit(LIBRARY, lambda: (store.open_or_create(name), wanted))
            return
        # Added in the executor; the page reports back (folders_changed) and scans.
        self.duplicates.add_folders(wanted, rescan=True, announce=True)

    @Slot(str, object)
    def _on_executor_finished(self, kind: str, result: object) -> None:
        if kind == LIBRARY:
            context, paths = cast(tuple[SearchableContext, "list[str] | None"], result)
            self._set_context(context, scan=False)
            if paths is not None:
                self.duplicates.add_folders(paths, rescan=True, announce=True)

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        if kind == LIBRARY:
            self._error(message)

    @Slot(object)
    def _on_folders_changed(self, change: FolderChange) -> None:
        if change.announce:
            self._say_where_folders_went(change.requested, change.before)

    def _say_where_folders_went(self, paths: Sequence[str], before: frozenset[str]) -> None:
        """'Added '/x/Trip' to library 'Trip' (1 folder)': at the top of the page and in the
        status bar, so folders never join a library silently."""
        context = self.context
        if context is None:
            return
        folders = [f.path for f in context.folders()]
        added = [f for f in folders if f not in before]
        count = f"{len(folders)} folder{'s' if len(folders) != 1 else ''}"
        if added:
            names = ", ".join(f"'{p}'" for p in added[:3]) + (f" and {len(added) - 3} more" if len(added) > 3 else "")
            text = f"Added {names} to library '{context.name}' ({count})."
        elif any(os.path.abspath(p) not in folders for p in paths):
            return   # queued behind a running scan (the page says so) or refused (its message shows)
        else:
            names = ", ".join(f"'{os.path.abspath(p)}'" for p in list(paths)[:3])
            text = f"{names} already in library '{context.name}' ({count})."
        if len(folders) > len(added) and added:
            text += " Its other folders are part of the groups too; File → New Library… keeps them apart."
        self.duplicates.messages.show_message(text, "info")
        self.duplicates.library.note = text
        self.statusBar().showMessage(text, 15000)

    def _library_for(self, paths: Sequence[str]) -> str:
        """The library for folders given with nothing open and no name (the workflow's rule)."""
        try:
            infos = self.store.list_contexts()
        except LookalikeError:
            infos = []
        return library_for(paths, infos, self._recent())

    def _set_context(self, context: Any, *, scan: bool = True) -> None:
        self.context = context
        self._update_library_actions()
        self.setWindowTitle(f"{context.name} — {APP_NAME}")
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.duplicates)
        self.duplicates.set_context(context, scan=scan)
        self.similar.set_context(context)
        self.compare.set_context(context)
        recent = [n for n in self._recent() if n != context.name]
        self.settings.setValue("recentLibraries", [context.name, *recent][:MAX_RECENT])
        self._refresh_recent()

    def new_library_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "New Library", "Name of the new library:")
        if ok and name.strip():
            store, wanted = self.store, name.strip()
            self.executor.submit(LIBRARY, lambda: (store.create(wanted), None))

    def add_folder_dialog(self) -> None:
        path = self._choose_folder(self)
        if path:
            self.open_folders([path])

    def _recent(self) -> list[str]:
        value = self.settings.value("recentLibraries", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else []

    def _refresh_recent(self) -> None:
        try:
            infos = {info.name: info for info in self.store.list_contexts()}
        except LookalikeError as err:
            self._error(str(err))
            infos = {}
        names = [n for n in self._recent() if n in infos]
        names += sorted(n for n in infos if n not in names)
        self.recent_menu.clear()
        for name in names[:MAX_RECENT]:
            info = infos[name]
            self._action(self.recent_menu, f"{name} ({info.image_count:,} photos)", partial(self.open_library, name))
        self.recent_menu.setEnabled(bool(names))
        self.start_page.set_recent([infos[n] for n in names])

    # --- archive ---------------------------------------------------------------------------------
    @Slot()
    def undo_archive(self) -> None:
        """Edit → Undo Archive (Ctrl+Z): the latest archive, whichever page made it; the summary
        shows on the page in view (Duplicates unless Find Similar is)."""
        if self.tabs.currentWidget() is self.similar:
            self.similar.undo_archive()
        else:
            self.duplicates.undo_archive()

    # --- routing to the other tabs ------------------------------------------------------------
    @Slot(str)
    def show_similar(self, path: str) -> None:
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.similar)
        self.similar.set_reference(path)

    @Slot(str, str)
    def show_compare(self, a: str, b: str) -> None:
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.compare)
        self.compare.set_images(a, b)

    # --- drag and drop from the file manager ----------------------------------------------------
    def open_dropped(self, what: Dropped) -> None:
        """Folders join the library (and are scanned); one photo is searched for similar ones,
        two are compared."""
        files = what.files
        if what.folders:
            self.open_folders(list(what.folders))
            if files:
                self.statusBar().showMessage(
                    f"Added the dropped folder(s); {len(files)} dropped file(s) left out "
                    "(drop one photo alone to find similar ones)", 10000)
        elif len(files) == 2:
            self.show_compare(files[0], files[1])
        elif files:
            self.show_similar(files[0])
            if len(files) > 2:
                self.statusBar().showMessage(
                    f"Finding photos similar to '{os.path.basename(files[0])}', the first of the "
                    f"{len(files)} dropped (drop two to compare them)", 10000)

    def take_drop(self, what: Dropped) -> None:
        self.open_dropped(what)

    # --- rules needing words from the user --------------------------------------------------------
    def pattern_rule_dialog(self) -> None:
        pattern, ok = QInputDialog.getText(
            self, "Keep Files Matching a Pattern",
            "Keep the files whose name (or path, with a /) matches, e.g. *_edit.* or */Best/*:",
        )
        if ok and pattern.strip():
            self.duplicates.apply_rules(f"path:{pattern.strip()}", selected_only=False)

    def rule_chain_dialog(self) -> None:
        chain = self._ask_rule_chain(str(self.settings.value("ruleChain", "highest-resolution,oldest")), self)
        if chain:
            self.settings.setValue("ruleChain", chain)
            self.duplicates.apply_rules(chain, selected_only=False)

    # --- dialogs -------------------------------------------------------------------------------
    def _error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        self.duplicates.messages.show_message(message, "error")

    def show_orphans(self) -> None:
        """Sidecars whose photo is gone (the last scan's findings): listed, never deleted."""
        if self.orphans_dialog is None:
            self.orphans_dialog = OrphansDialog(desktop.reveal, self)
        self.orphans_dialog.set_orphans(self.context.orphans() if self.context is not None else [])
        self.orphans_dialog.show()
        self.orphans_dialog.raise_()

    @Slot(str)
    def show_crash(self, message: str) -> None:
        """An unexpected error (logged with its traceback by the crash handler): one line."""
        self._error(message)

    def show_log(self) -> None:
        """Open the log file in the system's text viewer."""
        if self.log_file is None:
            return
        problem = desktop.open_file(str(self.log_file))
        if problem:
            self._error(problem)

    def show_shortcuts(self) -> None:
        from desktop_app.ui.app.shortcuts_dialog import ShortcutsDialog

        self._shortcuts_dialog = ShortcutsDialog(self)  # every page's keys, grouped (issue 5)
        self._shortcuts_dialog.open()

    def show_about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>Find exact and near-duplicate photos, review them side by "
            "side and archive the extra copies. Nothing is deleted; every archive can be undone.</p>",
        )

    # --- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(*DEFAULT_SIZE)
        fit_to_screen(self)   # a geometry saved on a bigger screen must not overflow this one
        splitter = self.settings.value("splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.duplicates.splitter.restoreState(splitter)
        try:
            threshold = int(str(self.settings.value("threshold", 90)))
        except (TypeError, ValueError):
            threshold = 90
        self.duplicates.detect.set_threshold(max(0, min(100, threshold)))

    def save_settings(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.duplicates.splitter.saveState())
        self.settings.setValue("threshold", self.duplicates.detect.threshold())
        self.settings.sync()

    def restore_last_library(self) -> bool:
        """Reopen the most recent library if it still exists (start-up)."""
        recent = self._recent()
        if not recent:
            return False
        names = {info.name for info in self.store.list_contexts()}
        return recent[0] in names and self.open_library(recent[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.archive.moving:
            # Never exit mid-move: stop after the file (an undo: the unit) being moved, let the
            # journal end the operation, then close (_close_when_stopped).
            event.ignore()
            if not self._closing:
                self._closing = True
                self.archive.cancel()
                self.statusBar().showMessage("Closing once the files being moved are in place…")
            return
        self.save_settings()
        self.duplicates.shutdown()
        self.similar.shutdown()
        self.compare.shutdown()
        super().closeEvent(event)

    @Slot(bool)
    def _close_when_stopped(self, running: bool) -> None:
        if self._closing and not running:
            self._closing = False
            self.close()

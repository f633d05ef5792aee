"""Find-similar page: photos of the library that look like a reference image.

The reference comes from any grid of the app (the main window calls :meth:`SimilarPage.set_reference`),
from a file dialog (Ctrl+F) or is dropped from the file manager. It need not be in the library and
is never added to it (``SearchContext.find_similar`` analyses outside paths without storing them).
Results are shown best first in a thumbnail grid with the score and its word from the scale.
Searches run through :class:`~desktop_app.ui.common.latest.LatestWins`, debounced while the controls move;
a newer request supersedes an older one, so the GUI thread never waits on the engine.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QCoreApplication, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.archive.flow import ArchiveFlow, ConfirmFn
from desktop_app.ui.archive.qt_trash import QtTrash
from desktop_app.ui.archive.texts import notice_text
from desktop_app.ui.common import desktop
from desktop_app.ui.common.drops import Dropped, DropTarget
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.ui.common.latest import LatestWins
from desktop_app.ui.common.scale import scale_word
from desktop_app.ui.common.states import error_banner
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.ui.common.workers import TaskFn
from desktop_app.ui.similar.archive import SimilarArchive
from desktop_app.ui.similar.reference_panel import ReferencePanel
from desktop_app.ui.similar.results import ResultDelegate, SimilarResultsModel, results_view
from desktop_app.ui.similar.search import SearchOutcome, SearchRequest, run_search
from desktop_app.workflow.archive_controller import ArchiveSummary
from desktop_app.workflow.trash import TrashBackend
from desktop_app.ui.common.file_dialogs import ask_image

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 70
DEFAULT_MAX_COUNT = 20
#: The controls must settle this long before a search starts: a slider drag is one search.
DEBOUNCE_MS = 200

# --------------------------------------------------------------------------------------- page


class SimilarPage(DropTarget, QWidget):
    """Photos similar to a reference. API for the main window: :meth:`set_context`,
    :meth:`set_reference`; signals ``compare_requested(reference, other)`` (route to the compare
    page), ``open_requested(path)`` is handled here (system viewer), ``status(str)`` for a
    status bar. Call :meth:`shutdown` before the window closes."""

    compare_requested = Signal(str, str)
    search_finished = Signal(int)        # number of results shown (tests, status bar)
    search_failed = Signal(str)          # the one-line message shown in the page
    status = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, confirm_archive: ConfirmFn | None = None,
                 trash: TrashBackend | None = None, executor: SerialExecutor | None = None,
                 archive: ArchiveFlow | None = None) -> None:
        super().__init__(parent)
        self._context: Any = None
        self._reference: str | None = None
        self._search = LatestWins(self)           # a newer search supersedes an older one
        self._search.finished.connect(self._on_search_finished)
        self._search.failed.connect(self._on_search_failed)
        # The window's executor and archive flow (one session, one Undo for both pages), or,
        # standalone, ones of its own.
        shared = executor is not None and archive is not None
        self._executor = executor if executor is not None else SerialExecutor(self)
        self._flow = archive if archive is not None else ArchiveFlow(self._executor, confirm=confirm_archive, parent=self)
        self._archive = SimilarArchive(self, self._executor, self._flow, shared=shared, trash=trash or QtTrash())
        self._archive.marks_changed.connect(self._on_marks_changed)
        self._archive.message.connect(self._on_archive_message)
        self._flow.summary_ready.connect(self._on_archive_summary)
        self._flow.files_moved.connect(self._on_library_changed)
        self._flow.undo_available.connect(lambda _available: self._update_actions())
        self._flow.running_changed.connect(lambda _running: self._update_actions())

        self._thumbnails = ThumbnailCache(None, size=ResultDelegate.THUMB, parent=self)
        self._model = SimilarResultsModel(self._thumbnails, self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_now)
        self._build()
        self._build_shortcuts()
        self.setAcceptDrops(True)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._show_empty_state()

    # ----------------------------------------------------------------- building

    def _build(self) -> None:
        # Left: the reference.
        self._reference_panel = ReferencePanel()
        self._reference_panel.choose.clicked.connect(self.choose_reference)

        # Right: controls above the results grid.
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setRange(0, 100)
        self._slider.setValue(DEFAULT_THRESHOLD)
        self._slider.setPageStep(5)
        self._slider.setToolTip("Show photos at least this similar (100 identical, 90 minor changes, "
                                "70 same subject, 50 moderate)")
        self._slider.setAccessibleName("Similarity threshold")
        self._threshold_label = QLabel()
        self._threshold_label.setMinimumWidth(150)
        self._spin = QSpinBox()
        self._spin.setRange(1, 1000)
        self._spin.setValue(DEFAULT_MAX_COUNT)
        self._spin.setAccessibleName("Maximum number of results")
        self._slider.valueChanged.connect(self._on_controls_changed)
        self._spin.valueChanged.connect(self._on_controls_changed)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("At least"))
        controls.addWidget(self._slider, 1)
        controls.addWidget(self._threshold_label)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Show up to"))
        controls.addWidget(self._spin)

        self._status = QLabel()
        self._banner = error_banner()
        self._notice = QLabel(wordWrap=True)
        self._undo_btn = QPushButton("Undo")
        self._undo_btn.setToolTip("Put the archived files back where they were")
        self._undo_btn.clicked.connect(self.undo_archive)
        notice = QHBoxLayout()
        notice.addWidget(self._notice, 1)
        notice.addWidget(self._undo_btn)
        self._notice_bar = QFrame()
        self._notice_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self._notice_bar.setLayout(notice)
        self._notice_bar.hide()

        self._view = results_view(self._model)
        self._view.customContextMenuRequested.connect(self._on_view_context_menu)
        self._view.doubleClicked.connect(lambda idx: self.compare_selected())

        actions = QHBoxLayout()
        self._compare_btn = QPushButton("Compare with reference")
        self._compare_btn.setToolTip("Compare the selected photo with the reference (Return, Ctrl+Shift+C)")
        self._compare_btn.clicked.connect(self.compare_selected)
        self._open_btn = QPushButton("Open")
        self._open_btn.setToolTip("Open in the system viewer (Ctrl+Return)")
        self._open_btn.clicked.connect(self.open_selected)
        self._reveal_btn = QPushButton("Show in folder")
        self._reveal_btn.setToolTip("Reveal in the file manager (Ctrl+Shift+R)")
        self._reveal_btn.clicked.connect(self.reveal_selected)
        self._mark_btn = QPushButton("Mark for archive")
        self._mark_btn.setToolTip("Toggle the archive mark of the selected photos (Space)")
        self._mark_btn.clicked.connect(self.toggle_mark_selected)
        self._archive_btn = QPushButton("Archive marked…")
        self._archive_btn.setToolTip("Move the photos marked for archiving to an archive folder or the "
                                     "trash (planned, confirmed, undoable)")
        self._archive_btn.clicked.connect(self._archive.archive)
        for button in (self._compare_btn, self._open_btn, self._reveal_btn, self._mark_btn, self._archive_btn):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self._status)
        self._view.selectionModel().selectionChanged.connect(self._update_actions)

        right = QVBoxLayout()
        right.addLayout(controls)
        right.addWidget(self._banner)
        right.addWidget(self._notice_bar)
        # An empty grid says why it is empty (no reference, searching, nothing that similar).
        self._empty = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        empty_font = self._empty.font()
        empty_font.setPointSizeF(empty_font.pointSizeF() * 1.15)
        self._empty.setFont(empty_font)
        self._empty.setMargin(24)
        self._grid = QStackedWidget()
        self._grid.addWidget(self._view)
        self._grid.addWidget(self._empty)
        right.addWidget(self._grid, 1)
        right.addLayout(actions)

        layout = QHBoxLayout(self)
        layout.addWidget(self._reference_panel)
        layout.addLayout(right, 1)
        self._update_threshold_label()
        self._update_actions()

    def _build_shortcuts(self) -> None:
        scope = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            (QKeySequence.StandardKey.Find, self.choose_reference),          # Ctrl+F
            (QKeySequence("Ctrl+Shift+C"), self.compare_selected),
            (QKeySequence("Ctrl+Shift+R"), self.reveal_selected),
            (QKeySequence("Ctrl+Return"), self.open_selected),
            (QKeySequence("Ctrl+Enter"), self.open_selected),
        ):
            QShortcut(keys, self, slot, context=scope)
        # On the grid only, so Space/Return keep their meaning in the controls. Return compares,
        # as Return reviews a group on the duplicates page: both stay in the app.
        for keys, slot in (
            (QKeySequence(Qt.Key.Key_Return), self.compare_selected),
            (QKeySequence(Qt.Key.Key_Enter), self.compare_selected),
            (QKeySequence(Qt.Key.Key_Space), self.toggle_mark_selected),
        ):
            QShortcut(keys, self._view, slot, context=Qt.ShortcutContext.WidgetShortcut)

    # ----------------------------------------------------------------- API

    def set_context(self, context: Any) -> None:
        """Search this context (a :class:`~desktop_app.context.store.SearchContext`, or None)."""
        self._context = context
        self._thumbnails.set_fetch(context.thumbnail if context is not None else None)
        self._archive.set_context(context)
        self._notice_bar.hide()
        self._model.set_results(())
        if self._reference:
            self._search_now()
        else:
            self._show_empty_state()

    def set_reference(self, path: str) -> None:
        """Search for photos similar to the file at ``path`` (in the library or not; never added)."""
        path = os.path.abspath(os.fspath(path))
        self._reference = path
        self._reference_panel.show_loading(path)
        self._model.set_results(())
        self._update_actions()
        self._search_now()

    @Slot()
    def undo_archive(self) -> None:
        """Put back the latest archive (made here or on the Duplicates page); the summary shows here."""
        self._archive.undo()

    def reference(self) -> str | None:
        return self._reference

    def threshold(self) -> int:
        return self._slider.value()

    def set_threshold(self, value: int) -> None:
        self._slider.setValue(value)

    def max_count(self) -> int:
        return self._spin.value()

    def set_max_count(self, value: int) -> None:
        self._spin.setValue(value)

    def model(self) -> SimilarResultsModel:
        return self._model

    def results_view(self) -> QListView:
        return self._view

    def banner_text(self) -> str:
        """The error shown in the page, "" when none (tests, accessibility)."""
        return self._banner.text() if self._banner.isVisibleTo(self) else ""

    def is_busy(self) -> bool:
        return self._search.busy or self._debounce.isActive() or self._archive.settling()

    def archive(self) -> SimilarArchive:
        """Marks and archiving of the results (the workflow's rules and journal)."""
        return self._archive

    @Slot()
    def choose_reference(self) -> None:
        """Ask for a file and search for photos similar to it."""
        path = ask_image(self, "Find photos similar to…", near=self._reference or "")
        if path:
            self.set_reference(path)

    def selected_paths(self) -> list[str]:
        rows = sorted(i.row() for i in self._view.selectionModel().selectedIndexes())
        if not rows and self._view.currentIndex().isValid():
            rows = [self._view.currentIndex().row()]
        return [self._model.result(r).image.path for r in rows]

    @Slot()
    def compare_selected(self) -> None:
        paths = self.selected_paths()
        if self._reference and paths:
            self.compare_requested.emit(self._reference, paths[0])

    @Slot()
    def open_selected(self) -> None:
        for path in self.selected_paths()[:10]:  # a stray Enter on 500 rows must not open 500 apps
            self._report(desktop.open_file(path))

    @Slot()
    def reveal_selected(self) -> None:
        paths = self.selected_paths()
        if paths:
            self._report(desktop.reveal(paths[0]))

    def _report(self, problem: str | None) -> None:
        """A desktop hand-off that failed says so in the banner (one sentence naming the file)."""
        if problem:
            self._show_banner(problem)

    @Slot()
    def toggle_mark_selected(self) -> None:
        """Mark the selected results for archiving, or keep them again (the workflow decides)."""
        paths = self.selected_paths()
        if paths:
            self._banner.hide()
            self._archive.toggle(paths)

    def shutdown(self) -> None:
        """Stop pending work and wait for running searches (call before the window closes)."""
        self._debounce.stop()
        self._search.shutdown()
        self._archive.wait()
        self._thumbnails.shutdown()

    # ----------------------------------------------------------------- searching

    @Slot()
    def _on_controls_changed(self) -> None:
        self._update_threshold_label()
        if self._reference:
            self._status.setText("Updating…")
            self._debounce.start()

    @Slot()
    def _search_now(self) -> None:
        self._debounce.stop()
        if not self._reference:
            return
        request = SearchRequest(self._reference, self._slider.value(), self._spin.value(), with_preview=False)
        self._search.request(request, lambda: self._search_task(request))

    def _search_task(self, request: SearchRequest) -> TaskFn:
        """The search as it starts (the reference's preview is decoded once per reference)."""
        request = SearchRequest(
            request.reference, request.threshold, request.max_count,
            with_preview=self._reference_panel.preview_for != request.reference,
        )
        context = self._context
        self._status.setText("Searching…")
        if self._model.rowCount() == 0:
            self._set_grid_message("Searching…")
        self.status.emit("Searching for similar photos…")
        return lambda _progress, cancel: run_search(context, request, cancel)

    @Slot(object, object)
    def _on_search_finished(self, _request: object, outcome: SearchOutcome) -> None:
        if outcome.request.reference == self._reference:
            self._apply(outcome)

    @Slot(object, str)
    def _on_search_failed(self, _request: object, message: str) -> None:
        log.info("find similar failed: %s", message)
        self._model.set_results(())
        self._reference_panel.show_unreadable(self._reference)
        self._show_banner(message)
        self._status.setText("")
        self._set_grid_message("Nothing to compare with: the reference photo couldn't be read.")
        self.status.emit(message)   # not "Searching…" left in the status bar
        self.search_failed.emit(message)

    def _apply(self, outcome: SearchOutcome) -> None:
        request = outcome.request
        self._banner.hide()
        self._reference_panel.show_found(request.reference, outcome.preview, outcome.source_size,
                                         outcome.reference_record is not None)
        self._model.set_results(outcome.results)
        self._archive.set_results(outcome.reference_record, outcome.results)
        n = len(outcome.results)
        if self._context is None:
            self._status.setText("")
            self._show_banner("Open or create a library to search it for similar photos.")
            self._set_grid_message("No library is open: there is nothing to search yet.")
        elif n == 0:
            self._status.setText(f"No photo at least {request.threshold} similar")
            self._set_grid_message(
                f"No photo in the library is at least {request.threshold} similar to this one."
                + ("\nLower the threshold to see more distant matches." if request.threshold > 50 else "")
            )
        else:
            self._set_grid_message("")
            noun = "photo" if n == 1 else "photos"
            self._status.setText(f"{n} similar {noun} · {outcome.seconds:.1f} s")
        if n and not self._view.currentIndex().isValid():
            self._view.setCurrentIndex(self._model.index(0))
        self._update_actions()
        self.status.emit(self._status.text())
        self.search_finished.emit(n)

    # ----------------------------------------------------------------- presentation

    def _set_grid_message(self, text: str) -> None:
        """Show ``text`` instead of the grid ("" shows the grid)."""
        self._empty.setText(text)
        self._grid.setCurrentWidget(self._empty if text else self._view)

    def _show_empty_state(self) -> None:
        self._set_grid_message("Find photos that look like another one.\n\nChoose a photo (Ctrl+F), drop one "
                               "onto this page, or use “Find similar” on any photo in the library.\n"
                               "It does not have to be in the library, and it is never added to it.")
        self._reference_panel.show_empty()
        self._status.setText("")

    def _show_banner(self, message: str) -> None:
        self._banner.setText(message)
        self._banner.show()

    def _update_threshold_label(self) -> None:
        value = self._slider.value()
        self._threshold_label.setText(f"{value} · {scale_word(value)}")   # as on the Duplicates page

    @Slot()
    def _update_actions(self) -> None:
        has = bool(self._view.selectionModel().hasSelection() or self._view.currentIndex().isValid())
        has = has and self._model.rowCount() > 0
        for button in (self._compare_btn, self._open_btn, self._reveal_btn):
            button.setEnabled(has)
        can_mark = self._archive.available()
        self._mark_btn.setEnabled(has and can_mark)
        marked = self._archive.marked()
        chosen = self.selected_paths() if has else []
        self._mark_btn.setText("Keep" if chosen and all(p in marked for p in chosen) else "Mark for archive")
        self._archive_btn.setEnabled(can_mark and bool(self._archive.marked()))
        self._undo_btn.setEnabled(self._archive.can_undo())

    @Slot(QPoint)
    def _on_view_context_menu(self, pos: QPoint) -> None:
        index = self._view.indexAt(pos)
        if not index.isValid():
            return
        if not self._view.selectionModel().isSelected(index):
            self._view.setCurrentIndex(index)
        path = self._model.result(index.row()).image.path
        menu = QMenu(self)
        menu.addAction("Compare with reference", self.compare_selected)
        menu.addAction("Find similar to this photo", lambda: self.set_reference(path))
        menu.addSeparator()
        menu.addAction("Open", self.open_selected)
        menu.addAction("Show in folder", self.reveal_selected)
        menu.addSeparator()
        mark = menu.addAction("Unmark" if path in self._model.marked() else "Mark for archive",
                              self.toggle_mark_selected)
        mark.setEnabled(self._archive.available())
        menu.exec(self._view.viewport().mapToGlobal(pos))

    @Slot()
    def _on_marks_changed(self) -> None:
        self._model.set_marked(self._archive.marked())
        self._update_actions()

    @Slot(str)
    def _on_archive_message(self, text: str) -> None:
        self._notice.setText(text)
        self._notice_bar.show()
        self._update_actions()
        self.status.emit(text)

    @Slot(object, object)
    def _on_archive_summary(self, summary: ArchiveSummary, origin: object) -> None:
        if origin is self:
            self._on_archive_message(notice_text(summary))

    @Slot()
    def _on_library_changed(self) -> None:
        """Files were archived or restored (from either page): search again, so archived photos
        leave the results and restored ones come back."""
        if self._reference and self._context is not None:
            self._search_now()

    # ----------------------------------------------------------------- drag and drop

    def takes_drop(self, what: Dropped) -> bool:
        return bool(what.files)   # a folder passes on to the window (added to the library)

    def take_drop(self, what: Dropped) -> None:
        self.set_reference(what.files[0])

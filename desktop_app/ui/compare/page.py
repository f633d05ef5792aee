"""Compare-two-images page: the score with its word, both images side by side with synchronised
zoom and the matched ORB keypoints drawn as lines between them, and the difference map.

Images come from any grid (the main window calls :meth:`ComparePage.set_images`), from file dialogs
or are dropped onto the left/right view. Outside files are analysed, never added to the library.
Decoding and comparing run through :class:`~desktop_app.ui.common.latest.LatestWins` (new photos
supersede a comparison under way); each side is decoded once and kept while it stays on screen, so
swapping or replacing one side reloads only that side.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QSize, QStandardPaths, Qt, Signal, Slot
from PySide6.QtGui import QFont, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.preview import display_transform
from desktop_app.engine.types import Comparison
from desktop_app.ui.common.difference import DifferenceLegend
from desktop_app.ui.common.image_view import ImageView
from desktop_app.ui.common.view_sync import ViewSynchroniser
from desktop_app.ui.common.scale import scale_word
from desktop_app.ui.common.states import error_banner
from desktop_app.ui.common.latest import LatestWins
from desktop_app.ui.common.workers import TaskFn
from desktop_app.ui.compare.data import CompareOutcome, Side, run_compare
from desktop_app.ui.compare.full_resolution import FullResolution
from desktop_app.ui.compare.render import ExportContent, MatchLines, SideBySide, render_comparison, write_png
from desktop_app.ui.compare.score_box import ScoreBox
from desktop_app.ui.common.file_dialogs import ask_image, ask_images

log = logging.getLogger(__name__)

EMPTY_HINT = "Drop a photo here\nor choose one above"


class ComparePage(QWidget):
    """Score and evidence for two images. API for the main window: :meth:`set_context`,
    :meth:`set_images`; call :meth:`shutdown` before the window closes."""

    comparison_finished = Signal(object)     # CompareOutcome (tests, status bar)
    status = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context: Any = None
        self._paths: list[str] = ["", ""]
        self._sides: dict[str, Side] = {}
        self._outcome: CompareOutcome | None = None
        self._compare = LatestWins(self)   # new paths supersede a comparison under way
        self._compare.finished.connect(self._on_finished)
        self._compare.failed.connect(self._on_failed)
        self._full_res = FullResolution(self)   # renditions of the photos on screen
        self._full_res.loaded.connect(self._on_detail_loaded)
        self._full_res.failed.connect(self._on_detail_failed)
        self._export_dir = ""
        self._build()
        self._build_shortcuts()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._refresh_headers()

    # ----------------------------------------------------------------- building

    def _build(self) -> None:
        self.view_a = ImageView(accept_file_drops=True)
        self.view_b = ImageView(accept_file_drops=True)
        self.view_diff = ImageView()
        for slot, view in enumerate((self.view_a, self.view_b)):
            view.set_message(EMPTY_HINT)
            view.file_dropped.connect(lambda path, s=slot: self.set_image(s, path))
        self.view_diff.set_message("The difference map appears when two photos are compared.")
        self._sync = ViewSynchroniser([self.view_a, self.view_b, self.view_diff])
        self._side_by_side = SideBySide(self.view_a, self.view_b)
        self.view_a.view_changed.connect(self._update_zoom_label)
        self.view_diff.view_changed.connect(self._update_zoom_label)
        for slot, view in enumerate((self.view_a, self.view_b)):
            view.view_changed.connect(lambda s=slot: self._maybe_load_detail(s))

        bold = QFont(self.font())
        bold.setBold(True)
        self._names: list[QLabel] = []
        self._details: list[QLabel] = []
        header = QGridLayout()
        for slot, title in ((0, "Left"), (1, "Right")):
            name, details = QLabel(), QLabel()
            name.setFont(bold)
            for label in (name, details):
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setMinimumWidth(80)
            choose = QPushButton(f"Choose {title.lower()}…")
            choose.setToolTip(f"Choose the {title.lower()} photo (or drop one on it)")
            choose.clicked.connect(lambda _=False, s=slot: self.choose_image(s))
            column = 0 if slot == 0 else 2
            box = QVBoxLayout()
            row = QHBoxLayout()
            row.addWidget(name)
            row.addWidget(choose)
            row.addStretch(1)
            box.addLayout(row)
            box.addWidget(details)
            box.addStretch(1)
            header.addLayout(box, 0, column)
            self._names.append(name)
            self._details.append(details)

        self._verdict = ScoreBox()
        self._score, self._word = self._verdict.score, self._verdict.word
        header.addWidget(self._verdict, 0, 1)
        header.setColumnStretch(0, 1)
        header.setColumnStretch(2, 1)

        tools = QHBoxLayout()
        self._modes = QButtonGroup(self)
        for i, (text, tip) in enumerate((("Side by side", "Both photos, synchronised (D toggles)"),
                                          ("Difference", "Where they differ, right aligned onto left (D)"))):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setToolTip(tip)
            self._modes.addButton(button, i)
            tools.addWidget(button)
        self._modes.button(0).setChecked(True)
        self._modes.idToggled.connect(self._on_mode_toggled)
        self._show_lines = QCheckBox("Matches")
        self._show_lines.setChecked(True)
        self._show_lines.setToolTip("Draw matched keypoints: green agree with the geometry, red do not (M)")
        self._show_outliers = QCheckBox("Outliers")
        self._show_outliers.setChecked(True)
        self._show_outliers.setToolTip("Also draw matches the geometry rejects (O)")
        for check in (self._show_lines, self._show_outliers):
            check.toggled.connect(self._update_overlay)
            tools.addWidget(check)
        tools.addStretch(1)
        for text, tip, slot_fn in (("Fit", "Fit (0)", self.fit), ("1:1", "Actual pixels (1)", self.actual_size),
                                   ("−", "Zoom out (-)", self.zoom_out), ("+", "Zoom in (+)", self.zoom_in)):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot_fn)
            button.setMaximumWidth(48)
            tools.addWidget(button)
        self._zoom_label = QLabel("")
        self._zoom_label.setMinimumWidth(110)
        tools.addWidget(self._zoom_label)
        tools.addSpacing(12)
        swap = QPushButton("Swap")
        swap.setToolTip("Swap left and right (X)")
        swap.clicked.connect(self.swap)
        tools.addWidget(swap)
        self._export = QPushButton("Export PNG…")
        self._export.setToolTip("Save this comparison as a PNG image (Ctrl+E)")
        self._export.clicked.connect(self.export_png)
        tools.addWidget(self._export)

        self._banner = error_banner()
        diff_page = QWidget()
        diff_box = QVBoxLayout(diff_page)
        diff_box.setContentsMargins(0, 0, 0, 0)
        diff_box.addWidget(self.view_diff, 1)
        diff_box.addWidget(DifferenceLegend())   # the colours of the map, as drawn
        self._diff_note = QLabel(wordWrap=True)
        diff_box.addWidget(self._diff_note)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._side_by_side)
        self._stack.addWidget(diff_page)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(tools)
        layout.addWidget(self._banner)
        layout.addWidget(self._stack, 1)

    def _build_shortcuts(self) -> None:
        scope = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            ("Ctrl+Shift+C", self.choose_images),
            ("Ctrl+E", self.export_png),
            ("+", self.zoom_in), ("=", self.zoom_in), ("-", self.zoom_out),
            ("0", self.fit), ("1", self.actual_size),
            ("D", self.toggle_mode), ("M", self._show_lines.toggle), ("O", self._show_outliers.toggle),
            ("X", self.swap),
        ):
            QShortcut(QKeySequence(keys), self, slot, context=scope)

    # ----------------------------------------------------------------- API

    def set_context(self, context: Any) -> None:
        """Use this library: its stored features for library files (None: analyse every file)."""
        self._context = context
        self._sides.clear()  # "in the library" and features may differ in another context
        if any(self._paths):
            self._run()

    def set_images(self, path_a: str, path_b: str) -> None:
        """Compare the files at ``path_a`` (left) and ``path_b`` (right)."""
        self._paths = [self._norm(path_a), self._norm(path_b)]
        self._run()

    def set_image(self, slot: int, path: str) -> None:
        """Put ``path`` in the left (0) or right (1) slot; compares when both are set."""
        self._paths[slot] = self._norm(path)
        self._run()

    def paths(self) -> tuple[str, str]:
        return self._paths[0], self._paths[1]

    def outcome(self) -> CompareOutcome | None:
        """The comparison on screen (None while loading or with fewer than two images)."""
        return self._outcome

    def banner_text(self) -> str:
        return self._banner.text() if self._banner.isVisibleTo(self) else ""

    def drawn_lines(self) -> MatchLines:
        """The match lines currently drawn over the side-by-side views."""
        return self._side_by_side.overlay.drawn()

    def is_busy(self) -> bool:
        return self._compare.busy

    @Slot()
    def choose_image(self, slot: int) -> None:
        path = ask_image(self, f"Choose the {('left', 'right')[slot]} photo", near=self._paths[slot] or self._paths[1 - slot])
        if path:
            self.set_image(slot, path)

    @Slot()
    def choose_images(self) -> None:
        """Pick two files at once (or one, for the empty or the right slot)."""
        paths = ask_images(self, "Choose two photos to compare", near=self._paths[0] or self._paths[1])
        if len(paths) >= 2:
            self.set_images(paths[0], paths[1])
        elif paths:
            self.set_image(0 if not self._paths[0] else 1, paths[0])

    @Slot()
    def swap(self) -> None:
        if any(self._paths):
            self._paths.reverse()
            self._run()

    @Slot()
    def toggle_mode(self) -> None:
        self._modes.button(1 - self._modes.checkedId()).setChecked(True)

    def _active_view(self) -> ImageView:
        return self.view_diff if self._stack.currentIndex() == 1 else (
            self.view_a if self.view_a.has_image() else self.view_b)

    @Slot()
    def zoom_in(self) -> None:
        self._active_view().zoom_in()

    @Slot()
    def zoom_out(self) -> None:
        self._active_view().zoom_out()

    @Slot()
    def fit(self) -> None:
        self._active_view().fit()

    @Slot()
    def actual_size(self) -> None:
        self._active_view().actual_size()

    @Slot()
    def export_png(self) -> None:
        """Save the comparison on screen as a PNG chosen by the user."""
        image = self.render_export()
        if image is None:
            self._show_banner("Compare two photos first, then export the comparison.")
            return
        o = self._outcome
        assert o is not None
        stem = f"compare-{os.path.splitext(os.path.basename(o.a.path))[0]}-{os.path.splitext(os.path.basename(o.b.path))[0]}.png"
        # Not next to the photos: an export inside a library folder would be indexed as a photo.
        folder = self._export_dir or QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        start = os.path.join(folder, stem)
        path, _ = QFileDialog.getSaveFileName(self, "Export comparison", start, "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        self._export_dir = os.path.dirname(path)
        if write_png(image, path):
            self.status.emit(f"Saved the comparison to '{os.path.basename(path)}'.")
        else:
            self._show_banner(f"Couldn't save '{os.path.basename(path)}': the folder may be read-only or full.")

    def render_export(self) -> QImage | None:
        """The comparison as an image (what Export saves), or None without a comparison."""
        o = self._outcome
        if o is None or o.comparison is None or o.a.image is None or o.b.image is None:
            return None
        lines = o.lines.sample(outliers=self._show_outliers.isChecked()) if self._show_lines.isChecked() else MatchLines.empty()
        return render_comparison(ExportContent(
            os.path.basename(o.a.path), os.path.basename(o.b.path), o.a.details(), o.b.details(),
            o.comparison.score,
            (f"right: {o.relation}" if o.relation else o.comparison.reason) or scale_word(o.comparison.score),
            f"{o.comparison.inliers} of {o.comparison.matches} keypoint matches agree with one geometry"
            if o.comparison.matches else "",
            o.a.image, o.b.image, lines, o.difference, o.difference_note,
        ))

    def shutdown(self) -> None:
        """Wait for running work (call before the window closes)."""
        self._compare.shutdown()
        self._full_res.shutdown()

    # ----------------------------------------------------------------- work

    @staticmethod
    def _norm(path: str) -> str:
        return os.path.abspath(os.fspath(path)) if path else ""

    def _run(self) -> None:
        self._outcome = None
        self._banner.hide()
        self._refresh_headers()
        self._full_res.keep_only(self._paths)
        for slot, view in enumerate((self.view_a, self.view_b)):
            side = self._sides.get(self._paths[slot])
            if side is not None and side.ok:
                view.set_image(side.image, source_size=QSize(side.width, side.height))
                detail = self._full_res.get(side.path)
                if detail is not None:
                    view.set_detail_image(detail)
            else:
                view.set_image(None)
                view.set_message("Loading…" if self._paths[slot] else EMPTY_HINT)
        self._side_by_side.overlay.set_lines(MatchLines.empty())
        self.view_diff.set_image(None)
        self.view_diff.set_message("Comparing…" if all(self._paths) else
                                   "The difference map appears when two photos are compared.")
        self._diff_note.setText("")
        self._set_score(None)
        if not any(self._paths):
            return
        self._compare.request(tuple(self._paths), self._compare_task)

    def _compare_task(self) -> TaskFn:
        """The comparison of the paths on screen when it starts (sides already decoded reused)."""
        context, path_a, path_b = self._context, self._paths[0], self._paths[1]
        if not path_a:  # only the right slot is set: load it as the "left" to show it
            path_a, path_b = path_b, ""
        known = {p: s for p, s in self._sides.items() if p in (path_a, path_b) and s.ok}
        self.status.emit("Comparing…" if path_b else "Loading…")
        return lambda _p, cancel: run_compare(context, path_a, path_b, known, cancel)

    @Slot(object, object)
    def _on_finished(self, _paths: object, outcome: CompareOutcome) -> None:
        self._apply(outcome)

    @Slot(object, str)
    def _on_failed(self, _paths: object, message: str) -> None:
        self._show_banner(message)
        self.view_diff.set_message("")

    def _apply(self, outcome: CompareOutcome) -> None:
        sides = [s for s in (outcome.a, outcome.b) if s.path]
        # Keep only what is on screen (each side holds a full-size preview).
        self._sides = {s.path: s for s in sides if s.ok and s.path in self._paths}
        errors = [s.error for s in sides if s.error]
        for slot, view in enumerate((self.view_a, self.view_b)):
            side = next((s for s in sides if s.path == self._paths[slot]), None)
            if side is None:
                continue
            if side.ok:
                if not view.has_image():
                    view.set_image(side.image, source_size=QSize(side.width, side.height))
            else:
                view.set_image(None)
                view.set_message(side.error)
        self._refresh_headers()
        if errors:
            self._show_banner(" ".join(errors))
        if outcome.comparison is None:
            self.view_diff.set_message("The difference map appears when two photos are compared."
                                       if not errors else "No difference map: " + errors[0])
            return
        self._outcome = outcome
        self._set_score(outcome.comparison, outcome.relation)
        self._side_by_side.overlay.set_lines(outcome.lines)
        self._update_overlay()
        self.view_diff.set_image(outcome.difference)
        self._diff_note.setText(outcome.difference_note)
        self._set_frames(outcome)
        self._sync.sync_from(self.view_a)
        self.status.emit(f"Compared in {outcome.seconds:.1f} s")
        self.comparison_finished.emit(outcome)

    def _set_frames(self, outcome: CompareOutcome) -> None:
        """Link the views by content when the geometry is an upright crop/resize/shift, so zooming
        into a face in one photo shows the same face in the other; otherwise by position."""
        self._sync.clear_frames()
        c, a, b = outcome.comparison, outcome.a, outcome.b
        if c is None or c.transform is None or a.rgb is None or b.rgb is None or a.features is None or b.features is None:
            return
        m = display_transform(c.transform, working_a=a.features.working_size, working_b=b.features.working_size,
                              display_a=(a.rgb.shape[1], a.rgb.shape[0]), display_b=(b.rgb.shape[1], b.rgb.shape[0]))
        m = m / m[2, 2]
        linear = m[:2, :2]
        sx, sy = np.hypot(linear[0, 0], linear[1, 0]), np.hypot(linear[0, 1], linear[1, 1])
        angle = abs(np.degrees(np.arctan2(linear[1, 0], linear[0, 0])))
        upright = (np.linalg.det(linear) > 0 and angle < 3.0 and abs(sx / sy - 1.0) < 0.05
                   and np.abs(m[2, :2]).max() < 1e-4)
        if not upright:
            return  # rotated, mirrored or perspective: relative position is the honest link
        self._sync.set_frame(self.view_a, np.eye(3))
        self._sync.set_frame(self.view_b, np.linalg.inv(m))      # b's pixels -> a's pixels
        if outcome.difference is not None and outcome.difference.width() > 0:
            k = a.rgb.shape[1] / outcome.difference.width()
            self._sync.set_frame(self.view_diff, np.diag([k, k, 1.0]))

    @Slot()
    def _maybe_load_detail(self, slot: int) -> None:
        """Past the preview's own resolution, fetch the file's full pixels for that side (once)."""
        path = self._paths[slot]
        side = self._sides.get(path)
        if side is None or not side.ok or not (self.view_a, self.view_b)[slot].is_magnifying_preview():
            return
        if self._full_res.request(path, max(side.width, side.height)):
            self.status.emit(f"Loading '{os.path.basename(path)}' at full resolution…")

    @Slot(str, QImage)
    def _on_detail_loaded(self, path: str, image: QImage) -> None:
        if path not in self._paths:
            return  # the user moved on
        for slot, view in enumerate((self.view_a, self.view_b)):
            if self._paths[slot] == path:
                view.set_detail_image(image)
        self._update_zoom_label()
        self.status.emit(f"'{os.path.basename(path)}' at full resolution")

    @Slot(str)
    def _on_detail_failed(self, message: str) -> None:
        log.info("full-resolution load failed: %s", message)  # the preview stays; say why
        self.status.emit(message)

    # ----------------------------------------------------------------- presentation

    def _set_score(self, comparison: Comparison | None, relation: str = "") -> None:
        self._verdict.show_comparison(comparison, relation)

    def _refresh_headers(self) -> None:
        for slot in (0, 1):
            path = self._paths[slot]
            side = self._sides.get(path)
            self._names[slot].setText(os.path.basename(path) if path else "No photo")
            self._names[slot].setToolTip(path)
            self._details[slot].setText(side.details() if side else ("" if path else "Choose or drop a photo"))

    def _show_banner(self, message: str) -> None:
        self._banner.setText(message)
        self._banner.show()

    @Slot()
    def _update_overlay(self) -> None:
        self._show_outliers.setEnabled(self._show_lines.isChecked())
        self._side_by_side.overlay.set_options(lines=self._show_lines.isChecked(),
                                               outliers=self._show_outliers.isChecked())

    @Slot(int, bool)
    def _on_mode_toggled(self, mode: int, checked: bool) -> None:
        if checked:
            self._stack.setCurrentIndex(mode)
            self._sync.sync_from(self.view_a if mode == 1 else self.view_diff)
            self._update_zoom_label()

    @Slot()
    def _update_zoom_label(self) -> None:
        view = self._active_view()
        if not view.has_image():
            self._zoom_label.setText("")
            return
        text = f"{view.zoom() * 100:.0f} %"
        if view.is_magnifying_preview():
            # Past the preview's own resolution the pixels are interpolated, not the file's.
            text += " (preview)"
            self._zoom_label.setToolTip("Shown from a reduced preview of the file; fine detail is interpolated")
        else:
            self._zoom_label.setToolTip("")
        self._zoom_label.setText(text)

"""Side-by-side review of one duplicate group.

Up to four images large (the original plus the others around the focused one), zoomed and
panned together (:class:`~desktop_app.ui.common.view_sync.ViewSynchroniser`), each with its metadata
table — the better value of each row highlighted — and its Keep/Archive button. For a
near-identical pair (similarity ≥ 90) the focused image can be replaced by the SSIM difference
map against the original, computed in a worker.

Keys: Left/Right focus the previous/next image, Up/Down (or Page Up/Down) the previous/next
group, Space toggles the focused image's mark, D toggles the difference view, Esc goes back.
Full-size previews are decoded through the engine in a private thread pool, never on the GUI
thread.
"""

from __future__ import annotations

import html
import logging
import os
from typing import Callable, cast

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.preview import DifferenceMap, file_difference, load_preview
from desktop_app.engine.types import ImageFeatures
from desktop_app.errors import LookalikeError
from desktop_app.ui.common import desktop
from desktop_app.ui.common.image_view import ImageView, qimage_from_rgb
from desktop_app.ui.common.view_sync import ViewSynchroniser
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.ui.common.latest import LatestWins
from desktop_app.ui.duplicates.image_panel import ImagePanel, best_values, panel_columns
from desktop_app.workflow.groups import DuplicateGroup, Member

log = logging.getLogger(__name__)

MAX_PANELS = 4
PREVIEW_SIDE = 2400   # long side of the review's previews (8 cached: ≤ 15 MB each)
DIFFERENCE_MIN_SIMILARITY = 90.0


class ReviewPage(QWidget):
    """Review of one group; the controller feeds groups and applies the toggles."""

    toggle_requested = Signal(str)      # path
    navigate_requested = Signal(int)    # -1 previous group, +1 next group
    closed = Signal()
    difference_ready = Signal(float)    # mean SSIM shown (tests, status bar)
    not_duplicates_requested = Signal(object)   # None (whole group) or (original path, path)
    find_similar_requested = Signal(str)
    compare_requested = Signal(str, str)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPage")
        self.group: DuplicateGroup | None = None
        self.row = -1
        self.current = 0
        self._difference: DifferenceMap | None = None
        self._differences = LatestWins(self)   # another copy's map supersedes one under way
        self._differences.finished.connect(self._on_difference)
        self._differences.failed.connect(self._on_difference_failed)
        #: image id -> stored features (``SearchContext.features``), so a crop or rotation is
        #: aligned before its differences are mapped; None: only same-framed copies are mapped.
        self.features_of: Callable[[int], ImageFeatures] | None = None
        self._previews = ThumbnailCache(
            # 8 previews of up to 2400 px (≤ 15 MB each): the group on screen and the last one or two.
            self._load_preview, size=PREVIEW_SIDE, max_items=8, threads=2, as_pixmap=False, parent=self
        )
        self._previews.ready.connect(self._on_preview_ready)
        self._previews.failed.connect(self._on_preview_failed)
        self._sync = ViewSynchroniser()
        style = self.style()
        self.back_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack), "Back to Groups")
        self.back_button.setToolTip("Back to the list of groups (Esc)")
        self.back_button.clicked.connect(self.closed)
        self.prev_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp), "Previous Group")
        self.prev_button.clicked.connect(lambda: self.navigate_requested.emit(-1))
        self.next_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Next Group")
        self.next_button.clicked.connect(lambda: self.navigate_requested.emit(1))
        self.diff_button = QPushButton("Show Differences")
        self.diff_button.setCheckable(True)
        self.diff_button.setToolTip("Paint where the focused image differs from the original (D)")
        self.diff_button.toggled.connect(self._on_diff_toggled)
        self.fit_button = QPushButton("Fit")
        self.fit_button.clicked.connect(lambda: self._each_view(ImageView.fit))
        self.actual_button = QPushButton("1:1")
        self.actual_button.clicked.connect(self._on_actual_size)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.hint = QLabel("←/→ image · ↑/↓ group · Space keep/archive · D differences · Esc back")
        self.hint.setEnabled(False)
        bar = QHBoxLayout()
        for w in (self.back_button, self.prev_button, self.next_button):
            bar.addWidget(w)
        bar.addSpacing(12)
        bar.addWidget(self.heading, 1)
        self.distinct_button = QPushButton("Not Duplicates")
        self.distinct_button.setToolTip("These are different photos: never group them again (undo in Edit → Not Duplicates…)")
        distinct_menu = QMenu(self.distinct_button)
        self.distinct_pair_action = distinct_menu.addAction("This Image Is Not a Duplicate of the Original")
        self.distinct_pair_action.triggered.connect(self._on_distinct_pair)
        distinct_menu.addAction("None of These Are Duplicates").triggered.connect(
            lambda: self.not_duplicates_requested.emit(None)
        )
        self.distinct_button.setMenu(distinct_menu)
        for w in (self.distinct_button, self.diff_button, self.fit_button, self.actual_button):
            bar.addWidget(w)
        self.panels_grid = QGridLayout()
        self.panels: list[ImagePanel] = []
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(self.panels_grid, 1)
        layout.addWidget(self.hint)
        self._keys = self._key_actions()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _key_actions(self) -> dict[int, Callable[[], None]]:
        return {
            Qt.Key.Key_Left: lambda: self.set_current(self.current - 1),
            Qt.Key.Key_Right: lambda: self.set_current(self.current + 1),
            Qt.Key.Key_Up: lambda: self.navigate_requested.emit(-1),
            Qt.Key.Key_Down: lambda: self.navigate_requested.emit(1),
            Qt.Key.Key_PageUp: lambda: self.navigate_requested.emit(-1),
            Qt.Key.Key_PageDown: lambda: self.navigate_requested.emit(1),
            Qt.Key.Key_Space: self._toggle_current,
            Qt.Key.Key_D: self.diff_button.toggle,
            Qt.Key.Key_Escape: self.closed.emit,
        }

    def _handle_key(self, event: QKeyEvent) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        action = self._keys.get(event.key())
        if action is None:
            return False
        action()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if self._handle_key(event):
            event.accept()
        else:
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # The image views would scroll on arrows and swallow Space: review keys win; zoom
        # keys (+ - 0 1) still reach the view.
        if event.type() == QEvent.Type.KeyPress and self._handle_key(event):  # type: ignore[arg-type]
            return True
        return super().eventFilter(watched, event)

    # --- API ---------------------------------------------------------------------------------
    def set_group(self, row: int, group: DuplicateGroup, *, total: int, member: int = 0) -> None:
        """Show ``group`` (number ``row + 1`` of ``total``) with ``member`` focused."""
        same = self.group is not None and self.group.paths == group.paths
        self.group = group
        self.row = row
        self.heading.setText(f"<b>Group {row + 1:,}</b> of {total:,} — {len(group)} files")
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < total - 1)
        self.current = max(0, min(member, len(group) - 1))
        if not same:
            self.diff_button.setChecked(False)
        self._rebuild()

    def refresh(self, group: DuplicateGroup) -> None:
        """The group's marks changed: update buttons and highlights (same files)."""
        self.group = group
        best = best_values(list(group.members))
        for panel in self.panels:
            if panel.member is not None and panel.member.path in group:
                member = group.member(panel.member.path)
                panel.set_member(member, original=member.path == group.original.path, best=best,
                                 reason=group.reason,
                                 partner=group.partner(member.path))

    def current_member(self) -> Member | None:
        return None if self.group is None else self.group.members[self.current]

    def set_current(self, index: int) -> None:
        if self.group is None:
            return
        index = max(0, min(index, len(self.group) - 1))
        if index == self.current and self.panels:
            return
        self.current = index
        if self.diff_button.isChecked():
            self.diff_button.setChecked(False)
        shown = {p.member.path for p in self.panels if p.member is not None}
        if self.group.members[index].path not in shown:
            self._rebuild()
        else:
            self._update_current()
        self._update_diff_button()

    def clear(self) -> None:
        self.group = None
        self._clear_panels()

    def shutdown(self) -> None:
        self._previews.shutdown()
        self._differences.shutdown()

    # --- panels ------------------------------------------------------------------------------
    def _visible_members(self) -> list[int]:
        assert self.group is not None
        n = len(self.group)
        if n <= MAX_PANELS:
            return list(range(n))
        # The original, then a window of the others that contains the focused image.
        start = max(1, min(self.current - 1, n - (MAX_PANELS - 1)))
        return [0, *range(start, start + MAX_PANELS - 1)]

    def _clear_panels(self) -> None:
        for panel in self.panels:
            self._sync.remove(panel.view)
            panel.setParent(None)
            panel.deleteLater()
        self.panels = []

    def _rebuild(self) -> None:
        assert self.group is not None
        self._clear_panels()
        best = best_values(list(self.group.members))
        visible = self._visible_members()
        columns = panel_columns([self.group.members[i] for i in visible])
        for c in range(MAX_PANELS):
            self.panels_grid.setColumnStretch(c, 1 if c < columns else 0)
        for n, i in enumerate(visible):
            member = self.group.members[i]
            panel = ImagePanel(self)
            panel.set_member(member, original=i == 0, best=best, partner=self.group.partner(member.path),
                             reason=self.group.reason)
            panel.toggle_clicked.connect(self.toggle_requested)
            panel.focused.connect(self._on_panel_focused)
            panel.menu_requested.connect(self._on_panel_menu)
            self.panels.append(panel)
            self.panels_grid.addWidget(panel, n // columns, n % columns)
            self._sync.add(panel.view)
            panel.view.installEventFilter(self)
            panel.view.viewport().installEventFilter(self)
            self._show_preview(panel)
        self._update_current()
        self._update_diff_button()

    def _show_preview(self, panel: ImagePanel) -> None:
        assert panel.member is not None
        cached = self._previews.peek(panel.member.path)
        if cached is not None:
            panel.view.set_image(cached, source_size=QSize(panel.member.width, panel.member.height))  # type: ignore[arg-type]
            return
        error = self._previews.error(panel.member.path)
        panel.view.set_message(f"Couldn't show '{panel.member.name}': {error}" if error else "Loading…")
        self._previews.get(panel.member.path)

    def _update_current(self) -> None:
        assert self.group is not None
        path = self.group.members[self.current].path
        for panel in self.panels:
            panel.set_current(panel.member is not None and panel.member.path == path)

    def _panel_of(self, path: str) -> ImagePanel | None:
        return next((p for p in self.panels if p.member is not None and p.member.path == path), None)

    @staticmethod
    def _load_preview(path: object) -> QImage:
        return qimage_from_rgb(load_preview(str(path), max_side=PREVIEW_SIDE).rgb)

    @Slot(object)
    def _on_preview_ready(self, path: object) -> None:
        panel = self._panel_of(str(path))
        pixmap = self._previews.peek(path)
        if panel is None or pixmap is None or panel.member is None:
            return
        if self.diff_button.isChecked() and panel is self._current_panel():
            return  # the difference map is showing there
        panel.view.set_image(pixmap, source_size=QSize(panel.member.width, panel.member.height))  # type: ignore[arg-type]
        others = [p.view for p in self.panels if p is not panel and p.view.has_image()]
        if others:
            self._sync.sync_from(others[0])

    @Slot(object, str)
    def _on_preview_failed(self, path: object, reason: str) -> None:
        panel = self._panel_of(str(path))
        if panel is not None:
            panel.view.set_message(f"Couldn't show '{os.path.basename(str(path))}': {reason}")

    def _on_panel_focused(self, path: str) -> None:
        if self.group is not None and path in self.group:
            self.set_current(self.group.paths.index(path))

    def _on_distinct_pair(self) -> None:
        member = self.current_member()
        if self.group is not None and member is not None and self.current > 0:
            self.not_duplicates_requested.emit((self.group.original.path, member.path))

    def panel_menu(self, path: str) -> QMenu:
        """The context menu of one image (built apart from showing it, for tests)."""
        assert self.group is not None
        original = self.group.original.path
        menu = QMenu(self)
        menu.addAction("Open in Viewer").triggered.connect(lambda: self._report(desktop.open_file(path)))
        menu.addAction("Show in File Manager").triggered.connect(lambda: self._report(desktop.reveal(path)))
        menu.addSeparator()
        menu.addAction("Find Similar").triggered.connect(lambda: self.find_similar_requested.emit(path))
        compare = menu.addAction("Compare with Original")
        compare.triggered.connect(lambda: self.compare_requested.emit(original, path))
        compare.setEnabled(path != original)
        return menu

    def _on_panel_menu(self, path: str, pos: QPoint) -> None:
        if self.group is not None:
            self.panel_menu(path).exec(pos)

    def _report(self, problem: str | None) -> None:
        if problem:
            self.message.emit(problem)

    def _toggle_current(self) -> None:
        member = self.current_member()
        if member is not None:
            self.toggle_requested.emit(member.path)

    def _each_view(self, fn: Callable[[ImageView], None]) -> None:
        for panel in self.panels:
            fn(panel.view)

    def _on_actual_size(self) -> None:
        panel = self._current_panel()
        if panel is not None:
            panel.view.actual_size()

    def _current_panel(self) -> ImagePanel | None:
        member = self.current_member()
        return None if member is None else self._panel_of(member.path)

    # --- difference view ---------------------------------------------------------------------
    def _update_diff_button(self) -> None:
        member = self.current_member()
        ok = member is not None and self.current > 0 and member.similarity >= DIFFERENCE_MIN_SIMILARITY
        self.diff_button.setEnabled(ok or self.diff_button.isChecked())
        self.distinct_pair_action.setEnabled(self.current > 0)
        self.diff_button.setToolTip(
            "Paint where the focused image differs from the original (D)" if ok
            else "Differences are shown for a copy (not the original) that is at least 90 similar"
        )

    @Slot(bool)
    def _on_diff_toggled(self, on: bool) -> None:
        panel = self._current_panel()
        if self.group is None or panel is None or panel.member is None:
            return
        if not on:
            self._difference = None
            self.refresh(self.group)
            self._show_preview(panel)
            self._update_diff_button()
            return
        if self.current == 0:
            self.diff_button.setChecked(False)
            return
        original, member = self.group.original, panel.member
        features_of = self.features_of
        panel.view.set_message("Computing differences…")
        self._differences.request(member.path, lambda: lambda _p, _c: _difference(original, member, features_of))

    @Slot(object, object)
    def _on_difference(self, _path: object, value: object) -> None:
        path, result, image = cast(tuple[str, DifferenceMap, QImage], value)
        panel = self._current_panel()
        if not self.diff_button.isChecked() or panel is None or panel.member is None or panel.member.path != path:
            return
        assert isinstance(result, DifferenceMap)
        self._difference = result
        # The map is drawn in the original's frame (the copy aligned onto it).
        original = self.group.original if self.group is not None else panel.member
        panel.view.set_image(image, source_size=QSize(original.width, original.height))
        # Two lines, as the other titles, so this view keeps the others' size and zoom.
        panel.title.setText(f"<b>{html.escape(panel.member.name)}</b><br>{difference_words(result)}")
        panel.title.setToolTip(
            f"{panel.member.path}\nWhere this copy differs from the original, drawn over the original"
            + (" (aligned onto it; hatched: not in this copy)" if result.aligned else "")
            + f": SSIM {result.mean_ssim:.3f}; yellow is most different."
        )
        self.difference_ready.emit(result.mean_ssim)

    @Slot(object, str)
    def _on_difference_failed(self, path: object, message: str) -> None:
        panel = self._current_panel()
        if panel is not None and panel.member is not None and panel.member.path == path:
            panel.view.set_message(message)


def difference_words(result: DifferenceMap) -> str:
    """The difference map in two words, to fit a narrow title: "no visible change", "4.2 % changed"
    (the SSIM figure is in the tooltip)."""
    changed = result.changed_fraction * 100
    return "no visible change" if changed < 0.5 else f"{changed:.1f} % changed"


def _difference(original: Member, member: Member,
                features_of: Callable[[int], ImageFeatures] | None) -> tuple[str, DifferenceMap, QImage]:
    """The difference map of ``member`` against the group's original (worker thread)."""
    features: tuple[ImageFeatures | None, ImageFeatures | None] = (None, None)
    if features_of is not None and original.image_id >= 0 and member.image_id >= 0:
        try:
            features = (features_of(original.image_id), features_of(member.image_id))
        except (LookalikeError, KeyError):
            log.info("no stored features for the difference of %s", member.path)
    result = file_difference(original.path, member.path, features_a=features[0], features_b=features[1])
    return member.path, result, qimage_from_rgb(result.rgb)

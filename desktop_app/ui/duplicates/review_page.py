"""Review of one duplicate group: a filmstrip of every photo, two large views, one table.

The filmstrip shows the whole group (scroll it with the mouse wheel; Left/Right walk it, Home/End
jump to its ends), so no photo is ever hidden. The large views show the group's original beside
the photo being reviewed, zoomed and panned together
(:class:`~desktop_app.ui.common.view_sync.ViewSynchroniser`), small photos at most 100 % until
zoomed; one metadata table (:mod:`.review_table`) compares the photos on screen with the better
value of each row highlighted. For a near-identical copy (similarity ≥ 90) its view can show the
difference map against the original, computed in a worker.

Keys: Left/Right the previous/next photo, Home/End the first/last, Up/Down (or Page Up/Down) the
previous/next group, Space toggles the reviewed photo's mark, D the difference view, Esc goes
back. Previews (and the lens/GPS facts the index does not hold) are read through the engine in a
private thread pool, never on the GUI thread.
"""

from __future__ import annotations

import html
import logging
import os
from typing import Callable, cast

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal, Slot
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.preview import DifferenceMap, file_difference, load_preview
from desktop_app.engine.exif_details import ExifDetails, read_exif_details
from desktop_app.engine.types import ImageFeatures
from desktop_app.errors import LookalikeError
from desktop_app.ui.common import desktop
from desktop_app.ui.common.difference import DIFFERENCE_LEGEND, DifferenceLegend, difference_words
from desktop_app.ui.common.image_view import ImageView, qimage_from_rgb
from desktop_app.ui.common.view_sync import ViewSynchroniser
from desktop_app.ui.common.palette import hint_style
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.ui.common.latest import LatestWins
from desktop_app.ui.duplicates.filmstrip import Filmstrip
from desktop_app.ui.duplicates.review_panel import ImagePanel
from desktop_app.ui.duplicates.review_table import MetadataTable
from desktop_app.workflow.groups import DuplicateGroup, Member

log = logging.getLogger(__name__)

PREVIEW_SIDE = 2400   # long side of the review's previews (8 cached: ≤ 15 MB each)
DIFFERENCE_MIN_SIMILARITY = 90.0


class ReviewPage(QWidget):
    """Review of one group; the controller feeds groups and applies the toggles.

    ``current`` is the photo being reviewed (selected in the filmstrip, framed on screen);
    ``candidate`` the copy in the right-hand view: the current photo, or, while the original is
    current, the copy last looked at.
    """

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
        self.candidate = 1
        self._difference: DifferenceMap | None = None
        self._differences = LatestWins(self)   # another copy's map supersedes one under way
        self._differences.finished.connect(self._on_difference)
        self._differences.failed.connect(self._on_difference_failed)
        #: path -> lens and GPS, read with the preview (a pool thread writes, the GUI reads after
        #: the preview's ``ready``; a dict item assignment is atomic).
        self._details: dict[str, ExifDetails] = {}
        #: image id -> stored features (``SearchContext.features``), so a crop or rotation is
        #: aligned before its differences are mapped; None: only same-framed copies are mapped.
        self.features_of: Callable[[int], ImageFeatures] | None = None
        self._previews = ThumbnailCache(
            # 8 previews of up to 2400 px (≤ 15 MB each): the photos on screen and the last few.
            self._load_preview, size=PREVIEW_SIDE, max_items=8, threads=2, as_pixmap=False, parent=self
        )
        self._previews.ready.connect(self._on_preview_ready)
        self._previews.failed.connect(self._on_preview_failed)
        self._sync = ViewSynchroniser()
        self._build_bar()
        self.panels: list[ImagePanel] = []
        views = QHBoxLayout()
        views.setSpacing(4)
        for _ in range(2):
            panel = ImagePanel(self)
            panel.toggle_clicked.connect(self.toggle_requested)
            panel.focused.connect(self._on_panel_focused)
            panel.menu_requested.connect(self._on_panel_menu)
            panel.view.installEventFilter(self)
            panel.view.viewport().installEventFilter(self)
            self._sync.add(panel.view)
            self.panels.append(panel)
            views.addWidget(panel, 1)
        self.filmstrip = Filmstrip(self)
        self.filmstrip.current_changed.connect(self.set_current)
        self.filmstrip.installEventFilter(self)
        self.table = MetadataTable(self)
        self.hint = QLabel("←/→ photo · Home/End first/last · ↑/↓ group · Space keep/archive · "
                           "D differences · wheel: zoom the photos, scroll the strip · Esc back")
        self.hint.setStyleSheet(hint_style(self.palette()))
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend = DifferenceLegend(self)   # replaces the hint while a difference map shows
        self.legend.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self.bar)
        layout.addLayout(views, 1)
        # The strip and the table side by side: on a laptop the photos keep the height.
        below = QHBoxLayout()
        below.setSpacing(4)
        strip = QVBoxLayout()
        strip.setSpacing(2)
        strip.addWidget(self.filmstrip)
        strip.addWidget(self.hint)   # in the room the table leaves below the strip
        strip.addStretch(1)
        below.addLayout(strip, 1)
        below.addWidget(self.table, 1)
        layout.addLayout(below)
        layout.addWidget(self.legend)
        self._keys = self._key_actions()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def _build_bar(self) -> None:
        style = self.style()
        self.back_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack), "Back to Groups")
        self.back_button.setToolTip("Back to the list of groups (Esc)")
        self.back_button.clicked.connect(self.closed)
        self.prev_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowUp), "Previous Group")
        self.prev_button.setToolTip("Previous group (↑)")
        self.prev_button.clicked.connect(lambda: self.navigate_requested.emit(-1))
        self.next_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_ArrowDown), "Next Group")
        self.next_button.setToolTip("Next group (↓)")
        self.next_button.clicked.connect(lambda: self.navigate_requested.emit(1))
        self.diff_button = QPushButton("Show Differences")
        self.diff_button.setCheckable(True)
        self.diff_button.toggled.connect(self._on_diff_toggled)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit the photos in their views (at most 100 %)")
        self.fit_button.clicked.connect(lambda: self._each_view(ImageView.fit))
        self.actual_button = QPushButton("1:1")
        self.actual_button.setToolTip("One screen pixel per photo pixel")
        self.actual_button.clicked.connect(self._on_actual_size)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QHBoxLayout()
        for w in (self.back_button, self.prev_button, self.next_button):
            self.bar.addWidget(w)
        self.bar.addSpacing(8)
        self.bar.addWidget(self.heading, 1)
        self.distinct_button = QPushButton("Not Duplicates")
        self.distinct_button.setToolTip("These are different photos: never group them again (undo in Edit → Not Duplicates…)")
        distinct_menu = QMenu(self.distinct_button)
        self.distinct_pair_action = distinct_menu.addAction("This Photo Is Not a Duplicate of the Original")
        self.distinct_pair_action.triggered.connect(self._on_distinct_pair)
        distinct_menu.addAction("None of These Are Duplicates").triggered.connect(
            lambda: self.not_duplicates_requested.emit(None)
        )
        self.distinct_button.setMenu(distinct_menu)
        for w in (self.distinct_button, self.diff_button, self.fit_button, self.actual_button):
            self.bar.addWidget(w)

    def _key_actions(self) -> dict[int, Callable[[], None]]:
        return {
            Qt.Key.Key_Left: lambda: self.set_current(self.current - 1),
            Qt.Key.Key_Right: lambda: self.set_current(self.current + 1),
            Qt.Key.Key_Home: lambda: self.set_current(0),
            Qt.Key.Key_End: lambda: self.set_current(len(self.group) - 1 if self.group else 0),
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
        # The image views and the strip would scroll on arrows and swallow Space: review keys
        # win; zoom keys (+ - 0 1) still reach the views.
        if event.type() == QEvent.Type.KeyPress and self._handle_key(event):  # type: ignore[arg-type]
            return True
        return super().eventFilter(watched, event)

    # --- API ---------------------------------------------------------------------------------
    def set_group(self, row: int, group: DuplicateGroup, *, total: int, member: int = 0) -> None:
        """Show ``group`` (number ``row + 1`` of ``total``) with ``member`` focused."""
        same = self.group is not None and self.group.paths == group.paths
        self.group = group
        self.row = row
        self._total = total
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < total - 1)
        self.current = max(0, min(member, len(group) - 1))
        if not same:
            self.candidate = 1
            self.diff_button.setChecked(False)
        if self.current > 0:
            self.candidate = self.current
        self.candidate = max(0, min(self.candidate, len(group) - 1))
        self.filmstrip.set_group(group, self.current)
        self._show_members()

    def refresh(self, group: DuplicateGroup) -> None:
        """The group's marks changed: update buttons, strip and table (same files)."""
        self.group = group
        self.filmstrip.refresh(group)
        for panel in self.panels:
            if panel.member is not None and panel.member.path in group:
                member = group.member(panel.member.path)
                panel.set_member(member, original=member.path == group.original.path,
                                 partner=group.partner(member.path), reason=group.reason)
        self._update_table()

    def current_member(self) -> Member | None:
        return None if self.group is None else self.group.members[self.current]

    def shown_paths(self) -> list[str]:
        """The photos in the large views, left to right."""
        return [p.member.path for p in self.panels if p.member is not None and p.isVisible()]

    def set_current(self, index: int) -> None:
        if self.group is None:
            return
        index = max(0, min(index, len(self.group) - 1))
        if index == self.current and self.filmstrip.current_row() == index:
            return
        self.current = index
        if self.diff_button.isChecked():
            self.diff_button.setChecked(False)
        if self.filmstrip.current_row() != index:
            self.filmstrip.set_current(index)
        if index > 0 and index != self.candidate:
            self.candidate = index
            self._show_members()
        else:
            self._update_current()
            self._update_heading()
            self._update_diff_button()

    def clear(self) -> None:
        self.group = None
        for panel in self.panels:
            panel.member = None
            panel.view.set_image(None)
        self.filmstrip.strip_model.set_group(None)

    def shutdown(self) -> None:
        self._previews.shutdown()
        self._differences.shutdown()
        self.filmstrip.shutdown()

    # --- views -------------------------------------------------------------------------------
    def _show_members(self) -> None:
        assert self.group is not None
        shown = [0] if len(self.group) < 2 else [0, self.candidate]
        for panel, i in zip(self.panels, shown):
            member = self.group.members[i]
            if panel.member is None or panel.member.path != member.path:
                panel.set_member(member, original=i == 0, partner=self.group.partner(member.path), reason=self.group.reason)
                self._show_preview(panel)
            else:
                panel.set_member(member, original=i == 0, partner=self.group.partner(member.path), reason=self.group.reason)
        self.panels[1].setVisible(len(shown) > 1)
        self._update_current()
        self._update_heading()
        self._update_table()
        self._update_diff_button()

    def _update_heading(self) -> None:
        assert self.group is not None
        self.heading.setText(f"<b>Group {self.row + 1:,}</b> of {getattr(self, '_total', 1):,} · "
                             f"photo {self.current + 1} of {len(self.group)}")

    def _update_table(self) -> None:
        if self.group is None:
            return
        members = [self.group.member(p) for p in self.shown_paths_of_panels()]
        self.table.set_members(members, original=self.group.original.path, details=self._details)

    def shown_paths_of_panels(self) -> list[str]:
        """Like :meth:`shown_paths`, whether or not the page is on screen."""
        return [p.member.path for p in self.panels if p.member is not None and not p.isHidden()]

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
        return next((p for p in self.panels if p.member is not None and p.member.path == path and not p.isHidden()), None)

    def _load_preview(self, path: object) -> QImage:
        # Pool thread: the lens and GPS come from the same file's header.
        self._details[str(path)] = read_exif_details(str(path))
        return qimage_from_rgb(load_preview(str(path), max_side=PREVIEW_SIDE).rgb)

    @Slot(object)
    def _on_preview_ready(self, path: object) -> None:
        panel = self._panel_of(str(path))
        if panel is None or panel.member is None:
            return
        self._update_table()
        image = self._previews.peek(str(path))
        if image is None:
            return
        if self.diff_button.isChecked() and panel is self.panels[1]:
            return  # the difference map is showing there
        panel.view.set_image(image, source_size=QSize(panel.member.width, panel.member.height))  # type: ignore[arg-type]
        others = [p.view for p in self.panels if p is not panel and p.view.has_image() and not p.isHidden()]
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
        if self.group is not None and len(self.group) > 1 and self.candidate > 0:
            self.not_duplicates_requested.emit((self.group.original.path, self.group.members[self.candidate].path))

    def panel_menu(self, path: str) -> QMenu:
        """The context menu of one photo (built apart from showing it, for tests)."""
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
    def _candidate_member(self) -> Member | None:
        if self.group is None or len(self.group) < 2 or self.candidate < 1:
            return None
        return self.group.members[self.candidate]

    def _update_diff_button(self) -> None:
        member = self._candidate_member()
        ok = member is not None and member.similarity >= DIFFERENCE_MIN_SIMILARITY
        self.diff_button.setEnabled(ok or self.diff_button.isChecked())
        self.distinct_pair_action.setEnabled(member is not None)
        self.diff_button.setToolTip(
            "Paint where the copy on the right differs from the original (D)" if ok
            else "Differences are shown for a copy that is at least 90 similar to the original"
        )

    @Slot(bool)
    def _on_diff_toggled(self, on: bool) -> None:
        self.legend.setVisible(on)
        self.hint.setVisible(not on)
        panel = self.panels[1]
        member = self._candidate_member()
        if self.group is None or member is None or panel.member is None:
            if on:
                self.diff_button.setChecked(False)
            return
        if not on:
            self._difference = None
            self.refresh(self.group)
            self._show_preview(panel)
            self._update_diff_button()
            return
        original = self.group.original
        features_of = self.features_of
        panel.view.set_message("Computing differences…")
        self._differences.request(member.path, lambda: lambda _p, _c: _difference(original, member, features_of))

    @Slot(object, object)
    def _on_difference(self, _path: object, value: object) -> None:
        assert isinstance(value, tuple)
        path: str = value[0]
        result: DifferenceMap = value[1]
        image: QImage = value[2]
        panel = self.panels[1]
        if not self.diff_button.isChecked() or panel.member is None or panel.member.path != path:
            return
        assert isinstance(result, DifferenceMap)
        self._difference = result
        # The map is drawn in the original's frame (the copy aligned onto it).
        original = self.group.original if self.group is not None else panel.member
        panel.view.set_image(image, source_size=QSize(original.width, original.height))
        # Two lines, as the other title, so this view keeps the other's size and zoom.
        panel.title.setText(f"<b>{html.escape(panel.member.name)}</b><br>{difference_words(result)}")
        panel.title.setToolTip(
            f"{panel.member.path}\\nWhere this copy differs from the original, drawn over the original"
            + (" (aligned onto it; hatched: not in this copy)" if result.aligned else "")
            + f".\\n{DIFFERENCE_LEGEND}\\nStructural similarity {result.mean_ssim:.3f} (1 = the same)."
        )
        self.difference_ready.emit(result.mean_ssim)

    @Slot(object, str)
    def _on_difference_failed(self, path: object, message: str) -> None:
        panel = self.panels[1]
        if panel.member is not None and panel.member.path == path:
            panel.view.set_message(message)


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

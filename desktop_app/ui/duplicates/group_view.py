"""The scrollable list of duplicate groups: keyboard, mouse and context menu.

Keys: Up/Down move between groups, Left/Right between the images of a group, Space toggles the
focused image's keep/archive mark, Enter opens the group for review. Mouse: a click on a tile's
Keep/Archive bar toggles it, a click elsewhere focuses the image, a double-click opens the review.
The view only *asks* (signals); the main window's controller changes marks through the workflow.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QContextMenuEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QWidget

from desktop_app.ui.common import desktop
from desktop_app.ui.duplicates.group_delegate import GroupDelegate
from desktop_app.ui.duplicates.group_model import GroupListModel
from desktop_app.workflow.groups import DuplicateGroup, Mark

log = logging.getLogger(__name__)


class GroupView(QListView):
    """One row per group (uniform heights, painted by :class:`GroupDelegate`)."""

    toggle_requested = Signal(int, str)            # row, member path
    open_requested = Signal(int, int)              # row, member index
    find_similar_requested = Signal(str)           # path
    compare_requested = Signal(str, str)           # original path, member path
    not_duplicates_requested = Signal(int, object)  # row, None (whole group) or (path_a, path_b)
    member_focused = Signal(int, int)              # row, member index
    message = Signal(str)                          # a one-line problem for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("groupView")
        self._delegate = GroupDelegate(self)
        self.setItemDelegate(self._delegate)
        self.setUniformItemSizes(True)  # 10,000 rows: no per-row size queries
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setMouseTracking(False)
        self.setAlternatingRowColors(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Duplicate groups")

    # --- model and focus ---------------------------------------------------------------------
    def setModel(self, model: GroupListModel) -> None:  # type: ignore[override]  # noqa: N802
        super().setModel(model)
        self.selectionModel().currentChanged.connect(self._on_current_changed)
        model.modelReset.connect(self._on_model_reset)

    def group_model(self) -> GroupListModel:
        return self.model()  # type: ignore[return-value]

    @property
    def delegate(self) -> GroupDelegate:
        return self._delegate

    def current_row(self) -> int:
        idx = self.currentIndex()
        return idx.row() if idx.isValid() else -1

    def current_member(self) -> int:
        return self._delegate.current_member

    def current_group(self) -> DuplicateGroup | None:
        row = self.current_row()
        return self.group_model().group(row) if row >= 0 else None

    def set_current(self, row: int, member: int = 0) -> None:
        """Focus ``member`` of group ``row`` (clamped) and scroll it into view."""
        model = self.group_model()
        if model.rowCount() == 0:
            return
        row = max(0, min(row, model.rowCount() - 1))
        idx = model.index(row)
        self.selectionModel().setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self._set_member(member)
        self.scrollTo(idx)

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.selectionModel().selectedRows())

    def _visible_count(self, row: int) -> int:
        group = self.group_model().group(row)
        return self._delegate.geometry.visible_members(self.visualRect(self.group_model().index(row)), len(group))

    def _set_member(self, member: int) -> None:
        row = self.current_row()
        if row < 0:
            return
        member = max(0, min(member, self._visible_count(row) - 1))
        self._delegate.current_row = row
        self._delegate.current_member = member
        self.viewport().update()
        self.member_focused.emit(row, member)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._delegate.current_row = current.row() if current.isValid() else -1
        if current.isValid():
            self._set_member(self._delegate.current_member)

    def _on_model_reset(self) -> None:
        self._delegate.current_row = -1
        self._delegate.current_member = 0

    # --- keyboard ----------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        row = self.current_row()
        if row < 0 and key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.group_model() is not None and self.group_model().rowCount():
                self.set_current(0)
            event.accept()
            return
        if key == Qt.Key.Key_Left:
            self._set_member(self._delegate.current_member - 1)
        elif key == Qt.Key.Key_Right:
            self._set_member(self._delegate.current_member + 1)
        elif key == Qt.Key.Key_Space:
            group = self.current_group()
            if group is not None:
                self.toggle_requested.emit(row, group.members[self._delegate.current_member].path)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_requested.emit(row, self._delegate.current_member)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # --- mouse -------------------------------------------------------------------------------
    def _hit(self, pos: QPoint) -> tuple[int, int, bool] | None:
        idx = self.indexAt(pos)
        if not idx.isValid():
            return None
        group = self.group_model().group(idx.row())
        hit = self._delegate.geometry.hit(self.visualRect(idx), len(group), pos)
        return None if hit is None else (idx.row(), hit[0], hit[1])

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        hit = self._hit(event.position().toPoint())
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if hit is not None and event.button() == Qt.MouseButton.LeftButton and plain:
            row, member, on_mark = hit
            self.set_current(row, member)
            if on_mark:
                self.toggle_requested.emit(row, self.group_model().group(row).members[member].path)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        hit = self._hit(event.position().toPoint())
        if hit is not None and not hit[2]:
            self.open_requested.emit(hit[0], hit[1])
            event.accept()
            return
        if hit is not None:  # a quick second click on the mark bar is a second toggle
            self.mousePressEvent(event)
            return
        idx = self.indexAt(event.position().toPoint())
        if idx.isValid():
            self.open_requested.emit(idx.row(), 0)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # --- context menu ------------------------------------------------------------------------
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        menu = self.context_menu(event.pos())
        if menu is not None:
            menu.exec(event.globalPos())

    def context_menu(self, pos: QPoint) -> QMenu | None:
        """The menu for the tile (or group) at ``pos``; built separately so tests can trigger it."""
        idx = self.indexAt(pos)
        if not idx.isValid():
            return None
        row = idx.row()
        group = self.group_model().group(row)
        hit = self._hit(pos)
        menu = QMenu(self)
        if hit is not None:
            self.set_current(row, hit[1])
            member = group.members[hit[1]]
            original = group.original
            self._add(menu, "Open in Viewer", lambda: self._report(desktop.open_file(member.path)), "document-open")
            self._add(menu, "Show in File Manager", lambda: self._report(desktop.reveal(member.path)), "folder-open")
            menu.addSeparator()
            self._add(menu, "Find Similar", lambda: self.find_similar_requested.emit(member.path), "edit-find")
            compare = self._add(
                menu, "Compare with Original", lambda: self.compare_requested.emit(original.path, member.path)
            )
            compare.setEnabled(member.path != original.path)
            menu.addSeparator()
            toggle_text = "Keep" if member.mark is Mark.ARCHIVE else "Archive"
            self._add(menu, f"Mark to {toggle_text}", lambda: self.toggle_requested.emit(row, member.path))
            pair = self._add(
                menu, "Not a Duplicate of the Original",
                lambda: self.not_duplicates_requested.emit(row, (original.path, member.path)),
            )
            pair.setEnabled(member.path != original.path)
        else:
            self.set_current(row, self._delegate.current_member)
        self._add(menu, "Review Group…", lambda: self.open_requested.emit(row, self._delegate.current_member))
        self._add(menu, "Not Duplicates (Whole Group)", lambda: self.not_duplicates_requested.emit(row, None))
        return menu

    def _report(self, problem: str | None) -> None:
        if problem:
            self.message.emit(problem)

    @staticmethod
    def _add(menu: QMenu, text: str, slot: object, icon: str | None = None) -> QAction:
        action = menu.addAction(text)
        if icon:
            from PySide6.QtGui import QIcon

            action.setIcon(QIcon.fromTheme(icon))
        action.triggered.connect(slot)
        return action

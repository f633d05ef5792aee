"""The review's filmstrip: every photo of the group in one scrollable row, so none is hidden.

Each cell: the thumbnail (never dimmed: a copy must not look worse than it is), the file name,
the "ORIGINAL" badge or the similarity, and a Keep / Archive bar in the mark's colour. The
photo being reviewed is framed in the highlight colour. The mouse wheel scrolls the strip
sideways (zoom belongs to the large views).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop_app.engine.preview import load_preview
from desktop_app.ui.common.image_view import qimage_from_rgb
from desktop_app.ui.common.palette import ARCHIVE_COLOR, KEEP_COLOR, ORIGINAL_COLOR, elided_line
from desktop_app.ui.common.scale import format_score
from desktop_app.ui.common.thumbnails import ThumbnailCache
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member

Index = QModelIndex | QPersistentModelIndex
MemberRole = Qt.ItemDataRole.UserRole + 1
THUMB = 96          # thumbnail side in the strip
PAD = 4
TEXT_LINE = 15
MARK_BAR = 16
CELL = QSize(THUMB + 2 * PAD + 8, PAD + THUMB + 2 + TEXT_LINE + MARK_BAR + PAD + 2)


def _load_thumbnail(path: object) -> Any:
    return qimage_from_rgb(load_preview(str(path), max_side=2 * THUMB).rgb)


class FilmstripModel(QAbstractListModel):
    """The members of one group; thumbnails come from a small cache keyed by path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.group: DuplicateGroup | None = None
        self.thumbnails = ThumbnailCache(_load_thumbnail, size=2 * THUMB, max_items=64, threads=1, parent=self)
        self.thumbnails.ready.connect(self._on_thumbnail)

    def set_group(self, group: DuplicateGroup | None) -> None:
        self.beginResetModel()
        self.group = group
        self.endResetModel()

    def refresh(self, group: DuplicateGroup) -> None:
        """Same files, new marks."""
        self.group = group
        if self.rowCount():
            self.dataChanged.emit(self.index(0), self.index(self.rowCount() - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt override)
        return 0 if self.group is None or parent.isValid() else len(self.group)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.group is None or not index.isValid() or not 0 <= index.row() < len(self.group):
            return None
        member = self.group.members[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return member.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{member.path}\n{'Archive' if member.mark is Mark.ARCHIVE else 'Keep'}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnails.get(member.path)
        if role == MemberRole:
            return member
        return None

    def _on_thumbnail(self, path: object) -> None:
        if self.group is not None and str(path) in self.group:
            row = self.group.paths.index(str(path))
            self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])


class FilmstripDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return CELL

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        member = index.data(MemberRole)
        if not isinstance(member, Member):
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        current = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = rect.adjusted(2, 2, -2, -2)
        if current:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 5, 5)
        thumb = QRect(cell.left() + (cell.width() - THUMB) // 2, cell.top() + PAD, THUMB, THUMB)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if pixmap is not None and not pixmap.isNull():
            size = pixmap.size().scaled(thumb.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(thumb.center())
            painter.drawPixmap(target, pixmap)
        else:
            painter.fillRect(thumb, palette.color(QPalette.ColorRole.Mid))
        original = index.row() == 0
        badge_font = QFont(option.font)
        badge_font.setBold(True)
        badge_font.setPointSizeF(max(6.0, badge_font.pointSizeF() * 0.8))
        painter.setFont(badge_font)
        badge = "ORIGINAL" if original else format_score(member.similarity)
        width = painter.fontMetrics().horizontalAdvance(badge) + 8
        badge_rect = QRect(thumb.left(), thumb.top(), width, painter.fontMetrics().height() + 2)
        painter.fillRect(badge_rect, ORIGINAL_COLOR if original else QColor(0, 0, 0, 170))
        painter.setPen(QColor("white"))
        painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge)
        painter.setFont(option.font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name_rect = QRect(cell.left() + PAD, thumb.bottom() + 2, cell.width() - 2 * PAD, TEXT_LINE)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignCenter,
                         elided_line(painter.fontMetrics(), member.name, name_rect.width(), Qt.TextElideMode.ElideMiddle))
        archived = member.mark is Mark.ARCHIVE
        bar = QRect(cell.left() + PAD, name_rect.bottom() + 1, cell.width() - 2 * PAD, MARK_BAR)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ARCHIVE_COLOR if archived else KEEP_COLOR)
        painter.drawRoundedRect(bar, 3, 3)
        painter.setPen(QColor("white"))
        painter.setFont(badge_font)
        painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, "✗ Archive" if archived else "✓ Keep")
        painter.restore()


class Filmstrip(QListView):
    """One row of every photo in the group; ``current_changed(int)`` when the user picks one."""

    current_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filmstrip")
        self.strip_model = FilmstripModel(self)
        self.setModel(self.strip_model)
        self.setItemDelegate(FilmstripDelegate(self))
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        height = CELL.height() + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth() + 2
        self.setFixedHeight(height)
        self.selectionModel().currentChanged.connect(self._on_current)

    def set_group(self, group: DuplicateGroup, current: int) -> None:
        self.strip_model.set_group(group)
        self.set_current(current)

    def refresh(self, group: DuplicateGroup) -> None:
        self.strip_model.refresh(group)

    def set_current(self, row: int) -> None:
        index = self.strip_model.index(row)
        if index.isValid():
            self.selectionModel().setCurrentIndex(index, self.selectionModel().SelectionFlag.ClearAndSelect)
            self.scrollTo(index)

    def current_row(self) -> int:
        return self.currentIndex().row()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.current_changed.emit(current.row())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        # A vertical wheel scrolls the strip sideways: there is nothing to scroll up or down.
        delta = event.angleDelta().y() or event.angleDelta().x()
        bar = self.horizontalScrollBar()
        bar.setValue(bar.value() - int(delta / 120 * CELL.width()))
        event.accept()

    def shutdown(self) -> None:
        self.strip_model.thumbnails.shutdown()

"""The results grid of the find-similar page: a list model of ``find_similar`` results, the tile
delegate (thumbnail, score badge coloured by the scale's band, word, file name)."""

from __future__ import annotations

import logging
from typing import Any, Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.context.types import SimilarResult
from desktop_app.ui.common.palette import ARCHIVE_COLOR, band_colour, elided_line
from desktop_app.ui.common.scale import format_bytes, format_score, scale_word
from desktop_app.ui.common.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
ScoreRole = Qt.ItemDataRole.UserRole + 1     # float 0-100
PathRole = Qt.ItemDataRole.UserRole + 2      # absolute path
ImageIdRole = Qt.ItemDataRole.UserRole + 3   # context image id
MarkedRole = Qt.ItemDataRole.UserRole + 4    # bool: marked for archiving
FactsRole = Qt.ItemDataRole.UserRole + 5     # "4000 × 3000 · 2.1 MB": judge the better copy at a glance

# --------------------------------------------------------------------------------------- model


class SimilarResultsModel(QAbstractListModel):
    """``find_similar`` results, best first, with thumbnails from a :class:`ThumbnailCache`
    keyed by image id and the set of paths the user marked for archiving."""

    def __init__(self, thumbnails: ThumbnailCache | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[SimilarResult] = []
        self._marked: set[str] = set()
        self._thumbnails = thumbnails
        if thumbnails is not None:
            thumbnails.ready.connect(self._on_thumbnail_changed)
            thumbnails.failed.connect(self._on_thumbnail_changed)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._results)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._results):
            return None
        result = self._results[index.row()]
        record = result.image
        if role == Qt.ItemDataRole.DisplayRole:
            return record.name
        if role == ScoreRole:
            return float(result.similarity)
        if role == FactsRole:
            return f"{record.facts.width} × {record.facts.height} · {format_bytes(record.size)}"
        if role == PathRole:
            return record.path
        if role == ImageIdRole:
            return record.id
        if role == MarkedRole:
            return record.path in self._marked
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.get(record.id) if self._thumbnails is not None else None
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            score = format_score(result.similarity)
            facts = record.facts
            return (
                f"{record.path}\n{score} – {scale_word(result.similarity)}\n"
                f"{facts.width} × {facts.height} · {facts.format} · {format_bytes(record.size)}"
            )
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def set_results(self, results: Sequence[SimilarResult]) -> None:
        self.beginResetModel()
        self._results = list(results)
        self.endResetModel()

    def results(self) -> list[SimilarResult]:
        return list(self._results)

    def result(self, row: int) -> SimilarResult:
        return self._results[row]

    def set_marked(self, paths: set[str]) -> None:
        """Which paths show the "archive" mark (the workflow layer decides, this only shows)."""
        self._marked = set(paths)
        if self._results:
            self.dataChanged.emit(self.index(0), self.index(len(self._results) - 1), [MarkedRole])

    def marked(self) -> set[str]:
        return set(self._marked)

    @Slot(object)
    def _on_thumbnail_changed(self, key: object, *_: object) -> None:
        for row, result in enumerate(self._results):
            if result.image.id == key:
                idx = self.index(row)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class ResultDelegate(QStyledItemDelegate):
    """A result tile: the thumbnail, a score badge coloured by band, the word, the file name."""

    THUMB = 176
    PAD = 8
    LINE = 18

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return QSize(self.THUMB + 2 * self.PAD, self.THUMB + 2 * self.PAD + 3 * self.LINE + 4)

    @staticmethod
    def name_line(index: Index, fm: QFontMetrics, width: int) -> str:
        """The file name under the thumbnail: one line (line breaks shown as ⏎), elided in the
        middle so the extension stays visible."""
        return elided_line(fm, str(index.data() or ""), width, Qt.TextElideMode.ElideMiddle)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = option.palette
        rect = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            highlight.setAlpha(90)
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(highlight)
            painter.drawRoundedRect(rect, 6, 6)

        thumb_area = QRect(rect.left() + self.PAD - 2, rect.top() + self.PAD - 2, self.THUMB, self.THUMB)
        marked = bool(index.data(MarkedRole))
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.size().scaled(thumb_area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(QPoint(0, 0), scaled)
            target.moveCenter(thumb_area.center())
            # Never dimmed: the "Archive" tag says it is marked; the photo must not look worse.
            painter.drawPixmap(target, pixmap)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
            painter.drawRoundedRect(thumb_area.adjusted(16, 16, -16, -16), 4, 4)

        score = float(index.data(ScoreRole) or 0.0)
        badge_font = QFont(option.font)
        badge_font.setBold(True)
        painter.setFont(badge_font)
        text = format_score(score)
        badge = QRect(thumb_area.left() + 4, thumb_area.top() + 4, painter.fontMetrics().horizontalAdvance(text) + 14, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(band_colour(score))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        if marked:
            tag = QRect(thumb_area.right() - 68, thumb_area.top() + 4, 64, 22)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(ARCHIVE_COLOR)
            painter.drawRoundedRect(tag, 4, 4)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, "Archive")

        text_colour = palette.color(QPalette.ColorRole.Text)
        line1 = QRect(rect.left() + self.PAD, thumb_area.bottom() + 4, rect.width() - 2 * self.PAD, self.LINE)
        line2 = line1.translated(0, self.LINE)
        painter.setPen(text_colour)
        painter.drawText(line1, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, scale_word(score))
        painter.setFont(option.font)
        dim = QColor(text_colour)
        dim.setAlpha(170)
        painter.setPen(dim)
        fm = painter.fontMetrics()
        one = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        painter.drawText(line2, one, self.name_line(index, fm, line2.width()))
        painter.drawText(line2.translated(0, self.LINE), one,
                         elided_line(fm, str(index.data(FactsRole) or ""), line2.width()))
        painter.restore()


def results_view(model: SimilarResultsModel) -> QListView:
    """The grid of results: tiles of one size, many selectable, a context menu on request."""
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setSpacing(6)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.setModel(model)
    view.setItemDelegate(ResultDelegate(view))
    view.setAccessibleName("Similar photos")
    return view

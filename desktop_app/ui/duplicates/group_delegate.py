"""Paints one duplicate group as a strip of member tiles (no widget per thumbnail).

Each tile: the thumbnail (never dimmed: a copy must not look worse than it is), an "ORIGINAL" badge on the group's
original, a "PROTECTED" badge on files in reference folders, a "RAW+JPEG" badge on both files of
a camera RAW and its JPEG (one photo: their marks move together), the similarity to the original with
its word, resolution and file size, and at the bottom a wide Keep / Archive bar — the click
target that toggles the mark. The geometry lives in :class:`StripGeometry` so the view can hit-test
clicks with exactly what was painted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop_app.ui.duplicates.group_model import GroupNumberRole, GroupRole, files_and_photos
from desktop_app.ui.common.palette import (
    ARCHIVE_COLOR,
    KEEP_COLOR,
    ORIGINAL_COLOR,
    PAIR_COLOR,
    PROTECTED_COLOR,
    elided_line,
)
from desktop_app.ui.common.scale import format_bytes, format_score, scale_word
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class StripGeometry:
    """Where things are in a row: the group header on the left, then fixed-size tiles."""

    thumb: int = 148
    pad: int = 8
    header_width: int = 150
    line_height: int = 16
    mark_height: int = 24

    @property
    def tile_width(self) -> int:
        return self.thumb + 12

    @property
    def tile_height(self) -> int:
        return 6 + self.thumb + 4 + 3 * self.line_height + 4 + self.mark_height + 6

    @property
    def row_height(self) -> int:
        return self.tile_height + 2 * self.pad

    def tiles_fitting(self, row_rect: QRect) -> int:
        free = row_rect.width() - self.header_width - self.pad
        return max(1, free // (self.tile_width + self.pad))

    def tile_rect(self, row_rect: QRect, i: int) -> QRect:
        x = row_rect.left() + self.header_width + i * (self.tile_width + self.pad)
        return QRect(x, row_rect.top() + self.pad, self.tile_width, self.tile_height)

    def thumb_rect(self, tile: QRect) -> QRect:
        return QRect(tile.left() + 6, tile.top() + 6, self.thumb, self.thumb)

    def mark_rect(self, tile: QRect) -> QRect:
        return QRect(tile.left() + 6, tile.bottom() - 6 - self.mark_height + 1, self.thumb, self.mark_height)

    def visible_members(self, row_rect: QRect, count: int) -> int:
        """How many member tiles are drawn; when they do not all fit, the last slot shows "+N"."""
        fit = self.tiles_fitting(row_rect)
        return count if count <= fit else max(1, fit - 1)

    def hit(self, row_rect: QRect, count: int, pos: object) -> tuple[int, bool] | None:
        """(member index, on the mark bar) under ``pos``; None outside any member tile."""
        for i in range(self.visible_members(row_rect, count)):
            tile = self.tile_rect(row_rect, i)
            if tile.contains(pos):  # type: ignore[call-overload]
                return i, self.mark_rect(tile).contains(pos)  # type: ignore[call-overload]
        return None


def tile_badges(group: DuplicateGroup, member: Member) -> list[tuple[str, QColor]]:
    """The badges on a member's tile, in order: ORIGINAL, PROTECTED, RAW+JPEG."""
    badges = []
    if member is group.original or member.path == group.original.path:
        # "ORIGINAL · ARCHIVE" when a hand or a rule marked it: the badge never contradicts it.
        badges.append((group.original_badge(), ORIGINAL_COLOR))
    if member.protected:
        badges.append(("PROTECTED", PROTECTED_COLOR))
    if group.partner(member.path) is not None:
        # A RAW and its camera JPEG are one photo: marked, kept and archived together.
        badges.append(("RAW+JPEG", PAIR_COLOR))
    return badges


class GroupDelegate(QStyledItemDelegate):
    """Draws a :class:`DuplicateGroup` row. ``current_member`` is the keyboard-focused tile."""

    def __init__(self, parent: QWidget | None = None, *, geometry: StripGeometry | None = None) -> None:
        super().__init__(parent)
        self.geometry = geometry or StripGeometry()
        self.current_row = -1
        self.current_member = 0

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return QSize(self.geometry.header_width + 3 * self.geometry.tile_width, self.geometry.row_height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        group: DuplicateGroup | None = index.data(GroupRole)
        if group is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect: QRect = option.rect
        palette: QPalette = option.palette
        if selected:
            # A light wash of the highlight colour: the focused tile's frame must stay visible.
            wash = QColor(palette.color(QPalette.ColorRole.Highlight))
            wash.setAlphaF(0.22)
            painter.fillRect(rect, wash)
        self._paint_header(painter, rect, palette, group, index.data(GroupNumberRole), selected)
        geo = self.geometry
        shown = geo.visible_members(rect, len(group))
        model = index.model()
        for i in range(shown):
            focused = index.row() == self.current_row and i == self.current_member
            self._paint_tile(painter, geo.tile_rect(rect, i), palette, group, group.members[i], model, focused)
        if shown < len(group):
            self._paint_more(painter, geo.tile_rect(rect, shown), palette, len(group) - shown)
        # A quiet separator between rows.
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(rect.left() + 8, rect.bottom(), rect.right() - 8, rect.bottom())
        painter.restore()

    # --- parts -------------------------------------------------------------------------------
    @staticmethod
    def tile_lines(group: DuplicateGroup, member: Member, fm: QFontMetrics, width: int) -> list[str]:
        """The three text lines under a tile, each one line elided to ``width``: the file name
        (a name with line breaks or hundreds of characters must not spill over the thumbnail),
        how it relates to the original ("rotated 90°"), then the similarity, resolution and size
        (when the relation is unknown: the similarity and its word, then resolution and size)."""
        second = f"{member.width}×{member.height} · {format_bytes(member.size)}"
        if member.path == group.original.path:
            first = "original"
        elif member.relation_label:
            first, second = member.relation_label, f"{format_score(member.similarity)} · {second}"
        else:
            first = f"{format_score(member.similarity)} · {scale_word(member.similarity)}"
        return [elided_line(fm, line, width) for line in (member.name, first, second)]

    def _paint_header(
        self, painter: QPainter, rect: QRect, palette: QPalette, group: DuplicateGroup,
        number: int, selected: bool,
    ) -> None:
        text_color = palette.color(QPalette.ColorRole.Text)
        dim = QColor(text_color)
        dim.setAlphaF(0.7)
        area = QRect(rect.left() + 12, rect.top() + self.geometry.pad + 4, self.geometry.header_width - 20, rect.height())
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.setPen(text_color)
        fm = QFontMetrics(font)
        painter.drawText(area.left(), area.top() + fm.ascent(), f"Group {number}")
        y = area.top() + fm.height() + 6
        base = QFont(painter.font())
        base.setBold(False)
        base.setPointSizeF(font.pointSizeF() / 1.15)
        painter.setFont(base)
        fm = QFontMetrics(base)
        lowest = min((m.similarity for m in group.members[1:]), default=100.0)
        archived = group.archived
        lines = [
            (files_and_photos(group), text_color),
            # Why the original is the original, one reason a line ("camera file", "full frame").
            *[(("original: " if n == 0 else "  ") + part, dim)
              for n, part in enumerate(group.reason.split(", ") if group.reason else [])],
            (f"similarity ≥ {format_score(lowest)}", dim),
            (scale_word(lowest), dim),
            (f"{len(archived)} to archive" if archived else "all kept", dim),
        ]
        if archived:
            lines.append((f"frees {format_bytes(group.bytes_to_free)}", dim))
        for text, color in lines:
            painter.setPen(color)
            painter.drawText(area.left(), y + fm.ascent(), fm.elidedText(text, Qt.TextElideMode.ElideRight, area.width()))
            y += fm.height() + 2

    def _paint_tile(
        self, painter: QPainter, tile: QRect, palette: QPalette, group: DuplicateGroup,
        member: Member, model: object, focused: bool,
    ) -> None:
        geo = self.geometry
        archived = member.mark is Mark.ARCHIVE
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(tile, 6, 6)
        # Thumbnail, letterboxed in its square.
        box = geo.thumb_rect(tile)
        pixmap = model.thumbnail(member.image_id)  # type: ignore[attr-defined]
        if pixmap is not None and not pixmap.isNull():
            size = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(box.center())
            # Never dimmed: a copy must not look worse than it is. The mark bar and the frame
            # in the mark's colour say what happens to it.
            painter.drawPixmap(target, pixmap)
        else:
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRect(box)
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            error = model.thumbnail_error(member.image_id)  # type: ignore[attr-defined]
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "no preview" if error else "…")
        # Badges, wrapping onto a second line when they don't fit the thumbnail's width.
        badge_font = QFont(painter.font())
        badge_font.setPointSizeF(max(6.5, badge_font.pointSizeF() * 0.78))
        badge_font.setBold(True)
        x, y = box.left() + 4, box.top() + 4
        for text, color in tile_badges(group, member):
            width = QFontMetrics(badge_font).horizontalAdvance(text) + 10
            if x > box.left() + 4 and x + width > box.right() - 4:
                x, y = box.left() + 4, y + QFontMetrics(badge_font).height() + 5
            x = self._badge(painter, badge_font, x, y, text, color)
        # Facts.
        fm = QFontMetrics(painter.font())
        text_colour = palette.color(QPalette.ColorRole.Text)
        y = box.bottom() + 4
        for line in self.tile_lines(group, member, fm, box.width()):
            painter.setPen(text_colour)
            painter.drawText(
                QRect(box.left(), y, box.width(), geo.line_height),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine,
                line,
            )
            y += geo.line_height
        # Mark bar: the click target.
        bar = geo.mark_rect(tile)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ARCHIVE_COLOR if archived else KEEP_COLOR)
        painter.drawRoundedRect(bar, 4, 4)
        painter.save()
        painter.setPen(QColor("white"))
        bar_font = QFont(painter.font())
        bar_font.setBold(True)
        painter.setFont(bar_font)
        painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, "✗ Archive" if archived else "✓ Keep")
        painter.restore()
        # Frames: archived in the archive colour, keyboard focus in the palette's highlight.
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if archived:
            painter.setPen(QPen(ARCHIVE_COLOR, 2))
            painter.drawRoundedRect(tile.adjusted(1, 1, -1, -1), 6, 6)
        if focused:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 3))
            painter.drawRoundedRect(tile.adjusted(-2, -2, 2, 2), 8, 8)

    def _paint_more(self, painter: QPainter, tile: QRect, palette: QPalette, hidden: int) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        painter.drawRoundedRect(tile, 6, 6)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, f"+{hidden} more\n(Enter to review)")

    @staticmethod
    def _badge(painter: QPainter, font: QFont, x: int, y: int, text: str, color: QColor) -> int:
        fm = QFontMetrics(font)
        rect = QRect(x, y, fm.horizontalAdvance(text) + 10, fm.height() + 2)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(rect, 3, 3)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()
        return rect.right() + 4

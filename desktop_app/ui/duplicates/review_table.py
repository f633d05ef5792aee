"""The review's one metadata table: a column per photo on screen, a row per fact, the better
value of each row highlighted (larger, lossless, older, known, protected).

Lens and GPS are not in the index; the page reads them with the preview
(:func:`~desktop_app.engine.exif_details.read_exif_details`) and hands them in as ``details``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Mapping, Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem, QWidget

from desktop_app.engine.exif_details import ExifDetails
from desktop_app.ui.common.scale import format_bytes, format_score, scale_word
from desktop_app.workflow.groups import Member

FIELDS = ("Relation", "Dimensions", "File size", "Format", "Date taken", "File date", "Camera",
          "Lens", "GPS", "Folder")
UNKNOWN = "—"
#: Rows hidden while no photo on screen has a value (exports rarely keep them): the room goes
#: to the photos.
OPTIONAL = frozenset({"Date taken", "Camera", "Lens", "GPS"})
Details = Mapping[str, ExifDetails]


def relation_text(member: Member, *, original: bool) -> str:
    """How the photo relates to the group's original, in the scale's words ("original",
    "rotated 90° · 88", or "94 · minor changes" when the relation is not known)."""
    if original:
        return "original"
    label = member.relation_label
    if label:   # the relation says more than the scale's word: the score is enough beside it
        return f"{label} · {format_score(member.similarity)}"
    return f"{format_score(member.similarity)} · {scale_word(member.similarity)}"


def _date(value: str | None) -> str:
    if not value:
        return UNKNOWN
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def file_date_text(member: Member) -> str:
    if member.mtime_ns <= 0:
        return UNKNOWN
    return datetime.fromtimestamp(member.mtime).strftime("%Y-%m-%d %H:%M")


def field_text(member: Member, name: str, *, original: bool = False, details: ExifDetails | None = None) -> str:
    """One cell of the table."""
    if name == "Relation":
        return relation_text(member, original=original)
    if name == "Dimensions":
        return f"{member.width} × {member.height} ({member.pixels / 1e6:.1f} MP)"
    if name == "File size":
        return format_bytes(member.size)
    if name == "Format":
        return f"{member.format or '?'}{' (lossless)' if member.lossless else ''}"
    if name == "Date taken":
        return _date(member.date_taken)
    if name == "File date":
        return file_date_text(member)
    if name == "Camera":
        return member.camera or UNKNOWN
    if name == "Lens":
        return (details.lens if details else None) or UNKNOWN
    if name == "GPS":
        return (details.gps_text() if details else None) or UNKNOWN
    if name == "Folder":
        return member.folder + ("  (protected)" if member.protected else "")
    raise KeyError(name)


def best_values(members: Sequence[Member], details: Details | None = None) -> dict[str, set[str]]:
    """Per row, the paths holding the better value (empty when all are equal or none known)."""
    details = details or {}
    best: dict[str, set[str]] = {name: set() for name in FIELDS}

    def pick(name: str, key: Callable[[Member], float | str | None], *, prefer_max: bool) -> None:
        values = {m.path: key(m) for m in members}
        known = {p: v for p, v in values.items() if v is not None}
        if not known or (len(set(known.values())) < 2 and len(known) == len(values)):
            return
        target = (max if prefer_max else min)(known.values())
        best[name] = {p for p, v in known.items() if v == target}

    def exif(m: Member) -> ExifDetails:
        return details.get(m.path) or ExifDetails()

    pick("Dimensions", lambda m: m.pixels, prefer_max=True)
    pick("File size", lambda m: m.size, prefer_max=True)
    pick("Format", lambda m: 1 if m.lossless else 0, prefer_max=True)
    pick("Date taken", lambda m: m.date_taken, prefer_max=False)
    # Compared as shown (to the minute): two dates that read the same are not told apart.
    pick("File date", lambda m: file_date_text(m) if m.mtime_ns > 0 else None, prefer_max=False)
    pick("Camera", lambda m: 1 if m.camera else None, prefer_max=True)
    pick("Lens", lambda m: 1 if exif(m).lens else None, prefer_max=True)
    pick("GPS", lambda m: 1 if exif(m).gps else None, prefer_max=True)
    pick("Folder", lambda m: 1 if m.protected else 0, prefer_max=True)
    return best


class MetadataTable(QTableWidget):
    """Facts of the photos on screen side by side (one column each), better values highlighted.

    As tall as its rows when there is room; on a short screen it scrolls rather than push the
    window taller (its minimum is a few rows)."""

    MIN_ROWS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(len(FIELDS), 0, parent)
        self.setObjectName("metadataTable")
        self.setVerticalHeaderLabels(list(FIELDS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # the review's keys stay with the review
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)   # folders keep their start and end
        self.setAlternatingRowColors(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        row = self.fontMetrics().height() + 6
        vertical = self.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(row)
        vertical.setMinimumSectionSize(row)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.members: list[Member] = []

    def _full_height(self, rows: int) -> int:
        return (self.horizontalHeader().sizeHint().height() + rows * self.verticalHeader().defaultSectionSize()
                + 2 * self.frameWidth())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        hint.setHeight(self._full_height(sum(not self.isRowHidden(r) for r in range(len(FIELDS)))))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setHeight(self._full_height(self.MIN_ROWS))
        return hint

    def set_members(self, members: Sequence[Member], *, original: str, details: Details | None = None) -> None:
        """Show ``members`` (the photos on screen); ``original`` is the group original's path."""
        details = details or {}
        self.members = list(members)
        best = best_values(members, details) if len(members) > 1 else {}
        self.setColumnCount(len(members))
        palette = self.palette()
        bold = QFont(self.font())
        bold.setBold(True)
        for column, member in enumerate(members):
            header = QTableWidgetItem(("Original: " if member.path == original else "") + member.name)
            header.setToolTip(member.path)
            self.setHorizontalHeaderItem(column, header)
            for row, name in enumerate(FIELDS):
                item = QTableWidgetItem(field_text(member, name, original=member.path == original,
                                                   details=details.get(member.path)))
                tip = member.path if name == "Folder" else item.text()
                if member.path in best.get(name, set()):
                    # Palette roles, so the highlight reads in light and dark themes.
                    item.setBackground(palette.brush(QPalette.ColorRole.Highlight))
                    item.setForeground(palette.brush(QPalette.ColorRole.HighlightedText))
                    item.setFont(bold)
                    tip += "\n(the better value)"
                item.setToolTip(tip)
                self.setItem(row, column, item)
        for row, name in enumerate(FIELDS):
            texts = [field_text(m, name, original=m.path == original, details=details.get(m.path)) for m in members]
            self.setRowHidden(row, name in OPTIONAL and all(t == UNKNOWN for t in texts))
        self.updateGeometry()

    def text(self, name: str, path: str) -> str:
        """The cell of field ``name`` for the photo at ``path`` (tests)."""
        column = next(i for i, m in enumerate(self.members) if m.path == path)
        item = self.item(FIELDS.index(name), column)
        return item.text() if item is not None else ""

    def is_highlighted(self, name: str, path: str) -> bool:
        column = next(i for i, m in enumerate(self.members) if m.path == path)
        item = self.item(FIELDS.index(name), column)
        return item is not None and item.font().bold()

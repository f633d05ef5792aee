"""One image of the review: its preview (a synchronised :class:`ImageView`), its metadata table
with the better value of each row highlighted across the group, and its Keep/Archive button."""

from __future__ import annotations

import html
import logging
import os
from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common.image_view import ImageView
from desktop_app.ui.common.palette import ARCHIVE_COLOR, KEEP_COLOR
from desktop_app.ui.common.scale import format_bytes, format_score, scale_word
from desktop_app.workflow.groups import Mark, Member

log = logging.getLogger(__name__)

FIELDS = ("Dimensions", "File size", "Format", "Date taken", "Camera", "Folder")


def best_values(members: list[Member]) -> dict[str, set[str]]:
    """Per metadata row, the paths holding the better value (empty when all are equal)."""
    best: dict[str, set[str]] = {name: set() for name in FIELDS}

    def pick(name: str, key: Callable[[Member], object | None], *, prefer_max: bool) -> None:
        values = {m.path: key(m) for m in members}
        known = {p: v for p, v in values.items() if v is not None}
        if len(set(known.values())) < 2 and len(known) == len(values):
            return
        if not known:
            return
        target = (max if prefer_max else min)(known.values())  # type: ignore[type-var]
        best[name] = {p for p, v in known.items() if v == target}

    pick("Dimensions", lambda m: m.pixels, prefer_max=True)
    pick("File size", lambda m: m.size, prefer_max=True)
    pick("Format", lambda m: 1 if m.lossless else 0, prefer_max=True)
    pick("Date taken", lambda m: m.date_taken, prefer_max=False)
    pick("Camera", lambda m: 1 if m.camera else None, prefer_max=True)
    pick("Folder", lambda m: 1 if m.protected else 0, prefer_max=True)
    return best


def panel_columns(members: list[Member]) -> int:
    """Side by side, except three or four landscape photos: a 2 × 2 grid shows them larger."""
    landscape = all(m.width >= 1.2 * m.height for m in members if m.width and m.height)
    return 2 if landscape and len(members) >= 3 else max(1, len(members))


def _date(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return value


def field_text(member: Member, name: str) -> str:
    if name == "Dimensions":
        return f"{member.width} × {member.height} ({member.pixels / 1e6:.1f} MP)"
    if name == "File size":
        return format_bytes(member.size)
    if name == "Format":
        return f"{member.format or '?'}{' (lossless)' if member.lossless else ''}"
    if name == "Date taken":
        return _date(member.date_taken)
    if name == "Camera":
        return member.camera or "—"
    if name == "Folder":
        return member.folder + ("  (protected)" if member.protected else "")
    raise KeyError(name)


class ImagePanel(QFrame):
    """One image of the review: title, zoomable view, metadata table, mark button."""

    toggle_clicked = Signal(str)   # path
    focused = Signal(str)          # path (clicked into)
    menu_requested = Signal(str, object)   # path, global position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("imagePanel")
        self.member: Member | None = None
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        # Long names or the difference summary must not widen one panel over the others.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # Always two lines high: a longer title (the difference summary) must not shrink this
        # panel's view, or its zoom would no longer match its neighbours'.
        self.title.setFixedHeight(2 * self.title.fontMetrics().lineSpacing() + 2)
        self.view = ImageView(self)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.setMinimumSize(240, 200)
        self.mark_button = QPushButton()
        self.mark_button.setObjectName("markButton")
        self.mark_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space belongs to the review
        self.mark_button.clicked.connect(lambda: self.member and self.toggle_clicked.emit(self.member.path))
        self.table = QGridLayout()
        self.table.setHorizontalSpacing(10)
        self.table.setVerticalSpacing(2)
        self.values: dict[str, QLabel] = {}
        for row, name in enumerate(FIELDS):
            key = QLabel(name)
            key.setEnabled(False)
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.table.addWidget(key, row, 0, Qt.AlignmentFlag.AlignTop)
            if name == "Folder":
                self.table.addWidget(value, row, 1)   # long paths wrap across the width
            else:
                value.setWordWrap(False)
                self.table.addWidget(value, row, 1, Qt.AlignmentFlag.AlignLeft)  # a highlight hugs its text
            self.values[name] = value
        self.table.setColumnStretch(1, 1)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.mark_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)
        layout.addLayout(self.table)

    def set_member(self, member: Member, *, original: bool, best: dict[str, set[str]], partner: str | None = None,
                   reason: str = "") -> None:
        self.member = member
        if original:
            # The badge says when the original is marked for archiving, never silently.
            badge = "ORIGINAL · ARCHIVE" if member.mark is Mark.ARCHIVE else "ORIGINAL"
            what = f"<b>{badge}</b>" + (f" · {html.escape(reason)}" if reason else "")
        else:
            what = (f"{format_score(member.similarity)} · "
                    f"{html.escape(member.relation_label or scale_word(member.similarity))}")
        if partner:
            # A RAW and its camera JPEG are one photo: their marks move together.
            what += f" · RAW+JPEG with {html.escape(os.path.basename(partner))}"
        self.title.setText(f"<b>{html.escape(member.name)}</b><br>{what}")
        self.title.setToolTip(member.path)
        for name, label in self.values.items():
            label.setText(field_text(member, name))
            highlighted = member.path in best.get(name, set())
            # Palette roles, so the highlight reads in light and dark themes.
            label.setStyleSheet(
                "background: palette(highlight); color: palette(highlighted-text); font-weight: bold;"
                " border-radius: 3px; padding: 0 3px;" if highlighted else ""
            )
            label.setToolTip("better value" if highlighted else "")
        self.set_mark(member.mark)

    def set_mark(self, mark: Mark) -> None:
        archived = mark is Mark.ARCHIVE
        color = ARCHIVE_COLOR if archived else KEEP_COLOR
        self.mark_button.setText("✗ Archive" if archived else "✓ Keep")
        self.mark_button.setToolTip("Click (or Space) to keep this file" if archived else "Click (or Space) to archive this file")
        self.mark_button.setStyleSheet(
            f"QPushButton {{ background: {color.name()}; color: white; font-weight: bold;"
            " padding: 4px 14px; border-radius: 4px; border: none; }"
        )

    def set_current(self, current: bool) -> None:
        self.setStyleSheet(
            "QFrame#imagePanel { border: 3px solid palette(highlight); border-radius: 6px; }" if current
            else "QFrame#imagePanel { border: 3px solid transparent; }"
        )

    def mousePressEvent(self, event: object) -> None:  # noqa: N802
        if self.member is not None:
            self.focused.emit(self.member.path)
        super().mousePressEvent(event)  # type: ignore[arg-type]

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        if self.member is not None:
            self.menu_requested.emit(self.member.path, event.globalPos())

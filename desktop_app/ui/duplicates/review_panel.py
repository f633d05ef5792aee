"""One large view of the review: the photo's name and relation, its Keep/Archive button, and
a zoomable view that fits small photos at most 100 %."""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from desktop_app.ui.common.image_view import ImageView
from desktop_app.ui.common.palette import ARCHIVE_COLOR, KEEP_COLOR
from desktop_app.ui.duplicates.review_table import relation_text
from desktop_app.workflow.groups import Mark, Member


class ImagePanel(QFrame):
    """One large view of the review: title, mark button, zoomable view."""

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
        # Long names or the difference summary must not widen one panel over the other.
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # Always two lines high: a longer title (the difference summary) must not shrink this
        # panel's view, or its zoom would no longer match its neighbour's.
        self.title.setFixedHeight(2 * self.title.fontMetrics().lineSpacing() + 2)
        self.view = ImageView(self, max_fit_zoom=1.0)
        # The photo takes whatever room is left once the strip and the table have theirs (its
        # own size hint would otherwise squeeze the table into scrolling on a laptop screen).
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.view.setMinimumSize(160, 100)
        self.mark_button = QPushButton()
        self.mark_button.setObjectName("markButton")
        self.mark_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space belongs to the review
        self.mark_button.clicked.connect(lambda: self.member and self.toggle_clicked.emit(self.member.path))
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.mark_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.view, 1)

    def set_member(self, member: Member, *, original: bool, partner: str | None = None, reason: str = "") -> None:
        self.member = member
        if original:
            # The badge says when the original is marked for archiving, never silently.
            badge = "ORIGINAL · ARCHIVE" if member.mark is Mark.ARCHIVE else "ORIGINAL"
            what = f"<b>{badge}</b>" + (f" · {html.escape(reason)}" if reason else "")
        else:
            what = html.escape(relation_text(member, original=False))
        if partner:
            # A RAW and its camera JPEG are one photo: their marks move together.
            what += f" · RAW+JPEG with {html.escape(os.path.basename(partner))}"
        self.title.setText(f"<b>{html.escape(member.name)}</b><br>{what}")
        self.title.setToolTip(member.path + (f"\nThe original: {reason}" if original and reason else ""))
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

"""Designed empty / loading / error states and the in-window message bar.

:class:`EmptyState` is a centred icon, title, explanation and one big action button (e.g. "Add a
folder to start", "No duplicates at 90 — lower the threshold"). :class:`MessageBar` is a
non-modal strip for results and errors with its own action buttons (e.g. "Undo"), so nothing
important hides in a dialog that tests or users have to dismiss.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

log = logging.getLogger(__name__)


class EmptyState(QWidget):
    """Icon + title + text + optional big button, centred."""

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel()
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        # A fixed width lets the wrapped text report its true height (no clipped lines).
        self.text.setFixedWidth(520)
        self.button = QPushButton()
        self.button.setObjectName("emptyAction")
        self.button.setMinimumHeight(40)
        self.button.setMinimumWidth(220)
        bfont = self.button.font()
        bfont.setPointSizeF(bfont.pointSizeF() * 1.2)
        self.button.setFont(bfont)
        self.button.clicked.connect(self.action_clicked)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.icon)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(12)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_state(self, title: str, text: str = "", *, action: str = "", icon: QIcon | None = None) -> None:
        self.title.setText(title)
        self.text.setText(text)
        self.text.setVisible(bool(text))
        # The layout may already be settled: reserve the wrapped text's real height.
        self.text.setMinimumHeight(self.text.heightForWidth(self.text.width()) if text else 0)
        self.button.setText(action)
        self.button.setVisible(bool(action))
        if icon is not None and not icon.isNull():
            self.icon.setPixmap(icon.pixmap(64, 64))
            self.icon.show()
        else:
            self.icon.hide()


class MessageBar(QFrame):
    """A dismissible strip: ``show_message(text, kind, actions=[("Undo", fn), ...])``."""

    KINDS = {"info": QStyle.StandardPixmap.SP_MessageBoxInformation,
             "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
             "error": QStyle.StandardPixmap.SP_MessageBoxCritical}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.kind = "info"
        self.icon = QLabel()
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._buttons: list[QPushButton] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.addWidget(self.icon)
        self._layout.addWidget(self.label, 1)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setFlat(True)
        self.close_button.clicked.connect(self.hide)
        self._layout.addWidget(self.close_button)
        self.hide()

    def show_message(self, text: str, kind: str = "info", *, actions: list[tuple[str, Callable[[], None]]] = ()) -> None:  # type: ignore[assignment]
        for button in self._buttons:
            button.setParent(None)
            button.deleteLater()
        self._buttons = []
        self.kind = kind
        self.label.setText(text)
        self.icon.setPixmap(self.style().standardIcon(self.KINDS.get(kind, self.KINDS["info"])).pixmap(20, 20))
        for text_, slot in actions:
            button = QPushButton(text_)
            button.clicked.connect(slot)
            self._layout.insertWidget(self._layout.count() - 1, button)
            self._buttons.append(button)
        self.show()

    def button(self, text: str) -> QPushButton | None:
        return next((b for b in self._buttons if b.text() == text), None)

    def text(self) -> str:
        return self.label.text()


def error_banner() -> QLabel:
    """A page's one-line error, in the archive colour's wash (hidden until it has something to say)."""
    banner = QLabel(wordWrap=True)
    banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    banner.setStyleSheet(
        "QLabel { background: rgba(204, 85, 51, 40); border: 1px solid rgb(204, 85, 51);"
        " border-radius: 4px; padding: 6px; }"
    )
    banner.hide()
    return banner

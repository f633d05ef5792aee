"""The start screen: add a first folder (button or drop), or reopen a recent library in one click."""

from __future__ import annotations

import logging
from typing import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

from desktop_app.context.types import ContextInfo
from desktop_app.ui.common.drops import Dropped, DropTarget

log = logging.getLogger(__name__)


class StartPage(DropTarget, QWidget):
    """Big "Add a Folder" button and the recent libraries (contexts) as buttons."""

    add_folder_requested = Signal()
    folders_dropped = Signal(list)
    open_requested = Signal(str)    # context name

    def __init__(self, parent: QWidget | None = None, *, icon: QIcon | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        self.setAcceptDrops(True)
        self.logo = QLabel()
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if icon is not None and not icon.isNull():
            self.logo.setPixmap(icon.pixmap(96, 96))
        title = QLabel("Add a folder to start")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        text = QLabel(
            "Lookalike finds exact and near-duplicate photos in your folders and helps you archive "
            "the extra copies. Nothing is deleted: archived files can always be put back."
        )
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setFixedWidth(540)
        text.setMinimumHeight(text.heightForWidth(540))  # a centred wrapped label is otherwise squeezed
        self.add_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Add a Folder of Photos…")
        self.add_button.setObjectName("startAddFolder")
        self.add_button.setMinimumSize(300, 48)
        bfont = self.add_button.font()
        bfont.setPointSizeF(bfont.pointSizeF() * 1.25)
        self.add_button.setFont(bfont)
        self.add_button.clicked.connect(self.add_folder_requested)
        drop = QLabel("or drop folders here")
        drop.setAlignment(Qt.AlignmentFlag.AlignCenter)
        drop.setEnabled(False)
        self.recent_title = QLabel("<b>Recent libraries</b>")
        self.recent_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recent_box = QVBoxLayout()
        self.recent_buttons: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.logo)
        layout.addWidget(title)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(16)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(drop)
        layout.addSpacing(24)
        layout.addWidget(self.recent_title)
        layout.addLayout(self.recent_box)
        layout.addStretch(3)
        self.set_recent([])

    def set_recent(self, contexts: Sequence[ContextInfo]) -> None:
        """One button per library, most recent first."""
        for button in self.recent_buttons:
            button.setParent(None)
            button.deleteLater()
        self.recent_buttons = []
        for info in contexts[:6]:
            folders = ", ".join(f.path for f in info.folders[:2]) + (" …" if len(info.folders) > 2 else "")
            button = QPushButton(f"{info.name} — {info.image_count:,} photos")
            button.setToolTip(folders or "no folders yet")
            button.setMinimumWidth(300)
            button.setFlat(False)
            button.clicked.connect(lambda _=False, name=info.name: self.open_requested.emit(name))
            self.recent_box.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
            self.recent_buttons.append(button)
        self.recent_title.setVisible(bool(self.recent_buttons))

    def takes_drop(self, what: Dropped) -> bool:
        return bool(what.folders)   # a photo passes on to the window (Find Similar)

    def take_drop(self, what: Dropped) -> None:
        self.folders_dropped.emit(list(what.folders))

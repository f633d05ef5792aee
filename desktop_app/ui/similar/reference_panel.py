"""The left side of the Find Similar page: the reference photo, its name and facts, and the
button that chooses another one. It remembers whose preview it shows (decoded once per reference)."""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.similar.search import REFERENCE_SIDE
from desktop_app.ui.common.palette import hint_style


class ReferencePanel(QWidget):
    """``choose`` (a button) asks for a reference; the page fills in the rest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview_for: str | None = None   # the reference whose preview is shown
        self._size = ""                       # "6000 × 4000" of the reference file
        self.image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.image.setFixedSize(REFERENCE_SIDE, REFERENCE_SIDE)
        self.image.setFrameShape(QFrame.Shape.StyledPanel)
        self.image.setWordWrap(True)
        self.name = QLabel(wordWrap=True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.details = QLabel(wordWrap=True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose = QPushButton("Choose a photo…")
        self.choose.setToolTip("Find photos similar to a file, in the library or not (Ctrl+F)")
        box = QVBoxLayout(self)
        title = QLabel("Reference")
        title.setFont(font)
        box.addWidget(title)
        box.addWidget(self.image)
        box.addWidget(self.name)
        box.addWidget(self.details)
        box.addWidget(self.choose)
        hint = QLabel("Or drop a photo from the file manager onto this page.")
        hint.setWordWrap(True)
        hint.setStyleSheet(hint_style(hint.palette()))   # quiet, yet readable
        box.addWidget(hint)
        box.addStretch(1)
        self.setFixedWidth(REFERENCE_SIDE + 24)

    def show_loading(self, path: str) -> None:
        """A new reference: its name now, its preview when the search brings it."""
        self.preview_for = None
        self._size = ""
        self.image.setPixmap(QPixmap())
        self.image.setText("Loading…")
        self.name.setText(os.path.basename(path))
        self.details.setText("")

    def show_empty(self) -> None:
        self.image.setText("No reference yet")
        self.name.setText("")
        self.details.setText("")

    def show_unreadable(self, reference: str | None) -> None:
        if self.preview_for != reference:
            self.image.setText("No preview")

    def show_found(self, reference: str, preview: QImage | None, source_size: tuple[int, int] | None,
                   in_library: bool) -> None:
        """What the search found out about the reference: its preview (first search of it),
        its size, its folder and whether it is in the library."""
        if preview is not None:
            pixmap = QPixmap.fromImage(preview).scaled(
                self.image.size() - QSize(8, 8), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.image.setPixmap(pixmap)
            self.preview_for = reference
            if source_size is not None:
                self._size = f"{source_size[0]} × {source_size[1]}"
        where = "In the library." if in_library else "Not in the library (searched, not added)."
        self.details.setText(f"{self._size}\n{os.path.dirname(reference)}\n{where}")

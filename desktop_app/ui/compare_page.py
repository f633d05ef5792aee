"""Compare-two-images page (placeholder; see issue 5)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ComparePage(QWidget):
    """Score and evidence for two images. API used by the main window:
    ``set_context(ctx)``, ``set_images(path_a, path_b)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("Compare: coming soon"))
        self._context = None

    def set_context(self, context: object) -> None:
        self._context = context

    def set_images(self, path_a: str, path_b: str) -> None:
        pass

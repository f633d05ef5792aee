"""Find-similar page (placeholder; see issue 5)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class SimilarPage(QWidget):
    """Results of ``find_similar`` for a reference image. API used by the main window:
    ``set_context(ctx)``, ``set_reference(path)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("Find similar: coming soon"))
        self._context = None

    def set_context(self, context: object) -> None:
        self._context = context

    def set_reference(self, path: str) -> None:
        pass

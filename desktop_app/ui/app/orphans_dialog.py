"""View → Orphan Sidecars: sidecars whose photo is gone, listed (never deleted).

A non-modal dialog over a read-only table model; the main window fills it from
``SearchContext.orphans()`` (the last scan's findings) and tests drive it directly.
"""

from __future__ import annotations

import logging
import os
from typing import Callable, Sequence

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context.companions import Companion
from desktop_app.formatting import format_bytes
from desktop_app.ui.duplicates.lists_dialogs import TableModel

log = logging.getLogger(__name__)


class OrphansDialog(QDialog):
    """Sidecars (``.xmp``, ``.AAE``, ``.pp3``…) no photo in their folder claims any more."""

    def __init__(self, reveal: Callable[[str], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Orphan Sidecars")
        self.resize(760, 420)
        self.reveal_file = reveal
        self.model = TableModel(
            ["Sidecar", "Kind", "Size", "Folder"],
            [lambda c: os.path.basename(c.path), lambda c: c.label, lambda c: format_bytes(c.size),
             lambda c: os.path.dirname(c.path)],
            self,
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.reveal_button = QPushButton("Show in File Manager")
        self.reveal_button.clicked.connect(self._on_reveal_clicked)
        self.status = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.reveal_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def set_orphans(self, orphans: Sequence[Companion]) -> None:
        self.model.set_rows(list(orphans))
        self.view.resizeColumnsToContents()
        self.reveal_button.setEnabled(bool(orphans))
        self.summary.setText(
            f"{len(orphans):,} sidecar file(s) whose photo is gone, as of the last scan. Lookalike never "
            "deletes them: the edits or ratings in them may still matter to you."
            if orphans else "Every sidecar file belongs to a photo.")

    def _on_reveal_clicked(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        row = rows[0].row() if rows else 0
        items = self.model.rows()
        if not items:
            return
        error = self.reveal_file(items[row].path)
        self.status.setText(error or "")

"""Small list dialogs: skipped files with their reasons, and "not duplicates" decisions (undoable).

Both are non-modal QDialogs over a read-only table model, so tests drive them directly.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context.types import DistinctDecision, SkippedFile

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
RowRole = Qt.ItemDataRole.UserRole + 1


class TableModel(QAbstractTableModel):
    """Rows of objects shown through per-column functions; read-only."""

    def __init__(self, headers: Sequence[str], columns: Sequence[Callable[[Any], str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._columns = list(columns)
        self._rows: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._columns[index.column()](row)
        if role == RowRole:
            return row
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._headers):
            return self._headers[section]
        return None

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)


def _table(model: TableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    view.setWordWrap(False)
    return view


class SkippedDialog(QDialog):
    """Files the scan could not read, each with its reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skipped Files")
        self.resize(760, 420)
        self.model = TableModel(
            ["File", "Reason", "Folder"],
            [lambda s: os.path.basename(s.path), lambda s: s.reason, lambda s: os.path.dirname(s.path)],
            self,
        )
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.view = _table(self.model)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    def set_skipped(self, skipped: Sequence[SkippedFile]) -> None:
        self.model.set_rows(skipped)
        self.view.resizeColumnsToContents()   # reasons must be readable, not "file is trunc…"
        self.summary.setText(
            f"{len(skipped):,} file(s) could not be read as images and were left out of the search. "
            "They are untouched on disk." if skipped else "Every file was read."
        )


class DecisionsDialog(QDialog):
    """Pairs the user declared "not duplicates"; selected decisions can be undone."""

    undo_requested = Signal(list)   # [DistinctDecision, ...]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Not Duplicates")
        self.resize(760, 420)
        self.model = TableModel(
            ["First file", "Its folder", "Second file", "Its folder", "Decided"],
            [lambda d: os.path.basename(d.path_a), lambda d: os.path.dirname(d.path_a),
             lambda d: os.path.basename(d.path_b), lambda d: os.path.dirname(d.path_b),
             lambda d: d.decided_at.replace("T", " ")[:19]],
            self,
        )
        self.intro = intro = QLabel()
        intro.setWordWrap(True)
        self.view = _table(self.model)
        self.undo_button = QPushButton("Undo Selected Decisions")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self._on_undo_clicked)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self.undo_button.setEnabled(bool(self.view.selectionModel().selectedRows()))
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    def set_decisions(self, decisions: Sequence[DistinctDecision]) -> None:
        self.intro.setText(
            "You said these files are different photos; they are never grouped as duplicates. "
            "Undo a decision to let them be grouped again." if decisions else
            "No decisions yet. When two photos of a group are different pictures, choose "
            "<b>Not Duplicates</b> in the review (or the group's menu): they are never grouped again, "
            "and the decision is listed here, where it can be undone."
        )
        self.model.set_rows(decisions)
        self.view.resizeColumnsToContents()
        self.undo_button.setEnabled(False)

    def select_rows(self, rows: Sequence[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in rows:
            self.view.selectRow(row) if len(rows) == 1 else selection.select(
                self.model.index(row, 0),
                selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
            )

    def _on_undo_clicked(self) -> None:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        decisions = [self.model.rows()[r] for r in rows]
        if decisions:
            self.undo_requested.emit(decisions)

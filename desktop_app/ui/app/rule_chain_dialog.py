"""Rules → Apply a Rule Chain…: pick keep rules from a list and put them in order (each later rule
breaks the ties of the ones before), instead of typing "highest-resolution,oldest"."""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.workflow.rules import RELATION_RULES, RULES, rule

NameRole = Qt.ItemDataRole.UserRole + 1


def _item(name: str) -> QListWidgetItem:
    try:
        description = rule(name).description
    except ValueError:
        description = name
    item = QListWidgetItem(f"{description[:1].upper()}{description[1:]}")
    item.setData(NameRole, name)
    item.setToolTip(name)
    return item


class RuleChainDialog(QDialog):
    """Available rules on the left, the chain in order on the right; :meth:`chain` is the
    comma-separated chain the workflow takes."""

    def __init__(self, chain: Iterable[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Apply a Rule Chain")
        self.available = QListWidget()
        self.available.setAccessibleName("Available rules")
        self.chosen = QListWidget()
        self.chosen.setAccessibleName("Rules in order")
        self.chosen.setDragDropMode(QListWidget.DragDropMode.InternalMove)   # reorder by dragging too
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("*_edit.* or */Best/*")
        self.add_button = QPushButton("Add →")
        self.remove_button = QPushButton("← Remove")
        self.up_button = QPushButton("Move Up")
        self.down_button = QPushButton("Move Down")
        self.pattern_button = QPushButton("Add Pattern →")
        self.add_button.clicked.connect(self.add_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.pattern_button.clicked.connect(self.add_pattern)
        self.pattern.returnPressed.connect(self.add_pattern)
        self.available.itemDoubleClicked.connect(lambda _item: self.add_selected())
        self.chosen.itemDoubleClicked.connect(lambda _item: self.remove_selected())
        for name in [*RULES, *(r.name for r in RELATION_RULES)]:   # by criterion, then by relation
            self.available.addItem(_item(name))
        for name in chain:
            self._append(name)

        grid = QGridLayout()
        grid.addWidget(QLabel("Rules"), 0, 0)
        grid.addWidget(QLabel("Keep, in this order (each next rule breaks the ties of those above)"), 0, 2)
        grid.addWidget(self.available, 1, 0, 4, 1)
        grid.addWidget(self.add_button, 1, 1)
        grid.addWidget(self.remove_button, 2, 1)
        grid.addWidget(self.chosen, 1, 2, 4, 1)
        grid.addWidget(self.up_button, 1, 3)
        grid.addWidget(self.down_button, 2, 3)
        grid.addWidget(QLabel("Keep files whose name (or path, with a /) matches:"), 5, 0, 1, 3)
        grid.addWidget(self.pattern, 6, 0)
        grid.addWidget(self.pattern_button, 6, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply to All Groups")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.buttons)
        self.chosen.currentRowChanged.connect(self._update)
        self.chosen.model().rowsInserted.connect(self._update)
        self.chosen.model().rowsRemoved.connect(self._update)
        self.chosen.model().rowsMoved.connect(self._update)
        self._update()

    def chain_names(self) -> list[str]:
        return [str(self.chosen.item(i).data(NameRole)) for i in range(self.chosen.count())]

    def chain(self) -> str:
        """The chain as the workflow takes it: ``"highest-resolution,oldest"``."""
        return ",".join(self.chain_names())

    def _append(self, name: str) -> None:
        if name and name not in self.chain_names():
            self.chosen.addItem(_item(name))

    def add_selected(self) -> None:
        row = self.available.currentRow()
        for item in self.available.selectedItems() or ([self.available.item(row)] if row >= 0 else []):
            self._append(str(item.data(NameRole)))
        self._update()

    def add_pattern(self) -> None:
        text = self.pattern.text().strip()
        if text:
            self._append(f"path:{text}")
            self.pattern.clear()
        self._update()

    def remove_selected(self) -> None:
        row = self.chosen.currentRow()
        if row >= 0:
            self.chosen.takeItem(row)
        self._update()

    def move_selected(self, delta: int) -> None:
        row = self.chosen.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.chosen.count():
            return
        item = self.chosen.takeItem(row)
        self.chosen.insertItem(target, item)
        self.chosen.setCurrentRow(target)
        self._update()

    def _update(self, *_args: object) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.chosen.count() > 0)
        row = self.chosen.currentRow()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.chosen.count() - 1)


def _is_rule(name: str) -> bool:
    try:
        rule(name)
    except ValueError:
        return False
    return True


def ask_rule_chain(chain: str, parent: QWidget | None = None) -> str | None:
    """Show the dialog starting from ``chain``; the chosen chain, or None if cancelled."""
    names = [n.strip() for n in chain.split(",") if n.strip()]
    known = [n for n in names if _is_rule(n)]
    dialog = RuleChainDialog(known, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.chain() or None

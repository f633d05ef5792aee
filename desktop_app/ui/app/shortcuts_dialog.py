"""Help → Keyboard Shortcuts: every shortcut of the app in one table, grouped by where it works.

The table is data (:data:`SHORTCUTS`) so the pages and this dialog can be checked against each
other by tests, and keys are shown in the platform's notation (Ctrl is ⌘ on macOS) by
``QKeySequence.toString(NativeText)``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common.palette import hint_style

log = logging.getLogger(__name__)

#: (section, ((keys, what it does), ...)). Keys use QKeySequence's portable text; several
#: alternatives are separated by " / ".
SHORTCUTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Everywhere", (
        ("Ctrl+N", "New library…"),
        ("Ctrl+Shift+O", "Add a folder to the library…"),
        ("F5", "Scan the library again"),
        ("Ctrl+Z", "Undo the last archive"),
        ("Ctrl+1 / Ctrl+2 / Ctrl+3", "Duplicates / Find Similar / Compare"),
        ("F1", "This list of shortcuts"),
        ("Ctrl+Q", "Quit"),
    )),
    ("Duplicates", (
        ("Up / Down", "Previous / next group"),
        ("Left / Right", "Previous / next photo of the group"),
        ("Space", "Keep ↔ archive the focused photo"),
        ("Return", "Review the group: every photo in a strip, one beside the original"),
        ("Home / End", "First / last photo of the group (review)"),
        ("Esc", "Back to the groups"),
        ("D", "Difference map (review)"),
        ("+ / - / 0 / 1", "Zoom in / out / fit / 1:1 (review)"),
    )),
    ("Find Similar", (
        ("Ctrl+F", "Find photos similar to a file…"),
        ("Return / Ctrl+Shift+C", "Compare the selected photo with the reference (or double-click)"),
        ("Ctrl+Return", "Open the selected photo in the system viewer"),
        ("Ctrl+Shift+R", "Show the selected photo in the file manager"),
        ("Space", "Mark / unmark the selected photos for archiving"),
    )),
    ("Compare", (
        ("Ctrl+Shift+C", "Choose two photos to compare…"),
        ("+ / - / 0 / 1", "Zoom in / out / fit / 1:1, both photos together"),
        ("D", "Side by side ↔ difference map"),
        ("M", "Show / hide the matched keypoints"),
        ("O", "Show / hide the matches the geometry rejects"),
        ("X", "Swap left and right"),
        ("Ctrl+E", "Export the comparison as a PNG…"),
    )),
    ("Any photo view", (
        ("Wheel", "Zoom about the pointer"),
        ("Drag", "Pan"),
        ("Double-click", "Fit ↔ 1:1 at the clicked point"),
    )),
)


def native(keys: str) -> str:
    """``"Ctrl+Shift+C / F5"`` in the platform's notation; words such as "Wheel" stay as they are."""
    parts = []
    for part in keys.split(" / "):
        sequence = QKeySequence(part)
        text = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        parts.append(text if text and part not in ("Wheel", "Drag", "Double-click") else part)
    return " / ".join(parts)


class ShortcutsDialog(QDialog):
    """A read-only table of all shortcuts (non-modal; Esc or Close closes it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(720, 720)
        rows = sum(1 + len(items) for _, items in SHORTCUTS)
        self.table = QTableWidget(rows, 2, self)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        bold = QFont(self.font())
        bold.setBold(True)
        row = 0
        for section, items in SHORTCUTS:
            title = QTableWidgetItem(section)
            title.setFont(bold)
            self.table.setItem(row, 0, title)
            self.table.setSpan(row, 0, 1, 2)
            row += 1
            for keys, action in items:
                key_item = QTableWidgetItem("    " + native(keys))
                key_item.setFont(bold)
                self.table.setItem(row, 0, key_item)
                self.table.setItem(row, 1, QTableWidgetItem(action))
                row += 1
        note = QLabel("Page shortcuts work while that page is shown.")
        note.setStyleSheet(hint_style(note.palette()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def actions_for(self, section: str) -> dict[str, str]:
        """{action: keys} of one section, as shown (tests)."""
        for name, items in SHORTCUTS:
            if name == section:
                return {action: keys for keys, action in items}
        raise KeyError(section)

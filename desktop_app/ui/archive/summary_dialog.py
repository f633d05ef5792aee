"""After an archive: what moved (from where, to where) and what was left in place (and why),
with Show in Archive, Save Log… and Undo at hand. Shown without blocking the window."""

from __future__ import annotations

import os
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.archive.texts import message_bar_text
from desktop_app.ui.common import desktop
from desktop_app.ui.common.scale import format_bytes
from desktop_app.workflow.archive import ArchiveFolder
from desktop_app.workflow.archive_controller import ArchiveSummary

LISTED = 1000   # rows listed; the saved log has every file


class ArchiveSummaryDialog(QDialog):
    """The summary of one archive operation. ``undo`` and ``save_log`` are the window's."""

    def __init__(self, summary: ArchiveSummary, *, undo: Callable[[], None], save_log: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Archive Summary")
        self.resize(820, 460)
        self.summary = summary
        result = summary.result
        assert result is not None
        text, _kind = message_bar_text(summary)
        heading = QLabel(text)
        heading.setWordWrap(True)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)   # the outcome first, then the details
        heading.setFont(font)
        heading.setTextFormat(Qt.TextFormat.RichText)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Size", "From", "Now in"])
        self.tree.setRootIsDecorated(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        moved = QTreeWidgetItem([f"Moved ({len(result.moved):,})"])
        for m in result.moved[:LISTED]:
            place = m.place or "the trash"
            item = QTreeWidgetItem([os.path.basename(m.source), format_bytes(m.size), os.path.dirname(m.source),
                                    os.path.dirname(place) if m.place else place])
            item.setToolTip(0, m.source)
            item.setToolTip(2, m.source)
            item.setToolTip(3, place)
            moved.addChild(item)
        self.tree.addTopLevelItem(moved)
        left = [*result.skipped, *result.errors]
        self.left_item = QTreeWidgetItem([f"Left in place ({len(left):,})"])
        for path, reason in left[:LISTED]:
            item = QTreeWidgetItem([os.path.basename(path), "", os.path.dirname(path), reason])
            item.setToolTip(0, path)
            item.setToolTip(3, reason)
            self.left_item.addChild(item)
        if left:
            self.tree.addTopLevelItem(self.left_item)
        self.moved_item = moved
        self.tree.expandAll()
        self.tree.setColumnWidth(0, 220)
        self.tree.setColumnWidth(1, 80)
        self.tree.setColumnWidth(2, 240)

        self.buttons = QDialogButtonBox()
        self.show_button: QPushButton = self.buttons.addButton("Show in Archive", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button: QPushButton = self.buttons.addButton("Save Log…", QDialogButtonBox.ButtonRole.ActionRole)
        self.undo_button: QPushButton = self.buttons.addButton("Undo", QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        folder = summary.destination.path if isinstance(summary.destination, ArchiveFolder) else ""
        self.archive_folder = folder
        self.show_button.setEnabled(bool(folder) and bool(result.moved))
        self.show_button.setToolTip(f"Open '{folder}' in the file manager" if folder
                                    else "The files are in the system trash")
        self.undo_button.setEnabled(bool(result.moved))
        self.undo_button.setToolTip("Put every moved file back where it was")
        self.show_button.clicked.connect(self._on_show)
        self.save_button.clicked.connect(save_log)
        self._undo = undo
        self.undo_button.clicked.connect(self._on_undo)
        self.buttons.rejected.connect(self.reject)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def _on_undo(self) -> None:
        self._undo()
        self.accept()

    def _on_show(self) -> None:
        # The folder of the first moved file, selected in the file manager (the archive mirrors
        # the library, so that is where the user looks first).
        moved = self.summary.result.moved if self.summary.result else ()
        target = next((m.place for m in moved if m.place and os.path.exists(m.place)), self.archive_folder)
        problem = desktop.reveal(target) if target else None
        if problem:
            self.problem.setText(problem)
            self.problem.show()

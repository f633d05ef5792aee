"""The library folders of the open context: add (dialog or drop), remove, protect, counts.

A folder's check box marks it *protected* (a reference folder): its files are never proposed
for archiving. The panel only emits requests; the page applies them to the context.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop_app.context.types import Folder
from desktop_app.ui.common.drops import Dropped, DropTarget
from desktop_app.ui.common.palette import hint_style
from desktop_app.ui.common.file_dialogs import remember_folder, start_folder

log = logging.getLogger(__name__)

PathRole = Qt.ItemDataRole.UserRole + 1
CountRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


class FolderListModel(QAbstractListModel):
    """Rows = context folders; check state = protected; ``CountRole`` = images indexed."""

    protection_toggled = Signal(str, bool)   # path, protected (the user clicked the box)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folders: list[Folder] = []
        self._counts: dict[str, int] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._folders)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._folders):
            return None
        folder = self._folders[index.row()]
        count = self._counts.get(folder.path)
        if role == Qt.ItemDataRole.DisplayRole:
            name = os.path.basename(folder.path.rstrip(os.sep)) or folder.path
            counted = "not scanned yet" if count is None else f"{count:,} images"
            return f"{name}\n{counted}" + (" · protected" if folder.protected else "")
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = folder.path
            if folder.protected:
                tip += "\nProtected (reference folder): its files are never archived."
            else:
                tip += "\nTick the box to protect this folder: its files will never be archived."
            return tip
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if folder.protected else Qt.CheckState.Unchecked
        if role == PathRole:
            return folder.path
        if role == CountRole:
            return count
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        state = Qt.CheckState(value) if not isinstance(value, Qt.CheckState) else value
        folder = self._folders[index.row()]
        protected = state == Qt.CheckState.Checked
        if protected == folder.protected:
            return False
        self._folders[index.row()] = Folder(folder.path, protected)
        self.dataChanged.emit(index, index)
        self.protection_toggled.emit(folder.path, protected)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable

    def set_folders(self, folders: Sequence[Folder], counts: dict[str, int] | None = None) -> None:
        self.beginResetModel()
        self._folders = list(folders)
        if counts is not None:
            self._counts = dict(counts)
        self.endResetModel()

    def folders(self) -> list[Folder]:
        return list(self._folders)


class FoldersPanel(DropTarget, QWidget):
    """List of folders with Add/Remove buttons; accepts folders dropped from a file manager."""

    folders_added = Signal(list)           # [path, ...]
    folder_removed = Signal(str)
    protection_changed = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None, *, choose_folder: Callable[[QWidget], str] | None = None) -> None:
        super().__init__(parent)
        self._scanning = False   # a scan is reading the folders: none can be removed
        self.setObjectName("foldersPanel")
        self.setAcceptDrops(True)
        self._choose_folder = choose_folder or self.ask_folder
        self.model = FolderListModel(self)
        self.model.protection_toggled.connect(self.protection_changed)
        title = QLabel("<b>Folders</b>")
        hint = QLabel("Protect a folder (or tick it) and its files are never archived. Drop folders here to add them.")
        hint.setWordWrap(True)
        hint.setStyleSheet(hint_style(hint.palette()))  # quiet, yet readable (not the disabled grey)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setAccessibleName("Folders")
        self.view.setAlternatingRowColors(True)
        self.view.setSpacing(2)
        style = self.style()
        self.add_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder), "Add Folder…")
        self.add_button.setToolTip("Add a folder of photos to this library (or drop one here)")
        self.remove_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton), "Remove")
        self.remove_button.setToolTip("Stop scanning the selected folder (its files are not touched)")
        self.remove_button.setEnabled(False)
        # The same as ticking the box, said in words (a bare check box is easy to miss).
        self.protect_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_DialogYesButton), "Protect")
        self.protect_button.setToolTip("Protect the selected folder: its files are never archived (a reference folder)")
        self.protect_button.setEnabled(False)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.protect_button.clicked.connect(self._on_protect_clicked)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self.model.dataChanged.connect(self._update_buttons)
        buttons = QGridLayout()
        buttons.addWidget(self.add_button, 0, 0, 1, 2)
        buttons.addWidget(self.protect_button, 1, 0)
        buttons.addWidget(self.remove_button, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        layout.addWidget(hint)

    def set_folders(self, folders: Sequence[Folder], counts: dict[str, int] | None = None) -> None:
        self.model.set_folders(folders, counts)

    def set_editable(self, editable: bool) -> None:
        """While a scan runs a folder can't be removed (the scan is reading it); folders can
        still be added (scanned when this scan ends) and protected (applied to the groups the
        scan leads to), so a user need not wait for the first scan to set things up."""
        self._scanning = not editable
        self._update_buttons()

    def selected_path(self) -> str | None:
        idx = self.view.currentIndex()
        return idx.data(PathRole) if idx.isValid() else None

    def _update_buttons(self, *_: object) -> None:
        selected = self.view.isEnabled() and bool(self.view.selectionModel().selectedIndexes())
        self.remove_button.setEnabled(selected and not self._scanning)
        self.protect_button.setEnabled(selected)
        index = self.view.currentIndex()
        protected = selected and index.isValid() and index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
        self.protect_button.setText("Unprotect" if protected else "Protect")

    def _on_protect_clicked(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            protected = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
            self.model.setData(index, Qt.CheckState.Unchecked if protected else Qt.CheckState.Checked,
                               Qt.ItemDataRole.CheckStateRole)

    @staticmethod
    def ask_folder(parent: QWidget) -> str:
        """Ask for a folder of photos, starting where the user last went (or in Pictures)."""
        path = QFileDialog.getExistingDirectory(parent, "Add a Folder of Photos", start_folder())
        remember_folder(path)
        return path

    def _on_add_clicked(self) -> None:
        path = self._choose_folder(self)
        if path:
            self.folders_added.emit([path])

    def _on_remove_clicked(self) -> None:
        path = self.selected_path()
        if path:
            self.folder_removed.emit(path)

    def takes_drop(self, what: Dropped) -> bool:
        return bool(what.folders)   # files pass on to the window

    def take_drop(self, what: Dropped) -> None:
        self.folders_added.emit(list(what.folders))

"""Archive confirmation: the plan (files, bytes, destination) before anything moves.

:class:`ArchiveDialog` is a plain QDialog the main window builds and ``exec()``s; tests build it,
set the choice and call ``accept()``. The destination is an archive folder (typed, or chosen
with a folder dialog; one that doesn't exist yet is created inside an existing folder) or the
system trash; permanent deletion is not offered. Every file shows where it goes.
"""

from __future__ import annotations

import logging
import os
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.common.file_dialogs import remember_folder, start_folder
from desktop_app.ui.common.scale import format_bytes, format_score
from desktop_app.workflow.archive import ArchiveFolder, Destination, PlanEntry, Trash
from desktop_app.workflow.paths import is_inside, relative_to_root

log = logging.getLogger(__name__)

SAME_PHOTO = 90   # the scale: 90-99 same photo with minor changes; 70-89 same subject
PREVIEW_ROWS = 500  # rows listed in the dialog; the rest are summarised (the log has them all)
FILE, SIZE, SIMILARITY, CHOSEN_BY, FOLDER, GOES_TO = range(6)
TRASH_WORDS = "the system trash"


def typed_folder(text: str) -> str:
    """The archive folder a user typed: ``~`` expanded, made absolute ("" stays "")."""
    text = text.strip()
    return os.path.abspath(os.path.expanduser(text)) if text else ""


def goes_to(entry: PlanEntry, folder: str | None) -> str:
    """Where ``entry`` lands: its path inside its library folder, mirrored under ``folder``, or
    the trash (``folder`` None). A name already taken there gets a number when it moves."""
    if folder is None:
        return "Trash"
    return os.path.join(folder, relative_to_root(entry.source, entry.root))


class ArchiveDialog(QDialog):
    """Shows what will be archived and asks where to. ``destination()`` after ``accept``."""

    def __init__(
        self,
        entries: tuple[PlanEntry, ...],
        *,
        archive_folder: str = "",
        use_trash: bool = False,
        refused: tuple[tuple[str, str], ...] = (),
        choose_folder: Callable[[QWidget, str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Archive Files")
        self.setModal(True)
        self.resize(920, 540)   # room for the relation and where each file goes (fits 1366 x 768)
        # The library folders the plan's files live in: an archive folder may not overlap them.
        self._library_folders = sorted({e.root for e in entries if e.root})
        self._choose_folder = choose_folder or (
            lambda parent, start: QFileDialog.getExistingDirectory(parent, "Choose the Archive Folder", start)
        )
        self._entries = entries
        total = sum(e.size for e in entries)
        heading = QLabel(
            f"<h3>Archive {len(entries):,} file{'s' if len(entries) != 1 else ''} "
            f"({format_bytes(total)})?</h3>"
        )
        heading.setTextFormat(Qt.TextFormat.RichText)
        # What happens, in the words of the destination chosen (the trash or a folder).
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)

        self.folder_radio = QRadioButton("Move to an archive folder:")
        self.trash_radio = QRadioButton("Move to the system trash")
        self._choice = QButtonGroup(self)
        self._choice.addButton(self.folder_radio)
        self._choice.addButton(self.trash_radio)
        self.folder_edit = QLineEdit(archive_folder)
        self.folder_edit.setPlaceholderText("Type or choose a folder outside your library, e.g. ~/Pictures Archive")
        self.folder_edit.setClearButtonEnabled(True)
        self.folder_edit.textEdited.connect(lambda _text: self.folder_radio.setChecked(True))
        self.browse_button = QPushButton("Choose…")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        (self.trash_radio if use_trash else self.folder_radio).setChecked(True)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_radio)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Size", "Relation · similarity", "Chosen by", "Folder",
                                   "Goes to (in the archive folder)"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)   # paths keep their start and end
        self._items: list[QTreeWidgetItem] = []   # one per listed entry, in order
        for entry in entries[:PREVIEW_ROWS]:
            item = QTreeWidgetItem([
                os.path.basename(entry.source), format_bytes(entry.size),
                # What the copy is (the engine's relation), with its score on the scale.
                f"{entry.relation} · {format_score(entry.similarity)}" if entry.relation else format_score(entry.similarity),
                _chosen_by(entry.chosen_by), os.path.dirname(entry.source), "",
            ])
            item.setToolTip(FILE, entry.source)
            item.setToolTip(FOLDER, os.path.dirname(entry.source))
            item.setToolTip(CHOSEN_BY, _chosen_by_tip(entry.chosen_by))
            self.tree.addTopLevelItem(item)
            self._items.append(item)
        if len(entries) > PREVIEW_ROWS:
            self.tree.addTopLevelItem(QTreeWidgetItem([f"… and {len(entries) - PREVIEW_ROWS:,} more"]))
        for column in (FILE, SIZE, SIMILARITY, CHOSEN_BY):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(FOLDER, 200)
        # Below 90 the scale says "same subject": a crop, a rotation, or another shot of the
        # same scene, not a copy. Say so before anything moves, and flag those rows.
        looser = [e for e in entries if e.similarity < SAME_PHOTO]
        self.looser_label = QLabel()
        self.looser_label.setWordWrap(True)
        if looser:
            self.looser_label.setText(
                f"⚠ {len(looser):,} of these files are less than {SAME_PHOTO} similar (marked ⚠ below): they may "
                "be other shots of the same subject rather than copies. Check them in the review first."
            )
            warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            for row, entry in enumerate(entries[:PREVIEW_ROWS]):
                if entry.similarity < SAME_PHOTO:
                    item = self._items[row]
                    item.setIcon(2, warn)
                    item.setToolTip(2, "Less than 90 similar: maybe another shot, not a copy")
        else:
            self.looser_label.hide()
        self.refused_label = QLabel()
        self.refused_label.setWordWrap(True)
        if refused:
            self.refused_label.setText(
                f"{len(refused)} marked file(s) will stay: " + "; ".join(r for _, r in refused[:3])
            )
        else:
            self.refused_label.hide()
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problemLabel")
        self.problem_label.setWordWrap(True)
        # Why the Archive button is disabled: in the archive colour, readable in light and dark.
        self.problem_label.setStyleSheet("color: rgb(204, 85, 51); font-weight: bold;")

        self.note_label = QLabel()   # e.g. "the folder will be created"
        self.note_label.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            f"Archive {len(entries):,} Files", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.folder_radio.toggled.connect(self._validate)
        self.folder_edit.textChanged.connect(self._validate)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.explanation)
        layout.addLayout(folder_row)
        layout.addWidget(self.trash_radio)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.looser_label)
        layout.addWidget(self.refused_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.buttons)
        self._validate()

    def destination(self) -> Destination:
        if self.trash_radio.isChecked():
            return Trash()
        folder = typed_folder(self.folder_edit.text())
        remember_folder(os.path.dirname(folder) if not os.path.isdir(folder) else folder)
        return ArchiveFolder(folder)

    def set_archive_folder(self, path: str) -> None:
        self.folder_edit.setText(path)
        self.folder_radio.setChecked(True)

    def use_trash(self) -> None:
        self.trash_radio.setChecked(True)

    def _on_browse_clicked(self) -> None:
        path = self._choose_folder(self, typed_folder(self.folder_edit.text()) or start_folder())
        if path:
            self.set_archive_folder(path)

    def _validate(self, *_: object) -> None:
        problem = note = ""
        to_trash = self.trash_radio.isChecked()
        folder = typed_folder(self.folder_edit.text())
        if not to_trash:
            if not folder:
                problem = "Type or choose an archive folder, or use the system trash."
            elif os.path.exists(folder) and not os.path.isdir(folder):
                problem = f"'{folder}' is a file, not a folder."
            elif not os.path.isdir(os.path.dirname(folder)) and not os.path.isdir(folder):
                problem = (f"The folder '{os.path.dirname(folder)}' isn't there (is its drive connected?): "
                           "an archive folder is created only inside an existing folder.")
            else:
                # Said here, before anything is confirmed (the workflow refuses it too): a re-scan
                # would find the archived files again.
                clash = next((r for r in self._library_folders
                              if is_inside(folder, r) or is_inside(r, folder)), None)
                if clash is not None:
                    problem = (f"Choose a folder outside your library: '{folder}' overlaps the library "
                               f"folder '{clash}', so a scan would find the archived files again.")
                elif not os.path.isdir(folder):
                    note = f"The folder '{os.path.basename(folder)}' doesn't exist yet: it will be created in '{os.path.dirname(folder)}'."
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self.ok_button.setEnabled(not problem)
        count = len(self._entries)
        self.ok_button.setText(f"Move {count:,} Files to the Trash" if to_trash else f"Archive {count:,} Files")
        self.folder_edit.setEnabled(not to_trash)
        self.browse_button.setEnabled(not to_trash)
        self.explanation.setText(
            "Files are moved to <b>the system trash</b>, never deleted by Lookalike: "
            "<b>Edit → Undo Archive</b> puts them back (or restore them from the trash yourself)."
            if to_trash else
            "Files are moved, never deleted: <b>the archive folder</b> keeps each file's path inside its "
            "library folder (see <i>Goes to</i>), and <b>Edit → Undo Archive</b> puts everything back."
        )
        self._update_goes_to(None if to_trash else (folder if folder and not problem else ""))

    def _update_goes_to(self, folder: str | None) -> None:
        for item, entry in zip(self._items, self._entries):
            place = "" if folder == "" else goes_to(entry, folder)
            # Shown inside the archive folder (named above), so the part that differs is seen.
            item.setText(GOES_TO, os.path.relpath(place, folder) if folder and place else place)
            item.setToolTip(GOES_TO, place)


def _chosen_by_tip(value: str) -> str:
    if value.startswith("rule:"):
        return f"Marked for archiving when you applied the rule '{value[5:]}' to its group"
    return {"hand": "You marked it for archiving", "default": "Lookalike's cautious proposal: a copy of the original",
            "saved": "Marked in an earlier review", "protected": "In a protected folder"}.get(value, value)


def _chosen_by(value: str) -> str:
    if value.startswith("rule:"):
        return "rule: " + value[5:].replace("-", " ")
    return {"hand": "you", "default": "proposal", "saved": "earlier review", "protected": "protected"}.get(value, value)

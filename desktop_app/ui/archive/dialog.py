"""Archive confirmation: the plan (files, bytes, destination) before anything moves.

Each row is a unit: a photo and the companion files that travel with it ("+ .xmp, .AAE, Live
Photo video"), its size counting them all. A copy that alone carries something its group's
keepers don't (the information-loss guard: GPS, edits, more pixels...) is flagged with the
reason, and the dialog asks what to do with such copies: keep them in the library (the default)
or archive them too; ``kept()`` tells which to keep.

:class:`ArchiveDialog` is a plain QDialog the main window builds and ``exec()``s; tests build it,
set the choice and call ``accept()``. The destination is an archive folder (typed, or chosen
with a folder dialog; one that doesn't exist yet is created inside an existing folder) or the
system trash; permanent deletion is not offered. Every file shows what it is (its relation to
the original) and where it goes.
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
from desktop_app.workflow.units import companion_labels, group_units

log = logging.getLogger(__name__)

SAME_PHOTO = 90   # the scale: 90-99 same photo with minor changes; 70-89 same subject
PREVIEW_ROWS = 500  # rows listed in the dialog; the rest are summarised (the log has them all)
FILE, SIZE, SIMILARITY, CHOSEN_BY, TRAVELS_WITH, ONLY_HERE, FOLDER, GOES_TO = range(8)


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
        # Room for what each file is, what travels with it and where it goes; within the screen.
        free = self.screen().availableGeometry()
        self.resize(min(1240, free.width() - 40), min(560, free.height() - 40))
        # The library folders the plan's files live in: an archive folder may not overlap them.
        self._library_folders = sorted({e.root for e in entries if e.root})
        self._choose_folder = choose_folder or (
            lambda parent, start: QFileDialog.getExistingDirectory(parent, "Choose the Archive Folder", start)
        )
        total = sum(e.size for e in entries)
        units = group_units(entries)
        self._units = units
        photos = sum(1 for e in entries if not e.companion_of)
        extra = len(entries) - photos
        with_extra = f" with {extra:,} companion file{'s' if extra != 1 else ''}" if extra else ""
        self.heading = heading = QLabel(
            f"<h3>Archive {photos:,} file{'s' if photos != 1 else ''}{with_extra} "
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
        self.tree.setHeaderLabels(["File", "Size", "Relation · similarity", "Chosen by", "Travels with",
                                   "Only this copy has", "Folder", "Goes to (in the archive folder)"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)   # paths keep their start and end
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._items: list[QTreeWidgetItem] = []   # one per listed unit, in order
        for unit in units[:PREVIEW_ROWS]:
            entry = unit[0]
            item = QTreeWidgetItem([
                os.path.basename(entry.source), format_bytes(sum(e.size for e in unit)),
                # What the copy is (the engine's relation), with its score on the scale.
                f"{entry.relation} · {format_score(entry.similarity)}" if entry.relation else format_score(entry.similarity),
                _chosen_by(entry.chosen_by), companion_labels(unit),
                ", ".join(e for member in unit for e in member.loses), os.path.dirname(entry.source), "",
            ])
            item.setToolTip(FILE, "\n".join(e.source for e in unit))
            item.setToolTip(FOLDER, os.path.dirname(entry.source))
            item.setToolTip(CHOSEN_BY, _chosen_by_tip(entry.chosen_by))
            if any(e.loses for e in unit):
                item.setIcon(ONLY_HERE, warn)
                item.setToolTip(ONLY_HERE, "Only this copy has it; its kept copies don't")
            self.tree.addTopLevelItem(item)
            self._items.append(item)
        if len(units) > PREVIEW_ROWS:
            self.tree.addTopLevelItem(QTreeWidgetItem([f"… and {len(units) - PREVIEW_ROWS:,} more"]))
        for column in range(FOLDER):   # what travels with a file, and why it is flagged, must be
            self.tree.resizeColumnToContents(column)   # readable in full
        self.tree.setColumnWidth(FOLDER, 180)   # elided in the middle; the full path in its tooltip
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
            for shown, unit in zip(self._items, units):
                if unit[0].similarity < SAME_PHOTO:
                    shown.setIcon(SIMILARITY, warn)
                    shown.setToolTip(SIMILARITY, "Less than 90 similar: maybe another shot, not a copy")
        else:
            self.looser_label.hide()
        # The information-loss guard: ask before moving a copy that alone carries something.
        self._flagged = tuple(e for e in entries if e.loses)
        self.loss_label = QLabel()
        self.loss_label.setWordWrap(True)
        one = len(self._flagged) == 1
        self.keep_flagged_radio = QRadioButton(
            f"Keep {'it' if one else 'them'} in the library instead (recommended)")
        self.archive_flagged_radio = QRadioButton(f"Archive {'it' if one else 'them'} too")
        self._loss_choice = QButtonGroup(self)
        self._loss_choice.addButton(self.keep_flagged_radio)
        self._loss_choice.addButton(self.archive_flagged_radio)
        self.keep_flagged_radio.setChecked(True)
        if self._flagged:
            n = len(self._flagged)
            self.loss_label.setText(
                f"⚠ {n:,} of these files {'carries' if n == 1 else 'carry'} something the files you keep "
                f"don't (see “Only this copy has”): archiving {'it' if n == 1 else 'them'} would take that "
                "out of your library.")
        for widget in (self.loss_label, self.keep_flagged_radio, self.archive_flagged_radio):
            widget.setVisible(bool(self._flagged))
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
        self.ok_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self._photos = photos
        self.keep_flagged_radio.toggled.connect(self._update_ok_text)
        self.keep_flagged_radio.toggled.connect(self._validate)
        self._update_ok_text()
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
        layout.addWidget(self.loss_label)
        layout.addWidget(self.keep_flagged_radio)
        layout.addWidget(self.archive_flagged_radio)
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

    def kept(self) -> tuple[str, ...]:
        """The flagged copies the user keeps in the library instead (their units stay whole)."""
        return tuple(e.source for e in self._flagged) if self.keep_flagged_radio.isChecked() else ()

    def _update_ok_text(self, *_: object) -> None:
        n = self._photos - len(self.kept())
        files = f"{n:,} File{'s' if n != 1 else ''}"
        self.ok_button.setText(f"Move {files} to the Trash" if self.trash_radio.isChecked() else f"Archive {files}")

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
                    note = (f"The folder '{os.path.basename(folder)}' doesn't exist yet: it will be created "
                            f"in '{os.path.dirname(folder)}'.")
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self.ok_button.setEnabled(not problem and self._photos > len(self.kept()))
        self._update_ok_text()
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
        for item, unit in zip(self._items, self._units):
            place = "" if folder == "" else goes_to(unit[0], folder)
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

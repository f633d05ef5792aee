"""Archive confirmation: the plan (files, bytes, destination) before anything moves.

Each row is a unit: a photo and the companion files that travel with it ("+ .xmp, .AAE, Live
Photo video"), its size counting them all. A copy that alone carries something its group's
keepers don't (the information-loss guard: GPS, edits, more pixels...) is flagged with the
reason, and the dialog asks what to do with such copies: keep them in the library (the default)
or archive them too; ``kept()`` tells which to keep.

:class:`ArchiveDialog` is a plain QDialog the main window builds and ``exec()``s; tests build it,
set the choice and call ``accept()``. The destination is an archive folder (chosen with a
folder dialog, remembered) or the system trash; permanent deletion is not offered.
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

from desktop_app.ui.common.scale import format_bytes, format_score
from desktop_app.workflow.archive import ArchiveFolder, Destination, PlanEntry, Trash
from desktop_app.workflow.paths import is_inside
from desktop_app.workflow.units import companion_labels, group_units

log = logging.getLogger(__name__)

SAME_PHOTO = 90   # the scale: 90-99 same photo with minor changes; 70-89 same subject
PREVIEW_ROWS = 500  # rows listed in the dialog; the rest are summarised (the log has them all)


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
        self.resize(980, 540)
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
            "Files are moved, never deleted: an archive folder keeps each file's path inside its "
            "library folder, and <b>Edit → Undo Archive</b> puts everything back."
        )
        heading.setWordWrap(True)
        heading.setTextFormat(Qt.TextFormat.RichText)

        self.folder_radio = QRadioButton("Move to an archive folder:")
        self.trash_radio = QRadioButton("Move to the system trash")
        self._choice = QButtonGroup(self)
        self._choice.addButton(self.folder_radio)
        self._choice.addButton(self.trash_radio)
        self.folder_edit = QLineEdit(archive_folder)
        self.folder_edit.setPlaceholderText("Choose a folder outside your library…")
        self.folder_edit.setReadOnly(True)
        self.browse_button = QPushButton("Choose…")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        (self.trash_radio if use_trash else self.folder_radio).setChecked(True)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_radio)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Size", "Similarity", "Chosen by", "Travels with", "Only this copy has", "Folder"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for unit in units[:PREVIEW_ROWS]:
            entry = unit[0]
            item = QTreeWidgetItem([
                os.path.basename(entry.source), format_bytes(sum(e.size for e in unit)),
                format_score(entry.similarity), _chosen_by(entry.chosen_by), companion_labels(unit),
                ", ".join(e for member in unit for e in member.loses), os.path.dirname(entry.source),
            ])
            item.setToolTip(0, "\n".join(e.source for e in unit))
            if any(e.loses for e in unit):
                item.setIcon(5, warn)
                item.setToolTip(5, "Only this copy has it; its kept copies don't")
            self.tree.addTopLevelItem(item)
        if len(units) > PREVIEW_ROWS:
            self.tree.addTopLevelItem(QTreeWidgetItem([f"… and {len(units) - PREVIEW_ROWS:,} more"]))
        for column in range(self.tree.columnCount() - 1):   # what travels with a file, and why it is
            self.tree.resizeColumnToContents(column)         # flagged, must be readable in full
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
            for row, entry in enumerate(u[0] for u in units[:PREVIEW_ROWS]):
                if entry.similarity < SAME_PHOTO:
                    shown = self.tree.topLevelItem(row)
                    assert shown is not None
                    shown.setIcon(2, warn)
                    shown.setToolTip(2, "Less than 90 similar: maybe another shot, not a copy")
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
        layout.addLayout(folder_row)
        layout.addWidget(self.trash_radio)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.looser_label)
        layout.addWidget(self.loss_label)
        layout.addWidget(self.keep_flagged_radio)
        layout.addWidget(self.archive_flagged_radio)
        layout.addWidget(self.refused_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self._validate()

    def destination(self) -> Destination:
        if self.trash_radio.isChecked():
            return Trash()
        return ArchiveFolder(self.folder_edit.text())

    def kept(self) -> tuple[str, ...]:
        """The flagged copies the user keeps in the library instead (their units stay whole)."""
        return tuple(e.source for e in self._flagged) if self.keep_flagged_radio.isChecked() else ()

    def _update_ok_text(self, *_: object) -> None:
        n = self._photos - len(self.kept())
        self.ok_button.setText(f"Archive {n:,} File{'s' if n != 1 else ''}")

    def set_archive_folder(self, path: str) -> None:
        self.folder_edit.setText(path)
        self.folder_radio.setChecked(True)

    def use_trash(self) -> None:
        self.trash_radio.setChecked(True)

    def _on_browse_clicked(self) -> None:
        path = self._choose_folder(self, self.folder_edit.text())
        if path:
            self.set_archive_folder(path)

    def _validate(self, *_: object) -> None:
        problem = ""
        if self.folder_radio.isChecked():
            folder = self.folder_edit.text()
            if not folder:
                problem = "Choose an archive folder, or use the system trash."
            else:
                # Said here, before anything is confirmed (the workflow refuses it too): a re-scan
                # would find the archived files again.
                clash = next((r for r in self._library_folders
                              if is_inside(folder, r) or is_inside(r, folder)), None)
                if clash is not None:
                    problem = (f"Choose a folder outside your library: '{folder}' overlaps the library "
                               f"folder '{clash}', so a scan would find the archived files again.")
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self.ok_button.setEnabled(not problem and self._photos > len(self.kept()))


def _chosen_by(value: str) -> str:
    if value.startswith("rule:"):
        return "rule: " + value[5:].replace("-", " ")
    return {"hand": "you", "default": "proposal", "saved": "earlier review", "protected": "protected"}.get(value, value)

"""The archive dialog: a destination typed by hand works, a folder that doesn't exist yet is
accepted (and created by the archive), every file says where it goes, the trash is described as
the trash."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from desktop_app.ui.archive.dialog import FOLDER, GOES_TO, ArchiveDialog
from desktop_app.workflow.archive import ArchiveFolder, PlanEntry, Trash


def _entries(library: Path) -> tuple[PlanEntry, ...]:
    return tuple(
        PlanEntry(source=str(library / "Trip" / f"day{i}" / f"img_{i}.jpg"), destination="trash", size=1_500_000,
                  mtime_ns=0, content_hash="", root=str(library), group=0, similarity=95.0, chosen_by="hand")
        for i in range(3)
    )


def test_a_destination_typed_by_hand_and_not_there_yet(qtbot, tmp_path: Path) -> None:
    library = tmp_path / "Photos"
    dialog = ArchiveDialog(_entries(library))
    qtbot.addWidget(dialog)
    assert not dialog.folder_edit.isReadOnly()
    new_folder = tmp_path / "Photo Archive"               # doesn't exist yet
    dialog.folder_edit.setFocus()
    qtbot.keyClicks(dialog.folder_edit, str(new_folder))
    assert dialog.folder_radio.isChecked() and dialog.ok_button.isEnabled()
    assert "will be created" in dialog.note_label.text() and dialog.problem_label.isHidden()
    assert dialog.destination() == ArchiveFolder(str(new_folder))
    # every file says where it goes: its path inside the library, under the archive folder
    item = dialog.tree.topLevelItem(1)
    expected = os.path.join(str(new_folder), "Trip", "day1", "img_1.jpg")
    assert item.toolTip(GOES_TO) == expected
    assert item.text(GOES_TO) == os.path.join("Trip", "day1", "img_1.jpg")   # inside the archive folder
    assert item.toolTip(FOLDER) == str(library / "Trip" / "day1")
    # a folder in a folder that isn't there is refused (an unplugged drive, a typo)
    dialog.folder_edit.setText(str(tmp_path / "nowhere" / "Archive"))
    assert not dialog.ok_button.isEnabled() and "isn't there" in dialog.problem_label.text()
    # ~ is the home folder
    dialog.folder_edit.setText("~/Lookalike Archive")
    assert dialog.destination() == ArchiveFolder(os.path.join(os.path.expanduser("~"), "Lookalike Archive"))


def test_the_trash_is_described_as_the_trash(qtbot, tmp_path: Path) -> None:
    dialog = ArchiveDialog(_entries(tmp_path / "Photos"), archive_folder=str(tmp_path / "Archive"))
    qtbot.addWidget(dialog)
    assert "archive folder" in dialog.explanation.text()
    dialog.trash_radio.click()
    assert dialog.destination() == Trash()
    assert "trash" in dialog.explanation.text() and "archive folder" not in dialog.explanation.text()
    assert "Trash" in dialog.ok_button.text()
    assert not dialog.folder_edit.isEnabled()
    assert dialog.tree.topLevelItem(0).text(GOES_TO) == "Trash"


def test_a_new_archive_folder_typed_by_hand_receives_the_files(qtbot, make_window, library, confirm,
                                                                            tmp_path: Path) -> None:
    """Through the window: a folder typed by hand that doesn't exist yet receives the files."""
    from tests.ui.conftest import wait_scan_done
    from tests.ui.photos import content_multiset

    root, _files = library
    before = content_multiset(root)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    new_folder = tmp_path / "Typed Archive"
    assert not new_folder.exists()

    def typed(entries, refused, folder, use_trash, parent):  # type: ignore[no-untyped-def]
        dialog = ArchiveDialog(entries, archive_folder=folder, use_trash=use_trash, refused=refused)
        dialog.folder_radio.setChecked(True)
        dialog.folder_edit.setText(str(new_folder))
        assert dialog.ok_button.isEnabled()
        return dialog.destination()

    window.archive._confirm = typed
    with qtbot.waitSignal(window.archive.files_moved, timeout=60000):
        page.archive_marked()
    moved = window.archive.last_result.moved
    assert moved and all(Path(m.place).is_relative_to(new_folder) for m in moved)
    assert content_multiset(root, new_folder) == before
    qtbot.waitUntil(lambda: not page.executor.busy, timeout=60000)   # the regroup that follows

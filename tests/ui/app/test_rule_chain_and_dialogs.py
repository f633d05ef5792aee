"""The rule chain is picked and ordered in a list; file dialogs start in Pictures or the last
folder used, never the working directory."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt

from desktop_app.ui.app.rule_chain_dialog import RuleChainDialog
from desktop_app.ui.common.file_dialogs import pictures_folder, remember_folder, start_folder


def _select(widget, name: str) -> None:  # type: ignore[no-untyped-def]
    from desktop_app.ui.app.rule_chain_dialog import NameRole

    for i in range(widget.count()):
        if widget.item(i).data(NameRole) == name:
            widget.setCurrentRow(i)
            return
    raise AssertionError(name)


def test_rules_are_picked_and_reordered(qtbot) -> None:
    dialog = RuleChainDialog(["highest-resolution", "oldest"])
    qtbot.addWidget(dialog)
    assert dialog.chain() == "highest-resolution,oldest"
    _select(dialog.available, "lossless")
    dialog.add_selected()
    assert dialog.chain() == "highest-resolution,oldest,lossless"
    _select(dialog.chosen, "lossless")
    dialog.move_selected(-1)
    dialog.move_selected(-1)
    assert dialog.chain() == "lossless,highest-resolution,oldest"
    assert not dialog.up_button.isEnabled()          # already first
    _select(dialog.chosen, "oldest")
    dialog.remove_selected()
    dialog.pattern.setText("*_edit.*")
    dialog.add_pattern()
    assert dialog.chain() == "lossless,highest-resolution,path:*_edit.*"
    _select(dialog.available, "lossless")
    dialog.add_selected()                             # no duplicates in the chain
    assert dialog.chain().count("lossless") == 1


def test_the_window_applies_the_chosen_chain(qtbot, opened_window, settings) -> None:
    window = opened_window
    window._ask_rule_chain = lambda chain, parent: "lossless,oldest"
    applied = []
    window.duplicates.apply_rules = lambda chain, selected_only: applied.append(chain)
    window.rule_chain_dialog()
    assert applied == ["lossless,oldest"] and settings.value("ruleChain") == "lossless,oldest"


def test_file_dialogs_start_in_pictures_then_the_last_folder(tmp_path: Path, monkeypatch) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    monkeypatch.chdir(tmp_path)
    first = start_folder(settings)
    assert first == pictures_folder() and first != os.getcwd()
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    assert first in (pictures, os.path.expanduser("~"))
    trip = tmp_path / "Trip"
    trip.mkdir()
    remember_folder(str(trip / "IMG_1.jpg"), settings)
    assert start_folder(settings) == str(trip)
    trip.rmdir()                                     # gone: back to Pictures
    assert start_folder(settings) == pictures_folder()


def test_open_recent_counts_the_photos_when_shown(qtbot, opened_window) -> None:
    window = opened_window
    count = window.context.image_count()
    assert count > 0
    window.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in window.recent_menu.actions()]
    assert any(f"({count:,} photos)" in t for t in texts), texts


def test_rules_and_scan_again_need_a_library(qtbot, make_window, library) -> None:
    window = make_window()
    assert window.context is None
    assert not window.rules_menu.isEnabled() and not window.scan_action.isEnabled()
    window.open_folders([str(library[0])])
    qtbot.waitUntil(lambda: window.context is not None, timeout=20000)   # made in the executor
    assert window.rules_menu.isEnabled() and window.scan_action.isEnabled()
    from tests.ui.conftest import wait_scan_done

    wait_scan_done(qtbot, window)


def test_folders_can_be_added_and_protected_during_the_first_scan(qtbot, make_window, library, tmp_path) -> None:
    from tests.ui.conftest import wait_scan_done
    from tests.ui.photos import make_library

    second = tmp_path / "Masters"
    make_library(second, long_side=120, groups=1, extras=False)
    window = make_window()
    page = window.duplicates
    window.open_folders([str(library[0])])
    qtbot.waitUntil(lambda: page.scanner.is_running, timeout=20000)
    panel = page.folders
    assert panel.add_button.isEnabled() and panel.view.isEnabled()       # not locked by the scan
    # protect the folder being scanned, and add another one, while it scans
    index = panel.model.index(0)
    panel.view.setCurrentIndex(index)
    assert panel.protect_button.isEnabled() and not panel.remove_button.isEnabled()
    panel.model.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    page.add_folders([str(second)])
    qtbot.waitUntil(lambda: len(window.context.folders()) == 2, timeout=60000)
    wait_scan_done(qtbot, window)
    folders = {f.path: f.protected for f in window.context.folders()}
    assert folders[str(library[0])] is True and folders[str(second)] is False
    # nothing in the protected folder is proposed for archiving
    qtbot.waitUntil(lambda: page.session is not None, timeout=20000)
    for row in range(page.model.rowCount()):
        group = page.model.group(row)
        assert all(m.mark.value == "keep" for m in group.members if m.path.startswith(str(library[0])))

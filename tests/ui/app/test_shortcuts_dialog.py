"""The shortcuts dialog lists what the pages really bind."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from desktop_app.ui.app.shortcuts_dialog import SHORTCUTS, ShortcutsDialog
from desktop_app.ui.compare.page import ComparePage
from desktop_app.ui.similar.page import SimilarPage


def _bound(page: QWidget) -> set[str]:
    return {s.key().toString(QKeySequence.SequenceFormat.PortableText) for s in page.findChildren(QShortcut)}


def _listed(section: str) -> set[str]:
    keys = dict(SHORTCUTS)[section]
    return {part for combo, _ in keys for part in combo.split(" / ")}


@pytest.mark.parametrize("section, page_type", [("Find Similar", SimilarPage), ("Compare", ComparePage)])
def test_listed_page_shortcuts_are_bound(qtbot, section: str, page_type: type) -> None:  # type: ignore[no-untyped-def]
    page = page_type()
    qtbot.addWidget(page)
    listed, bound = _listed(section), _bound(page)
    assert listed <= bound, f"listed but not bound: {listed - bound}"
    page.shutdown()


def test_dialog_shows_every_shortcut(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ShortcutsDialog()
    qtbot.addWidget(dialog)
    table = dialog.table
    texts = {table.item(r, 1).text() for r in range(table.rowCount()) if table.item(r, 1) is not None}
    for _, items in SHORTCUTS:
        for _, action in items:
            assert action in texts
    # The main window's keys are there too.
    assert dialog.actions_for("Duplicates")["Keep ↔ archive the focused photo"] == "Space"
    assert "Esc" in dialog.actions_for("Duplicates").values()
    assert dialog.actions_for("Compare")["Export the comparison as a PNG…"] == "Ctrl+E"

"""Archive or undo on one page and the other page follows: files archived from Find Similar
leave the duplicate groups (and come back on undo); files archived from Duplicates leave the
Find Similar results."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from desktop_app.workflow.archive import Trash
from tests.ui.photos import content_multiset


def _grouped(window) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.path for g in window.duplicates.model.groups() for m in g.members}


def test_archive_and_undo_from_find_similar_regroup_duplicates(qtbot, opened_window, library, confirm) -> None:
    root, files = library
    before = content_multiset(root)
    window = opened_window
    reference, victim = str(files["astronaut"][0]), str(files["astronaut"][1])
    assert victim in _grouped(window)
    count = lambda: window.duplicates.folders.model.index(0).data(Qt.ItemDataRole.UserRole + 2)  # noqa: E731
    counted = count()
    similar = window.similar
    with qtbot.waitSignal(similar.search_finished, timeout=30000):
        window.show_similar(reference)
    assert victim in [similar.model().result(r).image.path for r in range(similar.model().rowCount())]
    similar.archive().toggle([victim])
    assert similar.archive().marked() == {victim}
    confirm.answer = Trash()
    with qtbot.waitSignal(window.duplicates.groups_changed, timeout=60000):
        similar.archive().archive()
    assert not os.path.exists(victim)
    assert victim not in _grouped(window)                       # left the duplicate groups
    assert count() == counted - 1                                # the folder's count too
    with qtbot.waitSignal(window.duplicates.groups_changed, timeout=60000):
        similar.archive().undo()
    assert os.path.exists(victim) and victim in _grouped(window)   # back in its group
    assert content_multiset(root) == before


def test_archive_from_duplicates_reruns_find_similar(qtbot, opened_window, library, confirm) -> None:
    _root, files = library
    window = opened_window
    similar = window.similar
    with qtbot.waitSignal(similar.search_finished, timeout=30000):
        window.show_similar(str(files["astronaut"][0]))
    shown = lambda: {similar.model().result(r).image.path for r in range(similar.model().rowCount())}  # noqa: E731
    archived = {m.path for g in window.duplicates.model.groups() for m in g.archived}
    assert archived & shown()
    confirm.answer = Trash()
    with qtbot.waitSignal(similar.search_finished, timeout=60000):
        window.duplicates.archive.start()
    assert not archived & shown()
    with qtbot.waitSignal(similar.search_finished, timeout=60000):
        window.duplicates.archive.undo()
    assert archived & shown()

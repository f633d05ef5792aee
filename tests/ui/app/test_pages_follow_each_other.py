"""Archive or undo on one page and the other page follows: files archived from Find Similar
leave the duplicate groups (and come back on undo); files archived from Duplicates leave the
Find Similar results."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from desktop_app.workflow.archive import Trash
from tests.ui.photos import content_multiset


def _settled(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Find Similar's marks are built (in the executor both pages share)."""
    qtbot.waitUntil(lambda: not window.similar.is_busy() and not window.duplicates.executor.busy, timeout=30000)


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
    _settled(qtbot, window)
    assert victim in [similar.model().result(r).image.path for r in range(similar.model().rowCount())]
    similar.archive().toggle([victim])
    _settled(qtbot, window)                                      # saved in the executor, and
    assert similar.archive().marked() == {victim}                # the mark shows on Duplicates too
    assert next(m for g in window.duplicates.model.groups() for m in g.members if m.path == victim).mark.value == "archive"
    confirm.answer = Trash()
    with qtbot.waitSignal(window.duplicates.groups_changed, timeout=60000):
        similar.archive().archive()
    assert not os.path.exists(victim)
    assert victim not in _grouped(window)                       # left the duplicate groups
    assert count() == counted - 1                                # the folder's count too
    _settled(qtbot, window)
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
    _settled(qtbot, window)
    shown = lambda: {similar.model().result(r).image.path for r in range(similar.model().rowCount())}  # noqa: E731
    archived = {m.path for g in window.duplicates.model.groups() for m in g.archived}
    assert archived & shown()
    confirm.answer = Trash()
    with qtbot.waitSignal(similar.search_finished, timeout=60000):
        window.duplicates.archive_marked()
    assert not archived & shown()
    _settled(qtbot, window)
    with qtbot.waitSignal(similar.search_finished, timeout=60000):
        window.duplicates.undo_archive()
    assert archived & shown()


def _mark_on_duplicates(window, path: str) -> str:  # type: ignore[no-untyped-def]
    return next(m for g in window.duplicates.model.groups() for m in g.members if m.path == path).mark.value


def test_one_session_marks_follow_both_ways(qtbot, opened_window, library) -> None:
    _root, files = library
    window = opened_window
    page, similar = window.duplicates, window.similar
    reference, victim = str(files["astronaut"][0]), str(files["astronaut"][1])
    with qtbot.waitSignal(similar.search_finished, timeout=30000):
        window.show_similar(reference)
    _settled(qtbot, window)
    assert similar.archive()._session is page.session            # one session, one set of marks
    assert _mark_on_duplicates(window, victim) == "archive" and victim not in similar.archive().marked()
    # Find Similar -> Duplicates: keep it by hand there, the Duplicates page shows it kept.
    similar.archive().toggle([victim])                           # all kept -> archive it here
    _settled(qtbot, window)
    similar.archive().toggle([victim])                           # and keep it again, by hand
    _settled(qtbot, window)
    assert victim not in similar.archive().marked()
    assert _mark_on_duplicates(window, victim) == "keep"
    # Duplicates -> Find Similar.
    page.toggle(victim)
    _settled(qtbot, window)
    assert _mark_on_duplicates(window, victim) == "archive"
    assert victim in similar.archive().marked()


class _GateTrash:
    def __init__(self, where) -> None:  # type: ignore[no-untyped-def]
        import threading

        self.where = where
        self.gate = threading.Event()
        self.entered = threading.Event()

    def move_to_trash(self, path: str, /) -> str | None:
        import shutil

        self.entered.set()
        assert self.gate.wait(30)
        self.where.mkdir(exist_ok=True)
        place = self.where / os.path.basename(path)
        shutil.move(path, place)
        return str(place)


def test_marks_cannot_change_while_an_archive_runs(qtbot, opened_window, confirm, tmp_path) -> None:
    window = opened_window
    page = window.duplicates
    kept = next(m for g in page.model.groups() for m in g.members if m.mark.value == "keep" and not m.protected)
    trash = _GateTrash(tmp_path / "trash")
    page.trash = trash
    confirm.answer = Trash()
    page.archive_marked()
    qtbot.waitUntil(trash.entered.is_set)
    assert page.archive.is_running and page.executor.running_kind == "archive"
    page.toggle(kept.path)                                       # Space mid-archive: refused
    assert "archiving" in window.statusBar().currentMessage()
    assert page.session.group_of(kept.path).member(kept.path).mark.value == "keep"
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        trash.gate.set()


def test_the_session_opens_off_the_gui_thread(qtbot, opened_window, monkeypatch) -> None:
    import threading

    import desktop_app.ui.duplicates.page as module

    real = module.ReviewSession
    threads: list[int] = []

    def opening(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "ReviewSession", opening)
    page = opened_window.duplicates
    with qtbot.waitSignal(page.session_changed, check_params_cb=lambda s: s is not None, timeout=30000):
        page.set_context(page.context, scan=False)
    assert threads and threads[0] != threading.get_ident()
    assert opened_window.similar.archive()._session is page.session

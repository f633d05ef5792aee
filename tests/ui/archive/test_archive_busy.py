"""The window shares the library lock with lookalike-cli (issue 11, item 1): while another
archive or undo runs on the library, the window's archive is refused with a message and
nothing moves."""

from __future__ import annotations

import os

from desktop_app.workflow.archive import Trash
from desktop_app.workflow.lock import library_lock
from tests.ui.photos import content_multiset


def test_archive_while_another_process_holds_the_library_is_a_message(qtbot, opened_window, library, confirm,
                                                                      monkeypatch) -> None:
    root, _ = library
    before = content_multiset(root)
    page = opened_window.duplicates
    marked = {m.path for g in page.model.groups() for m in g.archived}
    monkeypatch.setenv("LOOKALIKE_LOCK_WAIT", "0.2")
    confirm.answer = Trash()
    with library_lock(page.session.context.data_dir, what="archive", wait=0):
        with qtbot.waitSignal(page.archive.running_changed, timeout=60000, check_params_cb=lambda running: not running):
            page.archive_marked()
    text = page.messages.text()
    assert text.startswith("Another archive or undo is running on this library") and "Traceback" not in text
    assert content_multiset(root) == before and all(os.path.exists(p) for p in marked)
    assert page.isEnabled() and not page.archive.is_running

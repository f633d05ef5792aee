"""The archive plan (metadata reads of every marked photo, companion discovery: seconds for
thousands of photos) is computed in the executor, never on the GUI thread; the confirmation still
shows on the GUI thread between the draft plan and the plan for the chosen destination, and the
archive completes."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from desktop_app.workflow.archive import ArchiveFolder, ArchivePlan, Destination
from desktop_app.workflow.groups import DuplicateGroup
from desktop_app.workflow.session import ReviewSession
from tests.ui.conftest import wait_scan_done
from tests.ui.photos import content_multiset


def test_plans_run_in_the_executor_and_the_dialog_on_the_gui_thread(
    qtbot, make_window, library, confirm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _files = library
    archive = tmp_path / "Archive"
    archive.mkdir()
    before = content_multiset(root)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    gui = threading.current_thread()
    planned_on: list[tuple[threading.Thread, Destination]] = []
    real_plan = ReviewSession.plan

    def recording_plan(self: ReviewSession, destination: Destination,
                       groups: list[DuplicateGroup] | None = None) -> ArchivePlan:
        planned_on.append((threading.current_thread(), destination))
        return real_plan(self, destination, groups)

    monkeypatch.setattr(ReviewSession, "plan", recording_plan)
    asked_on: list[threading.Thread] = []
    answer = ArchiveFolder(str(archive))

    def confirm_on(*args: object) -> Destination:
        asked_on.append(threading.current_thread())
        confirm(*args)   # type: ignore[arg-type]
        return answer

    page.archive._confirm = confirm_on
    with qtbot.waitSignal(page.groups_changed, timeout=60000):   # plan, ask, re-plan, archive, regroup
        page.archive_marked()
    # the draft plan (the trash) and the plan for the folder chosen: both off the GUI thread
    assert [d for _, d in planned_on][-1] == answer and len(planned_on) == 2
    assert all(thread is not gui for thread, _ in planned_on)
    assert asked_on == [gui]                                         # the dialog: on the GUI thread
    moved = window.archive.last_result.moved
    assert moved and not any(os.path.exists(m.source) for m in moved)
    assert content_multiset(root, archive) == before

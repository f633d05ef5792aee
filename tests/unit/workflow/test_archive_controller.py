"""ArchiveController: the one archive flow (plan → confirm → run → summary → undo of the latest →
remembered destination), driven through a fake view that implements the real ArchiveView."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_app.context.types import Folder
from desktop_app.errors import LookalikeError
from desktop_app.workflow.archive import ArchiveFolder, ArchivePlan, Destination, Trash
from desktop_app.workflow.archive_controller import (
    ARCHIVED,
    CANCELLED,
    FAILED,
    NOTHING,
    UNDONE,
    ArchiveController,
    ArchiveSummary,
    ArchiveView,
    RememberedDestination,
)
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import FreedesktopTrash
from tests.unit.workflow.helpers import FakeContext, Vault, record


class FakeView:
    """Answers ``answer`` to every confirmation; records what it was asked and told."""

    def __init__(self, answer: Destination | None = None) -> None:
        self.answer = answer
        self.asked: list[tuple[ArchivePlan, RememberedDestination]] = []
        self.reports: list[ArchiveSummary] = []

    def confirm(self, plan: ArchivePlan, remembered: RememberedDestination) -> Destination | None:
        self.asked.append((plan, remembered))
        return self.answer

    def report(self, summary: ArchiveSummary) -> None:
        self.reports.append(summary)

    def keep_flagged(self, plan: ArchivePlan) -> tuple[str, ...] | None:
        return ()   # these fakes' photos carry nothing of their own


def _view_is_an_archive_view(view: FakeView) -> ArchiveView:
    return view   # mypy checks the fake against the Protocol


@pytest.fixture
def ctx(vault: Vault) -> FakeContext:
    lib = vault.library
    files = [vault.make(name) for name in ("a.jpg", "b.jpg", "c.jpg", "x.jpg", "y.jpg")]
    records = [record(i, p, lib) for i, p in enumerate(files)]
    clusters = [[(str(files[0]), 100.0), (str(files[1]), 97.0), (str(files[2]), 95.0)],
                [(str(files[3]), 100.0), (str(files[4]), 99.0)]]
    vault.seal()
    return FakeContext(vault.data, [Folder(str(lib))], records, clusters)


def _session(ctx: FakeContext) -> ReviewSession:
    session = ReviewSession(ctx)
    session.groups(90)
    return session


def test_plan_confirm_run_summary_and_the_destination_is_remembered(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    view = FakeView(ArchiveFolder(str(vault.archive)))
    controller = ArchiveController(_view_is_an_archive_view(view), session)
    assert controller.remembered() == RememberedDestination()
    summary = controller.archive()
    assert summary is not None and summary.kind == ARCHIVED
    plan, remembered = view.asked[0]
    assert isinstance(plan.destination, Trash) and plan.files == 3      # drafted for the trash
    assert remembered == RememberedDestination()
    assert summary.result is not None and len(summary.result.moved) == 3
    assert summary.planned == 3 and summary.where == f"'{vault.archive}'"
    assert view.reports == [summary]
    assert not any(os.path.exists(m.source) for m in summary.result.moved)
    # remembered below Qt, with the library: a new controller (a restart) offers it again
    assert ctx.settings()["archive_folder"] == str(vault.archive)
    again = ArchiveController(FakeView(), _session(ctx))
    assert again.remembered() == RememberedDestination(str(vault.archive), False)
    controller.undo_latest()


def test_nothing_marked_and_cancel_move_nothing(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    view = FakeView(None)
    controller = ArchiveController(view, session)
    assert controller.archive() is None
    assert [r.kind for r in view.reports] == [CANCELLED]
    for group in session.current_groups:
        for member in group.members:
            session.set_mark(member.path, "keep", group=group)
    assert controller.archive() is None
    assert view.reports[-1].kind == NOTHING and len(view.asked) == 1   # not asked when nothing is marked
    assert controller.latest_operation() is None
    assert ctx.settings() == {}                                         # nothing chosen, nothing remembered


def test_a_refused_destination_is_a_one_line_failure_and_not_remembered(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    view = FakeView(ArchiveFolder(str(vault.library / "Archive")))     # inside the library
    controller = ArchiveController(view, session)
    assert controller.archive() is None
    failure = view.reports[-1]
    assert failure.kind == FAILED and "outside the library" in failure.message and "\n" not in failure.message
    assert controller.remembered() == RememberedDestination()


def test_undo_takes_the_latest_operation_whoever_made_it(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    first_group, second_group = session.current_groups
    page_a = ArchiveController(FakeView(ArchiveFolder(str(vault.archive))), session)
    page_b = ArchiveController(FakeView(Trash()), session)   # another front end, same library
    a = page_a.archive([first_group])
    assert a is not None and a.result is not None
    b = page_b.archive([second_group], trash=FreedesktopTrash(vault.trash))
    assert b is not None and b.result is not None and b.result.moved
    assert page_a.latest_operation() == b.result.operation_id            # not "the last one I made"
    undone = page_a.undone(page_a.undo_latest())
    assert undone.kind == UNDONE and undone.undo is not None
    assert sorted(undone.undo.restored) == sorted(m.source for m in b.result.moved)
    assert not any(os.path.exists(m.source) for m in a.result.moved)       # the older stays archived
    assert page_b.latest_operation() == a.result.operation_id            # walks back
    page_b.undo_latest()
    assert all(os.path.exists(m.source) for m in a.result.moved)
    assert page_a.latest_operation() is None


def test_without_a_session_the_flow_says_so(tmp_path: Path) -> None:
    view = FakeView(Trash())
    controller = ArchiveController(view)
    assert controller.prepare() is None
    assert view.reports[-1].kind == FAILED and controller.latest_operation() is None


def test_the_steps_a_gui_sequences_plan_choose_replan_settle_run(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    view = FakeView(ArchiveFolder(str(vault.archive)))
    controller = ArchiveController(view, session)
    draft = controller.plan(Trash())                                   # the executor's step: asks nothing
    assert isinstance(draft.destination, Trash) and draft.files == 3 and view.asked == [] and view.reports == []
    destination = controller.choose(draft)                              # the GUI's step: asks
    assert destination == ArchiveFolder(str(vault.archive)) and len(view.asked) == 1
    chosen = controller.plan(destination)                               # re-planned for the folder
    assert chosen.destination == destination and chosen.files == draft.files
    plan = controller.settle(chosen)
    assert plan is chosen and view.reports == []                       # nothing flagged: as planned
    summary = controller.archived(plan, controller.run(plan))
    assert summary.kind == ARCHIVED and summary.result is not None and len(summary.result.moved) == 3
    assert view.reports == [summary]
    controller.undo_latest()


def test_choose_reports_nothing_and_cancel_and_plan_raises_a_refusal(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    view = FakeView(None)
    controller = ArchiveController(view, session)
    assert controller.choose(controller.plan(Trash())) is None
    assert [r.kind for r in view.reports] == [CANCELLED]
    empty = controller.plan(Trash(), [])
    assert controller.choose(empty) is None and view.reports[-1].kind == NOTHING and len(view.asked) == 1
    with pytest.raises(LookalikeError, match="outside the library"):   # the GUI reports it with failed()
        controller.plan(ArchiveFolder(str(vault.library / "Archive")))
    assert ctx.settings() == {}


class KeepingView(FakeView):
    """Keeps ``keep`` of the flagged copies (None: cancels)."""

    def __init__(self, keep: tuple[str, ...] | None) -> None:
        super().__init__(Trash())
        self.keep = keep
        self.flagged_asked = 0

    def keep_flagged(self, plan: ArchivePlan) -> tuple[str, ...] | None:
        self.flagged_asked += 1
        return self.keep


def test_settle_asks_only_about_flagged_plans(ctx: FakeContext, vault: Vault) -> None:
    session = _session(ctx)
    plan = session.plan(Trash())
    flagged = replace(plan, entries=tuple(replace(e, loses=("GPS",)) if i == 0 else e
                                          for i, e in enumerate(plan.entries)))
    assert flagged.flagged and not plan.flagged
    cancelling = KeepingView(None)
    assert ArchiveController(cancelling, session).settle(flagged) is None
    assert cancelling.reports[-1].kind == CANCELLED
    keeping = KeepingView(tuple(e.source for e in flagged.flagged))
    kept = ArchiveController(keeping, session).settle(flagged)
    assert kept is not None and kept.files == flagged.files - 1 and keeping.reports == []
    quiet = KeepingView(None)
    assert ArchiveController(quiet, session).settle(plan) is plan and quiet.flagged_asked == 0


def test_an_undo_cancelled_before_its_first_unit_moves_nothing_and_can_go_on(ctx: FakeContext, vault: Vault) -> None:
    from desktop_app.engine.progress import CancelToken

    session = _session(ctx)
    controller = ArchiveController(FakeView(ArchiveFolder(str(vault.archive))), session)
    summary = controller.archive()
    assert summary is not None and summary.result is not None and summary.result.moved
    moved = [m.source for m in summary.result.moved]
    assert summary.result.operation_id is not None
    token = CancelToken()
    token.cancel()   # the window is closing
    result = controller.undo(summary.result.operation_id, cancel=token)
    assert result.cancelled and result.restored == ()
    assert not any(os.path.exists(p) for p in moved)
    assert set(controller.undo_latest().restored) == set(moved)   # the rest, later

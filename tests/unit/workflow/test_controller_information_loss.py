"""The archive flow asks before moving a copy that alone carries something (here: its GPS
position): keep it in the library (its companions stay with it), archive it too, or cancel.
Real files; the vault ledger holds in every test."""

from __future__ import annotations

import pytest

from desktop_app.context.types import Folder
from desktop_app.workflow.archive import ArchiveFolder, ArchivePlan, Destination
from desktop_app.workflow.archive_controller import (
    ARCHIVED, CANCELLED, KEPT_REASON, ArchiveController, ArchiveSummary, ArchiveView, RememberedDestination,
)
from desktop_app.workflow.session import ReviewSession
from tests.unit.workflow.helpers import FakeContext, Vault, record
from tests.unit.workflow.photo_files import jpeg, xmp


class AskingView:
    """Confirms ``destination``; answers the information-loss question with ``keep``."""

    def __init__(self, destination: Destination, keep: str | None) -> None:
        self.destination, self.keep = destination, keep
        self.flagged: list[tuple[str, tuple[str, ...]]] = []
        self.reports: list[ArchiveSummary] = []

    def confirm(self, plan: ArchivePlan, remembered: RememberedDestination) -> Destination | None:
        return self.destination

    def keep_flagged(self, plan: ArchivePlan) -> tuple[str, ...] | None:
        self.flagged = [(e.source, e.loses) for e in plan.flagged]
        if self.keep is None:
            return None
        return tuple(e.source for e in plan.flagged) if self.keep == "keep" else ()

    def report(self, summary: ArchiveSummary) -> None:
        self.reports.append(summary)


def _is_a_view(view: AskingView) -> ArchiveView:
    return view   # mypy checks the fake against the Protocol


@pytest.fixture
def ctx(vault: Vault) -> FakeContext:
    lib = vault.library
    keep, copy = vault.make("best/IMG_0001.JPG", jpeg(1)), vault.make("phone/IMG_0001.JPG", jpeg(1, gps=True))
    vault.make("phone/IMG_0001.JPG.xmp", xmp(tag="phone"))
    keep2, copy2 = vault.make("best/IMG_0002.JPG", jpeg(2)), vault.make("phone/IMG_0002.JPG", jpeg(2))
    records = [record(i, p, lib, width=64, height=48) for i, p in enumerate((keep, copy, keep2, copy2))]
    vault.seal()
    return FakeContext(vault.data, [Folder(str(lib))], records,
                       [[(str(keep), 100.0), (str(copy), 100.0)], [(str(keep2), 100.0), (str(copy2), 100.0)]])


def _controller(ctx: FakeContext, view: AskingView) -> ArchiveController:
    session = ReviewSession(ctx)
    session.groups(90)
    return ArchiveController(view, session)


@pytest.mark.parametrize("answer", ["keep", "archive", None])
def test_the_flow_asks_about_the_copy_that_alone_has_gps(ctx: FakeContext, vault: Vault, answer: str | None) -> None:
    copy, side = vault.library / "phone/IMG_0001.JPG", vault.library / "phone/IMG_0001.JPG.xmp"
    view = AskingView(ArchiveFolder(str(vault.archive)), answer)
    summary = _controller(ctx, view).archive()
    assert view.flagged == [(str(copy), ("GPS position",))]
    if answer is None:
        assert summary is None and view.reports[-1].kind == CANCELLED
        assert copy.exists() and (vault.library / "phone/IMG_0002.JPG").exists()
        return
    assert summary is not None and summary.kind == ARCHIVED and summary.result is not None
    moved = {m.source for m in summary.result.moved}
    if answer == "keep":
        assert copy.exists() and side.exists() and str(copy) not in moved
        assert (str(copy), KEPT_REASON) in summary.result.skipped
        assert str(vault.library / "phone/IMG_0002.JPG") in moved
    else:
        assert moved == {str(copy), str(side), str(vault.library / "phone/IMG_0002.JPG")}
        assert (vault.archive / "phone/IMG_0001.JPG.xmp").exists()

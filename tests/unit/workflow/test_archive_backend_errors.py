"""A trash backend that raises something other than OSError must not escape ``execute``: the
file is reported, stays in place (journal says "failed"), the rest of the plan goes on, and the
operation ends cleanly (nothing left "interrupted" for the next start). Sealed Vault: nothing
lost, nothing duplicated."""

from __future__ import annotations

from pathlib import Path

from desktop_app.workflow.archive import Trash, execute, plan_archive
from desktop_app.workflow.journal import ArchiveLog
from desktop_app.workflow.trash import FreedesktopTrash, TrashBackend
from tests.unit.workflow.helpers import Vault, group, member


class FlakyTrash(TrashBackend):
    """A real freedesktop trash that blows up (RuntimeError, as a buggy binding would) on one
    file, optionally after moving it."""

    def __init__(self, vault: Vault, bad: str, *, after_moving: bool = False) -> None:
        self.real = FreedesktopTrash(vault.trash)
        self.bad = bad
        self.after_moving = after_moving

    def move_to_trash(self, path: str, /) -> str | None:
        if Path(path).name == self.bad:
            if self.after_moving:
                self.real.move_to_trash(path)
            raise RuntimeError("binding exploded")
        return self.real.move_to_trash(path)


def _groups(vault: Vault, n: int = 3):  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        keep, dupe = vault.make(f"k{i}.jpg"), vault.make(f"d{i}.jpg")
        out.append(group(member(keep, vault.library), member(dupe, vault.library), archive=[1], index=i))
    return out


def test_unexpected_backend_exception_is_that_files_error_and_the_rest_goes_on(vault: Vault) -> None:
    groups = _groups(vault)
    vault.seal()
    result = execute(plan_archive(groups, Trash()), log_dir=vault.data, trash=FlakyTrash(vault, "d1.jpg"))
    assert [Path(m.source).name for m in result.moved] == ["d0.jpg", "d2.jpg"]
    assert len(result.errors) == 1
    path, message = result.errors[0]
    assert path == str(vault.library / "d1.jpg") and (vault.library / "d1.jpg").exists()
    assert message.startswith("Couldn't archive 'd1.jpg'") and "binding exploded" in message
    assert "\n" not in message and "Traceback" not in message
    assert result.stopped is None and not result.cancelled
    log = ArchiveLog(vault.data)
    op = log.operation()
    assert op.status == "complete"
    assert [e.state for e in op.entries] == ["done", "failed", "done"]
    assert log.interrupted() == []   # nothing for recovery to settle at the next start


def test_backend_that_moves_then_raises_counts_the_file_as_trashed(vault: Vault) -> None:
    groups = _groups(vault, 2)
    vault.seal()
    result = execute(plan_archive(groups, Trash()), log_dir=vault.data,
                     trash=FlakyTrash(vault, "d0.jpg", after_moving=True))
    assert [Path(m.source).name for m in result.moved] == ["d0.jpg", "d1.jpg"]
    assert result.moved[0].place is None and result.errors == ()
    assert not (vault.library / "d0.jpg").exists()
    op = ArchiveLog(vault.data).operation()
    assert op.status == "complete" and [e.state for e in op.entries] == ["done", "done"]

""""At least one photo of every group is kept", checked against the files as they are when each
file is about to move, not as they were when the plan was made.

A plan is a promise about a moment that has passed: another window or ``lookalike-cli`` may have
archived the kept copy since (its plan kept a different one), the user may have moved or edited
it, or the "kept" path may be a second name of the very file being archived (a folder added
through a symbolic link). So right before a file moves, :func:`keeper_problem` asks: is at least
one kept member of its group still a regular file at its path, unchanged since it was indexed
(size and modification time), and a *different* file (device and inode) from the one moving?
If not, the file stays where it is and the reason is reported.
"""

from __future__ import annotations

import os
import stat as stat_mod
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Keeper:
    """A member a plan keeps, as indexed."""

    group: int
    path: str
    size: int
    mtime_ns: int


def keepers_by_group(keepers: Iterable[Keeper]) -> dict[int, tuple[Keeper, ...]]:
    out: dict[int, list[Keeper]] = {}
    for k in keepers:
        out.setdefault(k.group, []).append(k)
    return {g: tuple(ks) for g, ks in out.items()}


def _still_there(keeper: Keeper, moving: os.stat_result) -> bool:
    try:
        st = os.stat(keeper.path)  # a kept file reached through a link still counts: it is there
    except OSError:
        return False
    if not stat_mod.S_ISREG(st.st_mode):
        return False
    if (st.st_dev, st.st_ino) == (moving.st_dev, moving.st_ino):
        return False  # the same file under another name: moving one moves "both"
    return st.st_size == keeper.size and st.st_mtime_ns == keeper.mtime_ns


def keeper_problem(
    by_group: Mapping[int, tuple[Keeper, ...]] | None, group: int, source: str, moving: os.stat_result
) -> str | None:
    """Why the file at ``source`` (``moving`` is its lstat) must not move now because its
    group would have no copy left, or None. ``by_group`` None: the plan carries no keepers
    (built by hand), nothing to check."""
    if by_group is None:
        return None
    if any(_still_there(k, moving) for k in by_group.get(group, ())):
        return None
    name = os.path.basename(source)
    return (f"'{name}' was not moved: no kept photo of its group is still in the library unchanged "
            "(archived or changed since the plan was made)")

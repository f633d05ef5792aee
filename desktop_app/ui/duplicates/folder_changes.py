"""Adding, removing and protecting library folders: the database writes, as functions the
Duplicates page runs in the executor (never on the GUI thread), and what each one did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from desktop_app.errors import LookalikeError

ADD, REMOVE, PROTECT = "add", "remove", "protect"


@dataclass(frozen=True)
class FolderChange:
    """What a folder operation did. ``before``: the library's folders before it."""

    action: str
    requested: tuple[str, ...]
    before: frozenset[str]
    added: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()         # one sentence per folder refused
    protected: bool = False
    rescan: bool = False                 # scan even if nothing was added (the window's "open")
    announce: bool = False               # the window says where the folders went


def add_folders(context: Any, paths: Sequence[str], *, rescan: bool = False, announce: bool = False) -> FolderChange:
    before = frozenset(f.path for f in context.folders())
    added: list[str] = []
    errors: list[str] = []
    for path in paths:
        try:
            folder = context.add_folder(path)
        except LookalikeError as err:
            errors.append(str(err))
            continue
        if folder.path not in before and folder.path not in added:
            added.append(folder.path)
    return FolderChange(ADD, tuple(paths), before, tuple(added), tuple(errors), rescan=rescan, announce=announce)


def remove_folder(context: Any, path: str) -> FolderChange:
    before = frozenset(f.path for f in context.folders())
    context.remove_folder(path)
    return FolderChange(REMOVE, (path,), before)


def set_protected(context: Any, path: str, protected: bool) -> FolderChange:
    before = frozenset(f.path for f in context.folders())
    context.set_protected(path, protected)
    return FolderChange(PROTECT, (path,), before, protected=protected)

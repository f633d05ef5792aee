"""One folder, one name: a library folder added again through a symbolic link (or a bind
mount) is recognised by its real path and device/inode and refused, with a message naming the
folder it already is.

Without this, ``index LIB ALIAS`` (``ALIAS`` a link to ``LIB``) indexed every photo twice, each
the 100 % duplicate of itself, and archiving "the copy" moved the only file. The walk also never
lists one file twice (see :func:`desktop_app.context.scan.walk_images`), so a library that already
holds two names of one folder is indexed once.
"""

from __future__ import annotations

import os
from typing import Iterable

from desktop_app.context.scan import is_under, same_path
from desktop_app.errors import ContextError


class FolderAliasError(ContextError):
    """``folder`` is (inside, or holds) a folder of the library reached under another name."""

    def __init__(self, folder: str, existing: str, relation: str) -> None:
        self.folder = folder
        self.existing = existing
        self.relation = relation
        if relation == "same":
            text = (f"'{folder}' is the library folder '{existing}' under another name (a link); "
                    f"its photos are indexed once, as '{existing}'")
        elif relation == "inside":
            text = (f"'{folder}' is inside the library folder '{existing}', reached through a link; "
                    f"its photos are indexed once, under '{existing}'")
        else:
            text = (f"'{folder}' holds the library folder '{existing}' through a link; remove "
                    f"'{existing}' from the library first, or add the folder under its real path")
        super().__init__(text)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st.st_ino else None


def check_not_an_alias(folder: str, existing: Iterable[str]) -> None:
    """Raise :class:`FolderAliasError` when ``folder`` names, through a link, a folder of
    ``existing`` (or one inside or around it). The same spelling, and a sub-folder spelled
    under its parent (a protected sub-folder), are not aliases."""
    real = os.path.normcase(os.path.realpath(folder))
    ident = _identity(folder)
    for other in existing:
        if same_path(other, folder):
            continue
        other_real = os.path.normcase(os.path.realpath(other))
        if real == other_real or (ident is not None and ident == _identity(other)):
            raise FolderAliasError(folder, other, "same")
        if is_under(real, other_real) and not is_under(folder, other):
            raise FolderAliasError(folder, other, "inside")
        if is_under(other_real, real) and not is_under(other, folder):
            raise FolderAliasError(folder, other, "contains")

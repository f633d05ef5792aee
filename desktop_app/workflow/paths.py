"""Is this path inside that folder? One answer for the whole workflow, and the archive marker.

Comparing path strings is wrong in both directions: ``/Photos/../Archive`` is not inside
``/Photos``; ``/photos/x.jpg`` *is* inside ``/Photos`` on a case-insensitive disk (macOS,
Windows); a symlink or bind mount makes two spellings of one folder. So:

* :func:`is_inside` — where the path really is: ``realpath`` + ``normcase`` + ``commonpath``,
  and, because neither ``realpath`` nor ``normcase`` folds case on macOS, an ancestor that is the
  same directory as the folder (``samestat``) counts too. Used where "inside" must be true to be
  safe (a file to archive must really be inside its library root).
* :func:`overlaps` / :class:`FolderMatcher` — inside by its spelling *or* really: used where
  saying "inside" errs on the safe side (an archive folder in a library is refused; a file in a
  protected folder is never archived).

:data:`ARCHIVE_MARKER` is written into every archive folder; the context's folder scanner skips
any directory containing it and refuses to add such a folder to a library.
"""

from __future__ import annotations

import logging
import os
from typing import Iterable

log = logging.getLogger(__name__)

from desktop_app.context.scan import ARCHIVE_MARKER  # one name for writer (here) and scanner
MARKER_TEXT = (
    "This folder is a Lookalike archive: photos moved here from a library, each at its path\n"
    "relative to its library folder, so they can be restored (Undo, or `lookalike-cli undo`).\n"
    "Lookalike never scans a folder containing this file, nor adds it to a library.\n"
    "Keep this file while the folder holds archived photos.\n"
)

PathLike = str | os.PathLike[str]


def _lexical(path: PathLike) -> str:
    return os.path.normcase(os.path.abspath(path))


def _resolved(path: PathLike) -> str:
    return os.path.normcase(os.path.realpath(path))


def _under(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False


def _prefix_of(folder: str) -> str:
    """``folder`` + separator, for a fast "below" test on normalised absolute paths (the same
    answer as commonpath for those; used in the per-file hot path)."""
    return folder.rstrip(os.sep + (os.altsep or "")) + os.sep


def _ident(path: PathLike) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if st.st_ino else None  # some platforms/filesystems report 0


def _ancestor_is(resolved: str, ident: tuple[int, int] | None) -> bool:
    """Whether ``resolved`` or one of its existing ancestors is the directory ``ident``."""
    if ident is None:
        return False
    current = resolved
    while True:
        if _ident(current) == ident:
            return True
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent


def is_inside(path: PathLike, folder: PathLike) -> bool:
    """Whether ``path`` really is ``folder`` or below it (symlinks followed, case folded where
    the platform does, same directory by identity)."""
    resolved = _resolved(path)
    if _under(resolved, _resolved(folder)):
        return True
    return _ancestor_is(resolved, _ident(folder))


def spelled_inside(path: PathLike, folder: PathLike) -> bool:
    """Whether ``path`` is ``folder`` or below it by its spelling (absolute, normalised, nothing
    resolved): for a folder that doesn't exist yet, so has no real place to compare."""
    return _under(_lexical(path), _lexical(folder))


def relative_to_root(path: str, root: str) -> str:
    """``path`` relative to its library ``root`` (what an archive folder mirrors); just its
    name when there is no root or the path isn't below it by spelling."""
    if root:
        rel = os.path.relpath(path, root)
        if not rel.startswith(os.pardir):
            return rel
    return os.path.basename(path)


def overlaps(a: PathLike, b: PathLike) -> bool:
    """Whether either folder is inside the other, by spelling or really (for refusals)."""
    return spelled_inside(a, b) or spelled_inside(b, a) or is_inside(a, b) or is_inside(b, a)


class FolderMatcher:
    """Many "is it inside one of these folders?" questions (protected folders, for every member
    of every group): inside by spelling or really; the resolved side is cached per directory,
    so thousands of files cost a few system calls per folder they sit in."""

    def __init__(self, folders: Iterable[PathLike]) -> None:
        self.folders = [os.fspath(f) for f in folders]
        self._lexical = [_lexical(f) for f in self.folders]
        self._resolved = [_resolved(f) for f in self.folders]
        self._lexical_prefixes = tuple(_prefix_of(f) for f in self._lexical)
        self._idents = {i for i in (_ident(f) for f in self.folders) if i is not None}
        self._dirs: dict[str, bool] = {}
        self._ancestors: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.folders)

    def contains(self, path: PathLike) -> bool:
        if not self.folders:
            return False
        lexical = _lexical(path)
        if lexical.startswith(self._lexical_prefixes) or lexical in self._lexical:
            return True
        directory = os.path.dirname(os.path.abspath(path))
        hit = self._dirs.get(directory)
        if hit is None:
            hit = self._dir_inside(directory)
            self._dirs[directory] = hit
        # (A file that is itself a symlink is never archived: see unit_moves.precheck.)
        return hit

    def _dir_inside(self, directory: str) -> bool:
        resolved = _resolved(directory)
        if any(_under(resolved, f) for f in self._resolved):
            return True
        return self._same_as_a_folder(resolved)

    def _same_as_a_folder(self, resolved: str) -> bool:
        """``resolved`` or an ancestor is one of the folders by identity (memoised: siblings
        share their ancestors' answers)."""
        chain: list[str] = []
        current, hit = resolved, False
        while True:
            known = self._ancestors.get(current)
            if known is not None:
                hit = known
                break
            chain.append(current)
            if _ident(current) in self._idents:
                hit = True
                break
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for p in chain:
            self._ancestors[p] = hit
        return hit


def write_archive_marker(folder: PathLike) -> bool:
    """Put :data:`ARCHIVE_MARKER` in ``folder`` unless it is there; False if it couldn't be
    written (read-only media...: archiving goes on, the folder is outside every library)."""
    marker = os.path.join(os.fspath(folder), ARCHIVE_MARKER)
    if os.path.lexists(marker):
        return True
    try:
        with open(marker, "x", encoding="utf-8") as f:
            f.write(MARKER_TEXT)
            f.flush()
            os.fsync(f.fileno())
    except FileExistsError:
        return True
    except OSError as err:
        log.warning("couldn't write the archive marker in %s: %s", folder, err)
        return False
    return True


__all__ = ["ARCHIVE_MARKER", "FolderMatcher", "is_inside", "overlaps", "relative_to_root", "spelled_inside", "write_archive_marker"]

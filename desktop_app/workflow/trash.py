"""System trash, injected so the workflow stays Qt-free.

The GUI passes a backend built on ``QFile.moveToTrash`` (which reports where the file went);
headless code uses :class:`FreedesktopTrash` on Linux/BSD (the XDG trash spec, so the file shows
up in the desktop's trash can *and* undo can bring it back) or :class:`Send2TrashBackend`
elsewhere (``send2trash`` does not tell where the file went: undo then asks the user to restore
it from the system trash).
"""

from __future__ import annotations

import logging
import os
import sys
import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from desktop_app.workflow.fileops import fault_point, fsync_dir, rename_noreplace, unique_destination

log = logging.getLogger(__name__)


@runtime_checkable
class TrashBackend(Protocol):
    """Moves one file to the system trash; returns its location in the trash if known (so
    undo can bring it back), ``None`` if the platform doesn't say. Raises OSError on failure
    (a Qt backend: ``ok, where = QFile.moveToTrash(path)``; ``raise OSError(errno.EIO, ...)``
    when not ok), which the archive records as that file's error."""

    def move_to_trash(self, path: str, /) -> str | None: ...


class Send2TrashBackend:
    """``send2trash`` (any platform). The location in the trash is not known."""

    def move_to_trash(self, path: str, /) -> str | None:
        from send2trash import send2trash  # noqa: PLC0415 - import only when used

        send2trash(path)
        return None


class FreedesktopTrash:
    """The XDG trash: ``$XDG_DATA_HOME/Trash`` for files on the home filesystem, else
    ``$topdir/.Trash-$uid`` on the file's own mount (spec's per-volume trash), so a trashed
    photo never crosses filesystems. ``trash_dir`` overrides the home trash (tests)."""

    def __init__(self, trash_dir: str | os.PathLike[str] | None = None) -> None:
        if trash_dir is None:
            data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
            trash_dir = os.path.join(data, "Trash")
        self.home_trash = Path(trash_dir)

    def _trash_for(self, path: str) -> Path:
        self.home_trash.mkdir(parents=True, exist_ok=True, mode=0o700)
        dev = os.lstat(path).st_dev
        if os.stat(self.home_trash).st_dev == dev:
            return self.home_trash
        trash = _mount_top(Path(os.path.abspath(path)).parent, dev) / f".Trash-{os.getuid()}"
        trash.mkdir(exist_ok=True, mode=0o700)
        return trash

    def move_to_trash(self, path: str, /) -> str | None:
        path = os.path.abspath(path)
        trash = self._trash_for(path)
        files, info = trash / "files", trash / "info"
        files.mkdir(parents=True, exist_ok=True, mode=0o700)
        info.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Reserve a name by creating its .trashinfo exclusively (the spec's locking), then move.
        while True:
            target = unique_destination(files / os.path.basename(path))
            info_file = info / f"{target.name}.trashinfo"
            try:
                fd = os.open(info_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            break
        quoted = urllib.parse.quote(os.fsencode(path))
        stamp = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"[Trash Info]\nPath={quoted}\nDeletionDate={stamp}\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            rename_noreplace(path, target)
        except BaseException:
            os.unlink(info_file)
            raise
        fault_point("after-trash")
        fsync_dir(files)
        fsync_dir(os.path.dirname(path))
        return str(target)

    def _trashes_for(self, original: str) -> list[Path]:
        """The home trash and, when the original's folder is on another mount, that mount's
        ``.Trash-$uid`` (where :meth:`move_to_trash` puts files from there). Creates nothing."""
        trashes = [self.home_trash]
        try:
            folder = Path(os.path.dirname(original))
            dev = os.stat(folder).st_dev
            if os.path.isdir(self.home_trash) and os.stat(self.home_trash).st_dev == dev:
                return trashes
            trashes.append(_mount_top(folder, dev) / f".Trash-{os.getuid()}")
        except (OSError, AttributeError):  # folder gone; no getuid on this platform
            pass
        return trashes

    def locate(self, original: str) -> list[str]:
        """Trashed files whose recorded original path is ``original`` (for crash recovery)."""
        found = []
        wanted = os.path.abspath(original)
        for trash in self._trashes_for(wanted):
            for info_file in sorted((trash / "info").glob("*.trashinfo")):
                try:
                    text = info_file.read_text(encoding="utf-8")
                except OSError:
                    continue
                for line in text.splitlines():
                    if line.startswith("Path="):
                        recorded = os.fsdecode(urllib.parse.unquote_to_bytes(line[5:]))
                        target = trash / "files" / info_file.name[: -len(".trashinfo")]
                        if recorded == wanted and os.path.lexists(target):
                            found.append(str(target))
        return found


def _mount_top(folder: Path, dev: int) -> Path:
    """The topmost folder above ``folder`` still on device ``dev``: its mount point, where
    the spec puts that volume's ``.Trash-$uid``."""
    top = folder
    while top.parent != top and os.stat(top.parent).st_dev == dev:
        top = top.parent
    return top


def forget_trash_info(location: str) -> None:
    """After restoring ``location`` out of an XDG trash, drop its ``.trashinfo`` (if any)."""
    files = Path(location).parent
    if files.name != "files":
        return
    info = files.parent / "info" / f"{Path(location).name}.trashinfo"
    try:
        os.unlink(info)
    except OSError:
        pass


def default_trash() -> TrashBackend:
    """The headless backend for this platform."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return FreedesktopTrash()
    return Send2TrashBackend()

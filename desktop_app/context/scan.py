"""Walk library folders and list the image files in them (no decoding).

Rules, chosen so a library is walked once and nothing outside it is touched:

* only files with an image extension (case-insensitive), camera RAW and HEIC/HEIF included;
* hidden files and folders (name starting with ``.``, or the Windows hidden attribute) and
  system folders (``@eaDir``, ``$RECYCLE.BIN``, ...) are skipped;
* symbolic links are not followed: a symlinked folder could lead out of the library or into a
  loop, and a symlinked file is a second path to a photo that is already somewhere;
* a file under several chosen folders (nested roots) is listed once, under the most specific
  root (so a protected sub-folder keeps its protection); a file with several names (a folder
  reached through a link, a hard link) is listed once (device and inode), by its real name;
* a folder holding the archive marker file (``.lookalike-archive``, written by the workflow
  into every archive folder) is skipped with everything under it: archived copies must never
  come back as duplicates;
* unreadable folders are logged and skipped, never fatal;
* "is under that folder" compares ``os.path.normcase`` forms (case-insensitive on Windows).
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

try:
    from desktop_app.engine.decode import RAW_EXTENSIONS
except ImportError:  # pragma: no cover - engine decode not importable (partial checkout)
    RAW_EXTENSIONS = frozenset()

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {
        # common formats
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".dib",
        ".gif", ".heic", ".heif", ".hif", ".avif",
        # camera RAW
        ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf",
        ".rw2", ".raf", ".pef", ".ptx", ".srw", ".x3f", ".3fr", ".fff", ".erf", ".kdc",
        ".dcr", ".mrw", ".mos", ".mef", ".iiq", ".rwl", ".raw",
    }
) | RAW_EXTENSIONS

ARCHIVE_MARKER = ".lookalike-archive"   # file name the workflow writes into archive folders

SKIPPED_DIR_NAMES: frozenset[str] = frozenset(
    {"@eaDir", "$RECYCLE.BIN", "System Volume Information", "lost+found", "__MACOSX"}
)


@dataclass(frozen=True)
class FoundFile:
    path: str
    root: str
    size: int
    mtime_ns: int


def is_image_name(name: str) -> bool:
    """True when ``name`` has an image extension Lookalike indexes (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _is_hidden(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith("."):
        return True
    attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def is_under(path: str, root: str) -> bool:
    """True when ``path`` lies inside folder ``root`` (``os.path.normcase`` comparison)."""
    p, r = os.path.normcase(path), os.path.normcase(root)
    return p.startswith(r if r.endswith(os.sep) else r + os.sep)


def normalize_path(path: str | os.PathLike[str]) -> str:
    """Absolute, user-expanded, normalised path (symlinks are not resolved: the user's path)."""
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def same_path(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same path (``os.path.normcase`` comparison)."""
    return os.path.normcase(a) == os.path.normcase(b)


def is_archive_folder(folder: str) -> bool:
    """True when ``folder`` holds the archive marker file (an archive folder of Lookalike)."""
    return os.path.lexists(os.path.join(folder, ARCHIVE_MARKER))


def owning_root(path: str, roots: Iterable[str]) -> str | None:
    """The most specific root that contains ``path``, or None."""
    best: str | None = None
    for root in roots:
        if is_under(path, root) and (best is None or len(root) > len(best)):
            best = root
    return best


def walk_images(
    roots: Iterable[str], *, should_stop: Callable[[], bool] = lambda: False,
    accept: Callable[[str], bool] = is_image_name,
) -> Iterator[FoundFile]:
    """Yield every image file under ``roots`` once, with its size and mtime (see module rules).

    ``accept`` picks the file names to list instead (companion files are found by one more walk
    with the same rules, :mod:`desktop_app.context.companions`)."""
    # Most specific root first; a root reached through a link after the real one, so a file
    # seen under two names (an alias of a folder, a hard link) is listed once, by its real name.
    root_list = sorted({os.path.abspath(r) for r in roots},
                       key=lambda r: (os.path.realpath(r) != r, -len(r)))
    root_keys = {os.path.normcase(r) for r in root_list}
    seen: set[str] = set()
    seen_files: set[tuple[int, int]] = set()   # (device, inode): one file, however many names
    for root in root_list:
        if not os.path.isdir(root):
            log.warning("library folder %r is missing or not a folder; skipped", root)
            continue
        stack = [root]
        while stack:
            if should_stop():
                return
            folder = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    listed = sorted(entries, key=lambda e: e.name)
            except OSError as err:
                log.warning("can't list %r: %s", folder, err)
                continue
            if any(e.name == ARCHIVE_MARKER for e in listed):
                log.info("skipping archive folder %r", folder)
                continue
            subdirs: list[str] = []
            for entry in listed:
                try:
                    if entry.is_symlink() or _is_hidden(entry):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIPPED_DIR_NAMES and os.path.normcase(entry.path) not in root_keys:
                            subdirs.append(entry.path)  # a nested root is walked on its own
                        continue
                    if not entry.is_file(follow_symlinks=False) or not accept(entry.name):
                        continue
                    if entry.path in seen:
                        continue
                    st = entry.stat(follow_symlinks=False)
                except OSError as err:  # vanished or unreadable between listing and stat
                    log.info("skipping %r: %s", entry.path, err)
                    continue
                if st.st_ino:  # 0 where the platform's listing doesn't say (Windows)
                    if (st.st_dev, st.st_ino) in seen_files:
                        log.info("skipping %r: another name of a file already listed", entry.path)
                        continue
                    seen_files.add((st.st_dev, st.st_ino))
                seen.add(entry.path)
                yield FoundFile(entry.path, root, st.st_size, st.st_mtime_ns)
            stack.extend(reversed(subdirs))

"""The few primitives that move bytes, each written so that a crash at any instant leaves every
file whole in one place (or, for a verified copy, in two places that recovery resolves).

* :func:`move_file` — atomic no-overwrite rename on the same filesystem; across filesystems
  copy to a hidden partial file -> fsync -> verify hash -> rename into place -> remove source.
* :func:`hash_file` — one read, several digests (the indexed content hash and our SHA-256).
* :func:`unique_destination` — never overwrite: ``name (1).jpg``, ``name (2).jpg``, ...
* :func:`ensure_folder` — folders are created only below a library root / archive folder that
  exists (an unplugged drive is reported, never replaced by a folder on the boot disk).
* :func:`fault_point` — test hook: ``LOOKALIKE_FAULT=after-intent:2`` SIGKILLs the process the
  2nd time the named step is reached, so the tests can crash a real archive at a chosen instant
  (``after-move:3:SIGINT`` sends a Ctrl-C there instead).
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import logging
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Container

from desktop_app.engine.analyze import content_hasher
from desktop_app.engine.file_read import open_regular
from desktop_app.errors import ArchiveError, DecodeError
from desktop_app.workflow.paths import spelled_inside

log = logging.getLogger(__name__)

CHUNK = 1 << 20
PARTIAL_SUFFIX = ".lookalike-partial"
FAULT_ENV = "LOOKALIKE_FAULT"
NAME_MAX = 255  # bytes, on every filesystem a photo library is likely to live on

_fault_counts: dict[str, int] = {}


def fault_point(step: str) -> None:
    """Kill this process (SIGKILL: no cleanup, no flush) when ``$LOOKALIKE_FAULT`` names
    ``step`` (``step`` or ``step:N`` for the N-th time). ``step:N:SIGINT`` sends that signal
    instead, once (a user's Ctrl-C at an exact instant). Costs one dict lookup otherwise."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    name, _, rest = spec.partition(":")
    if name != step:
        return
    nth, _, signame = rest.partition(":")
    _fault_counts[step] = _fault_counts.get(step, 0) + 1
    count, wanted = _fault_counts[step], int(nth or 1)
    if not signame and count >= wanted:
        os.kill(os.getpid(), signal.SIGKILL)
    elif signame and count == wanted:
        os.kill(os.getpid(), getattr(signal, signame))


# --- hashing -------------------------------------------------------------------------------------
def hash_file(path: str | os.PathLike[str], *, indexed: str | None = None) -> tuple[str, bool]:
    """SHA-256 of the file, and whether it matches ``indexed`` (the content hash the context
    stored, :func:`desktop_app.engine.analyze.content_hasher`; ``True`` when none is given). One
    read of the file."""
    sha = hashlib.sha256()
    content = content_hasher() if indexed else None
    with open_user_file(path) as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            if content is not None:
                content.update(chunk)
    digest = sha.hexdigest()
    if content is None or indexed is None:
        return digest, True
    return digest, content.hexdigest() == indexed.lower()


def open_user_file(path: str | os.PathLike[str]) -> BinaryIO:
    """A library file opened for reading only if it is a regular file, without ever blocking (a
    named pipe swapped in for a photo is refused, see engine.file_read); OSError otherwise."""
    try:
        f, _ = open_regular(os.fspath(path))
    except DecodeError as err:
        cause = err.__cause__
        code = cause.errno if isinstance(cause, OSError) and cause.errno else errno.EINVAL
        raise OSError(code, err.reason, os.fspath(path)) from None
    return f


def sha256_file(path: str | os.PathLike[str]) -> str:
    return hash_file(path)[0]


# --- durability ----------------------------------------------------------------------------------
def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename/creation/removal in ``path`` durable. Not all systems allow it; fine."""
    if sys.platform == "win32":  # pragma: no cover - NTFS metadata is journaled
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- names ---------------------------------------------------------------------------------------
def _fit_name(stem: str, suffix: str) -> str:
    """``stem + suffix`` shortened (stem only, on a character boundary) to NAME_MAX bytes."""
    name = stem + suffix
    while len(os.fsencode(name)) > NAME_MAX and stem:
        stem = stem[:-1]
        name = stem + suffix
    return name


def unique_destination(
    path: str | os.PathLike[str], *, taken: Container[str] = (), reserved: Container[str] = ()
) -> Path:
    """``path`` if nothing stands there, else ``name (1).ext``, ``name (2).ext``... Never an
    existing entry (file, folder or dangling link) nor one of ``taken`` (a set of str paths) nor
    of ``reserved`` (``os.path.normcase``d paths, e.g. named by other operations' intents)."""
    path = Path(path)

    def free(p: Path) -> bool:
        s = str(p)
        return not os.path.lexists(p) and s not in taken and os.path.normcase(s) not in reserved

    if free(path):
        return path
    stem, ext = os.path.splitext(path.name)
    n = 1
    while True:
        candidate = path.with_name(_fit_name(stem, f" ({n}){ext}"))
        if free(candidate):
            return candidate
        n += 1


def partial_path(destination: str | os.PathLike[str], *, owner: str = "") -> Path:
    """Where the copy to ``destination`` is written before it is verified (same folder, so the
    final rename is atomic; hidden, and named from a digest of the destination so recovery
    finds it). ``owner`` (operation id and seq) makes the name one only that move ever creates,
    which is how recovery knows a partial file is its own to remove."""
    destination = Path(destination)
    tag = hashlib.sha1(os.fsencode(str(destination))).hexdigest()[:16]
    return destination.with_name(f".{tag}{'.' + owner if owner else ''}{PARTIAL_SUFFIX}")


# --- moving --------------------------------------------------------------------------------------
_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
try:
    _libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
    _renameat2 = getattr(_libc, "renameat2", None) if _libc is not None else None
except OSError:  # pragma: no cover
    _renameat2 = None


def rename_noreplace(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
    """Atomic rename that fails with FileExistsError instead of replacing ``destination``.
    Raises OSError(EXDEV) across filesystems, like :func:`os.rename`."""
    src, dst = os.fspath(source), os.fspath(destination)
    if _renameat2 is not None:
        rc = _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE)
        if rc == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(err, os.strerror(err), src, None, dst)
        # Filesystem without RENAME_NOREPLACE (some FUSE/network mounts): check, then rename.
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "destination exists", dst)
    os.rename(src, dst)


def _copy_metadata(source: Path, tmp: Path) -> None:
    """Dates (photographers sort by them), permissions, flags and extended attributes (tags,
    colour labels...) where the destination filesystem supports them; dates at least."""
    try:
        shutil.copystat(source, tmp)
        return
    except OSError as err:
        log.info("couldn't copy all metadata of %s: %s", source, err)
    try:
        st = os.stat(source)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError:
        pass


def copy_verified(
    source: Path,
    destination: Path,
    *,
    sha256: str,
    owner: str = "",
    on_copied: Callable[[os.stat_result], None] | None = None,
) -> None:
    """Copy ``source`` to ``destination`` (which must not exist) through a partial file:
    write -> fsync -> re-read and compare SHA-256 -> ``on_copied(stat of the copy)`` (the
    caller journals the copy's identity) -> atomic rename. Nothing is left behind on failure;
    the source is never touched, nor a partial file someone else created."""
    tmp = partial_path(destination, owner=owner)
    created = False
    try:
        with open_user_file(source) as fi, open(tmp, "xb") as fo:
            created = True
            while chunk := fi.read(CHUNK):
                fo.write(chunk)
                fault_point("mid-copy")
            fo.flush()
            os.fsync(fo.fileno())
        _copy_metadata(source, tmp)
        if sha256_file(tmp) != sha256:
            raise ArchiveError(f"Couldn't archive '{source.name}': the copy did not match the original")
        if on_copied is not None:
            on_copied(os.lstat(tmp))  # a rename keeps the inode: this identifies the placed copy
        rename_noreplace(tmp, destination)
        fsync_dir(destination.parent)
    except BaseException:
        if created:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise


def move_file(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    sha256: str,
    dirty: set[str] | None = None,
    owner: str = "",
    on_copied: Callable[[os.stat_result], None] | None = None,
    create_below: str | os.PathLike[str] | None = None,
) -> str:
    """Move ``source`` to ``destination`` without ever overwriting; returns ``"rename"`` or
    ``"copy"``. Across filesystems the source is removed only after the copy is verified and
    durable; if removing it fails the copy is removed again, so nothing is duplicated.

    The folders whose entries changed are fsynced before returning, or, when ``dirty`` is
    given, added to it for the caller to fsync in a batch (before it records the move as done).
    ``owner`` and ``on_copied`` are passed to :func:`copy_verified` (cross-filesystem moves).

    Missing folders are created only below ``create_below`` (the library root or the archive
    folder), which must exist: a library on an unplugged drive is never "restored" into a
    phantom folder on the boot disk. Without it, the destination's folder must exist.
    """
    src, dst = Path(source), Path(destination)

    def settle(folder: Path) -> None:
        if dirty is None:
            fsync_dir(folder)
        else:
            dirty.add(str(folder))

    ensure_folder(dst.parent, below=create_below)
    try:
        rename_noreplace(src, dst)
    except OSError as err:
        if err.errno != errno.EXDEV:
            raise
    else:
        settle(dst.parent)
        settle(src.parent)
        return "rename"
    copy_verified(src, dst, sha256=sha256, owner=owner, on_copied=on_copied)  # durable (file and folder) before the source goes
    fault_point("after-copy")
    try:
        os.unlink(src)
    except OSError:
        # Can't remove the original (read-only folder...): undo the copy, report the error.
        os.unlink(dst)
        fsync_dir(dst.parent)
        raise
    settle(src.parent)
    return "copy"


def ensure_folder(folder: Path, *, below: str | os.PathLike[str] | None) -> None:
    """Create ``folder`` (and missing folders above it) only when they lie below ``below`` and
    ``below`` exists; else ArchiveError naming the folder that isn't there."""
    if os.path.isdir(folder):
        return
    if below is None:
        raise ArchiveError(f"The folder '{folder}' isn't there (is its drive connected?)")
    below = os.path.abspath(below)
    if not os.path.isdir(below):
        raise ArchiveError(f"The folder '{below}' isn't there (is its drive connected?)")
    if not spelled_inside(folder, below):
        raise ArchiveError(f"Refusing to create '{folder}': it is outside '{below}'")
    os.makedirs(folder, exist_ok=True)


def remove_empty_folders(folder: str | os.PathLike[str], *, below: str | os.PathLike[str]) -> list[str]:
    """Remove ``folder`` and the folders above it while they are empty, stopping at ``below``
    (never removed itself) and at anything outside it. Returns the folders removed. Only empty
    folders go (``os.rmdir`` refuses any other), so nothing a user put there can be lost."""
    removed: list[str] = []
    below = os.path.abspath(below)
    current = os.path.abspath(folder)
    while current != below and spelled_inside(Path(current), below):
        try:
            os.rmdir(current)
        except OSError:   # not empty, already gone, not ours to remove: stop climbing
            break
        removed.append(current)
        current = os.path.dirname(current)
    return removed


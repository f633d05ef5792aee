"""One archive or undo per library at a time, across processes (windows and ``lookalike-cli``).

Two archives planned from the same groups and run at once could each keep a different copy and
move the other: together they would leave a group with no copy in the library. So every
operation that moves files (:func:`desktop_app.workflow.archive.execute`,
:func:`desktop_app.workflow.recovery.undo`) holds :func:`library_lock` on the library's data
folder while it runs. A second one waits a little (the first may be finishing) and is then
refused with :class:`LibraryBusy`, a one-line message naming who holds the lock.

The lock is an OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on
``<data_dir>/archive.lock``: it is released when its holder exits, even when killed, so a crash
never leaves the library locked. ``flock`` locks belong to an open file, so two windows of one
process exclude each other too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import IO, Iterator

from desktop_app.errors import ArchiveError

log = logging.getLogger(__name__)

LOCK_FILE = "archive.lock"
#: How long a second archive or undo waits for the first before it is refused (seconds);
#: ``$LOOKALIKE_LOCK_WAIT`` overrides it (tests, scripts that would rather wait longer).
DEFAULT_WAIT = 5.0
_POLL = 0.05

if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _try_lock(f: IO[bytes]) -> bool:
        try:
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(f: IO[bytes]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(f: IO[bytes]) -> bool:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class LibraryBusy(ArchiveError):
    """Another archive or undo is running on this library (in this or another process)."""


def _holder(path: Path) -> str:
    """What the lock file says about its holder ("process 1234, archive"), or ""."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()[:200]
    except OSError:
        return ""


def _wait_from_env() -> float:
    try:
        return float(os.environ.get("LOOKALIKE_LOCK_WAIT", DEFAULT_WAIT))
    except ValueError:
        return DEFAULT_WAIT


@contextlib.contextmanager
def library_lock(data_dir: str | os.PathLike[str], *, what: str, wait: float | None = None) -> Iterator[None]:
    """Hold the library's archive lock for the ``with`` block (``what``: "archive" / "undo",
    written in the lock file for the message another process shows). Waits up to ``wait``
    seconds for another holder, then raises :class:`LibraryBusy`."""
    path = Path(data_dir) / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # "a+b", unbuffered: never truncates a file someone else may hold (we rewrite it once
        # locked), and nothing waits in a buffer that a full disk could refuse at close.
        f = open(path, "a+b", buffering=0)
    except OSError as err:
        # The journal lives in the same folder: it couldn't be written either.
        raise ArchiveError(
            f"Couldn't write the archive journal in '{path.parent}': {err.strerror or err}; nothing was moved"
        ) from err
    try:
        if wait is None:
            wait = _wait_from_env()
        deadline = time.monotonic() + max(wait, 0.0)
        waiting = False
        while not _try_lock(f):
            if not waiting and wait > 0:
                waiting = True
                log.warning("waiting for another archive or undo on this library (%s)", _holder(path) or "unknown")
            if time.monotonic() >= deadline:
                holder = _holder(path)
                raise LibraryBusy(
                    "Another archive or undo is running on this library"
                    + (f" ({holder})" if holder else "")
                    + "; nothing was moved. Try again when it has finished."
                )
            time.sleep(_POLL)
        try:
            f.seek(0)
            f.truncate()
            f.write(f"process {os.getpid()}, {what}\n".encode())
        except OSError:  # a full disk must not stop the lock from working; the note is cosmetic
            log.debug("couldn't write the lock note", exc_info=True)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                f.seek(0)
                f.truncate()
            _unlock(f)
    finally:
        with contextlib.suppress(OSError):
            f.close()

"""Steps an archive operation and its undo share (both move files under a journal).

Which errors stop a whole operation, journaling a verified copy before it is renamed into
place, recording moves as done in durable batches, and telling the search context which files
left the library.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from typing import Any, Callable, Sequence

from desktop_app.context.protocols import LibraryContext
from desktop_app.errors import LookalikeError
from desktop_app.workflow.fileops import fsync_dir
from desktop_app.workflow.journal import OperationJournal

log = logging.getLogger(__name__)

#: Errors after which every further move would fail too: stop the whole operation.
STOP_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.ENODEV})


def copied_recorder(journal: OperationJournal, seq: int, sha256: str) -> Callable[[os.stat_result], None]:
    """``on_copied`` for move_file: journal (fsynced) the verified copy's identity before it is
    renamed into place, so recovery can tell its own copy from a stranger's file."""

    def record(st: os.stat_result) -> None:
        journal.write("copied", seq=seq, dev=st.st_dev, ino=st.st_ino, size=st.st_size, sha256=sha256)

    return record


#: "done" records are made durable in batches of this many files, or this often.
FLUSH_EVERY = 64
FLUSH_SECONDS = 1.0


class DoneBatch:
    """The "done" records of an operation's moves, made durable in batches.

    A move's intent is journaled (fsynced) before the file moves; its "done" waits here, and the
    folders the move changed wait in :attr:`dirty` (``move_file(dirty=...)``), until
    :meth:`flush` fsyncs those folders and then writes the records with one journal fsync: one
    fsync per unit (its intents) instead of four per file, and a "done" on disk is always true.
    A crash loses only pending "done" records, which recovery rebuilds from what is on disk
    (the file is provably at its destination, or still at its source)."""

    def __init__(self, journal: OperationJournal) -> None:
        self.journal = journal
        self.dirty: set[str] = set()
        self._pending: list[dict[str, Any]] = []
        self._last = time.monotonic()

    def add(self, records: Sequence[dict[str, Any]]) -> None:
        """Queue "done" records (their moves happened); flushed when the batch is due."""
        self._pending.extend(records)
        if len(self._pending) >= FLUSH_EVERY or time.monotonic() - self._last > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """The changed folders, then the pending records, on disk. Raises OSError (disk full)."""
        for folder in sorted(self.dirty):
            fsync_dir(folder)
        self.dirty.clear()
        for record in self._pending:
            self.journal.write("done", sync=False, **record)
        if self._pending:
            self.journal.sync()
        self._pending.clear()
        self._last = time.monotonic()


def forget_in_context(context: LibraryContext, paths: Sequence[str]) -> None:
    """Tell the search context that ``paths`` left the library; a failure here never undoes a
    finished move (the next scan notices the files are gone anyway)."""
    try:
        context.forget(list(paths))
    except LookalikeError as err:  # a full or busy database: one line, the files are safe
        log.warning("couldn't update the index after archiving (%s); the next scan catches up", err)
    except Exception:  # noqa: BLE001 - the files are safe; the index catches up on next scan
        log.exception("couldn't update the search context after archiving")

"""Steps an archive operation and its undo share (both move files under a journal).

Which errors stop a whole operation, journaling a verified copy before it is renamed into
place, and telling the search context which files left the library.
"""

from __future__ import annotations

import errno
import logging
import os
from typing import Callable, Sequence

from desktop_app.context.protocols import LibraryContext
from desktop_app.errors import LookalikeError
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


def forget_in_context(context: LibraryContext, paths: Sequence[str]) -> None:
    """Tell the search context that ``paths`` left the library; a failure here never undoes a
    finished move (the next scan notices the files are gone anyway)."""
    try:
        context.forget(list(paths))
    except LookalikeError as err:  # a full or busy database: one line, the files are safe
        log.warning("couldn't update the index after archiving (%s); the next scan catches up", err)
    except Exception:  # noqa: BLE001 - the files are safe; the index catches up on next scan
        log.exception("couldn't update the search context after archiving")

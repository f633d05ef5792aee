"""The system trash through Qt, injected into the workflow (which stays Qt-free).

``QFile.moveToTrash`` follows each platform's rules (freedesktop Trash with its .trashinfo on
Linux, the Recycle Bin on Windows, the Finder's trash on macOS) and reports where the file went,
so the workflow's undo can bring it back.
"""

from __future__ import annotations

import errno
import logging
import os

from PySide6.QtCore import QDir, QFile, QStandardPaths

log = logging.getLogger(__name__)


class QtTrash:
    """:class:`~desktop_app.workflow.trash.TrashBackend` built on ``QFile.moveToTrash``."""

    def move_to_trash(self, path: str, /) -> str | None:
        # Qt's freedesktop trash lives in the user data folder and gives up if that folder does
        # not exist yet (a fresh account): make sure it does.
        QDir().mkpath(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation))
        file = QFile(path)
        # The instance form: on success fileName() is the file's new place in the trash (the
        # static overload's out-parameter is not returned by every PySide6 release).
        if not file.moveToTrash():
            # Qt gives no reason; say what the user can check. OSError keeps the workflow's
            # per-file error handling (the file stays where it is, reported).
            if not os.path.exists(path):
                raise OSError(errno.ENOENT, "the file is gone", path)
            raise OSError(errno.EIO, "the system trash refused it (is there a trash on this drive?)", path)
        place = file.fileName()
        return place if place and place != path else None

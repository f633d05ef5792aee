"""A desktop launch keeps its errors: a rotating log file in the data folder, and a crash
handler that logs an unexpected exception's traceback there and shows one line instead of
letting the app die (``sys.excepthook`` for the GUI thread, ``threading.excepthook`` for others).

The log is what Help → Show Log opens; every ``log.exception`` of the app lands in it.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Callable

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

LOG_FILE_NAME = "lookalike.log"
MAX_BYTES = 1_000_000        # per file; with 3 older files kept, at most ~4 MB of log
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def start_log_file(data_dir: Path, *, level: int = logging.INFO) -> Path | None:
    """Log to ``<data_dir>/lookalike.log`` (rotated) from now on; its path, or None when the
    folder can't be written (the app runs on, logging to stderr only)."""
    path = Path(data_dir) / LOG_FILE_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8", delay=False)
    except OSError as err:
        log.warning("couldn't write the log file '%s': %s", path, err)
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return path


def one_line(exc: BaseException) -> str:
    """What the user reads: the error in one sentence, pointing at the log."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"Something went wrong ({text}); the app carries on. Details: Help → Show Log."


class CrashHandler(QObject):
    """Installs the hooks; ``crashed(message)`` reaches the GUI thread from any thread."""

    crashed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._previous: tuple[Callable[..., object], Callable[..., object]] | None = None

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.handle
        threading.excepthook = self._handle_thread

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def handle(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.critical("unexpected error", exc_info=(exc_type, exc, tb))
        self.crashed.emit(one_line(exc))   # queued to the GUI thread when raised elsewhere

    def _handle_thread(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)

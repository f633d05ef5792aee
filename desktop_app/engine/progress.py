"""Progress reporting and cancellation without Qt.

Long engine/context/workflow functions take ``progress: ProgressCallback | None`` and a
``cancel: CancelToken | None``. The UI wraps them in a QThread worker; the CLI draws a bar.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Protocol

from desktop_app.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    current: str = ""          # file being worked on, for display
    rate: float = 0.0          # items per second
    eta_seconds: float | None = None


class ProgressCallback(Protocol):
    def __call__(self, progress: Progress, /) -> None: ...


class CancelToken:
    """Thread-safe flag. ``check()`` raises :class:`Cancelled` once ``cancel()`` was called."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


def no_progress(progress: Progress, /) -> None:
    """Default callback: ignore progress."""


ProgressFn = Callable[[Progress], None]

"""Progress reporting and cancellation without Qt.

Long engine/context/workflow functions take ``progress: ProgressFn | None`` and a
``cancel: CancelToken | None``. The UI wraps them in a QThread worker; the CLI draws a bar.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from desktop_app.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    current: str = ""          # file being worked on, for display
    rate: float = 0.0          # items per second
    eta_seconds: float | None = None

    @classmethod
    def since(cls, started: float, done: int, total: int, current: str = "") -> "Progress":
        """Progress with rate and ETA measured from ``started`` (a ``time.monotonic()`` value)."""
        rate = done / max(time.monotonic() - started, 1e-6) if done else 0.0
        eta = (total - done) / rate if rate > 0 and total else None
        return cls(done, total, current, rate, eta)


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


ProgressFn = Callable[[Progress], None]

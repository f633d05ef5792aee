"""Domain errors shared by every layer.

Errors are raised low with a message a user can read (one sentence, the file named, no
traceback) and turned into a dialog or a CLI line at the top.
"""

from __future__ import annotations


class LookalikeError(Exception):
    """Base of every error Lookalike raises on purpose."""


class DecodeError(LookalikeError):
    """A file could not be read as an image. ``str(err)`` is the user-facing reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"Couldn't read '{path}': {reason}")
        self.path = path
        self.reason = reason


class ContextError(LookalikeError):
    """A search context is missing, already exists, or its database is unusable."""


class NoSuchContext(ContextError):
    """There is no search context of that name (the database itself is fine)."""


class ArchiveError(LookalikeError):
    """An archive or undo step could not be carried out; nothing was lost."""


class Cancelled(LookalikeError):
    """Raised by a progress callback when the user cancelled the running job."""

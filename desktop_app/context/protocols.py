"""What the layers above (and the context's own parts) need of a context, as Protocols.

The real classes (:class:`~desktop_app.context.store.ContextStore`,
:class:`~desktop_app.context.search_context.SearchContext`) satisfy them; test fakes implement
them too, so mypy checks that a fake still looks like the real thing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol


class ContextDatabase(Protocol):
    """The database file that holds the contexts, one connection per thread."""

    @property
    def db_path(self) -> Path: ...

    def conn(self) -> sqlite3.Connection: ...

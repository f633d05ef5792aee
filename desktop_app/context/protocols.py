"""What the layers above (and the context's own parts) need of a context, as Protocols.

The real classes (:class:`~desktop_app.context.store.ContextStore`,
:class:`~desktop_app.context.search_context.SearchContext`) satisfy them; test fakes implement
them too, so mypy checks that a fake still looks like the real thing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Iterable, Mapping, Protocol

from desktop_app.context.types import (
    ContextInfo, DistinctDecision, DuplicateCluster, Folder, ImageRecord, IndexReport, ScoredPairs,
    SimilarResult, SkippedFile,
)
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.engine.types import Comparison, ImageFeatures


class ContextDatabase(Protocol):
    """The database file that holds the contexts, one connection per thread."""

    @property
    def db_path(self) -> Path: ...

    def conn(self) -> sqlite3.Connection: ...


class LibraryContext(Protocol):
    """What the workflow (review session, archive, undo, recovery) needs of a search context:
    its folders and duplicate groups, the user's decisions, and news of files that left the
    library or came back. :class:`~desktop_app.context.search_context.SearchContext` is one;
    test fakes subclass this Protocol so mypy keeps them in step with it."""

    @property
    def data_dir(self) -> Path:
        """The context's own folder (archive journal, logs)."""
        ...

    def folders(self) -> list[Folder]: ...

    def find_duplicates(self, *, threshold: float = 90.0, pairs: ScoredPairs | None = None,
                        progress: ProgressFn | None = None,
                        cancel: CancelToken | None = None) -> list[DuplicateCluster]: ...

    def mark_distinct(self, pairs: Iterable[tuple[int | str, int | str]]) -> list[DistinctDecision]: ...

    def unmark_distinct(self, decisions: Iterable[DistinctDecision]) -> None: ...

    def distinct_decisions(self) -> list[DistinctDecision]: ...

    def save_marks(self, marks: Mapping[str, str | None]) -> None: ...

    def load_marks(self) -> dict[str, str]: ...

    def settings(self) -> dict[str, Any]:
        """The library's own settings (the archive flow remembers its destination there)."""
        ...

    def update_settings(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``values`` (None removes a key); the merged settings."""
        ...

    def forget(self, paths: Iterable[str]) -> int:
        """Drop these files from the index (they were archived); how many were indexed."""
        ...

    def add_image(self, path: str) -> ImageRecord:
        """Index one file again (an undo brought it back)."""
        ...


class SearchableContext(LibraryContext, Protocol):
    """What the pages need beyond the workflow's part: indexing, searching and reading."""

    @property
    def name(self) -> str: ...

    def add_folder(self, path: str, *, protected: bool = False) -> Folder: ...

    def remove_folder(self, path: str) -> None: ...

    def set_protected(self, path: str, protected: bool) -> None: ...

    def index(self, *, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
              workers: int | None = None) -> IndexReport: ...

    def scored_pairs(self, *, progress: ProgressFn | None = None,
                     cancel: CancelToken | None = None, workers: int | None = None) -> ScoredPairs: ...

    def find_similar(self, reference: int | str, *, threshold: float = 70.0,
                     max_count: int = 20) -> list[SimilarResult]: ...

    def compare(self, a: int | str, b: int | str) -> Comparison: ...

    def images(self) -> list[ImageRecord]: ...

    def image_by_path(self, path: str) -> ImageRecord | None: ...

    def features(self, image_id: int) -> ImageFeatures: ...

    def thumbnail(self, image_id: int) -> bytes: ...

    def skipped(self) -> list[SkippedFile]: ...

    def counts_by_folder(self) -> dict[str, int]: ...


class ContextCatalog(Protocol):
    """The named contexts of one database (:class:`~desktop_app.context.store.ContextStore`),
    as the window lists, opens and creates libraries."""

    def list_contexts(self) -> list[ContextInfo]: ...

    def create(self, name: str, folders: Iterable[str] = ()) -> SearchableContext: ...

    def open(self, name: str) -> SearchableContext: ...

    def open_or_create(self, name: str) -> SearchableContext: ...

    def delete(self, name: str) -> None: ...

    def rename(self, old: str, new: str) -> None: ...

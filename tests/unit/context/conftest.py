"""Fixtures for the search-context tests (the photo library itself: tests/unit/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ContextStore]:
    s = ContextStore(tmp_path / "db" / "lookalike.sqlite")
    yield s
    s.close()


@pytest.fixture
def ctx(store: ContextStore, library: Path) -> SearchContext:
    return store.create("test", [library])


@pytest.fixture
def count_analyses(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Count calls of the engine's analyze_file (only meaningful with ``workers=1``)."""
    from desktop_app.engine import analyze

    calls: list[str] = []
    real = analyze.analyze_file

    def counting(path: str | os.PathLike[str]):  # type: ignore[no-untyped-def]
        calls.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(analyze, "analyze_file", counting)
    return lambda: calls

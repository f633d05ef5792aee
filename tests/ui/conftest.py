"""Fixtures for the main-window tests: a generated photo library, a store, a window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from tests.ui.photos import make_library


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, dict[str, list[Path]]]:
    root = tmp_path / "Photos"
    files = make_library(root, long_side=200, groups=3)
    return root, files


@pytest.fixture
def store(tmp_path: Path):
    from desktop_app.context.store import ContextStore

    store = ContextStore(tmp_path / "lookalike.sqlite")
    yield store
    store.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


class Confirm:
    """Stands in for the archive confirmation dialog: records the plan, answers ``answer``."""

    def __init__(self) -> None:
        self.answer: Any = None
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, entries: Any, refused: Any, folder: str, use_trash: bool, parent: Any) -> Any:
        self.calls.append((entries, refused, folder, use_trash))
        return self.answer


@pytest.fixture
def confirm() -> Confirm:
    return Confirm()


@pytest.fixture
def make_window(qtbot, store, settings, confirm, library):
    from desktop_app.ui.app.main_window import MainWindow

    windows = []

    def make(*, resize: bool = True, **kwargs: Any) -> MainWindow:
        window = MainWindow(store, settings=settings, confirm_archive=confirm,
                            choose_folder=kwargs.pop("choose_folder", lambda parent: str(library[0])), **kwargs)
        window.duplicates.scan_workers = 1   # in-process: quick and gentle on a shared CI machine
        if resize:
            window.resize(1300, 850)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.duplicates.shutdown()


_UI_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The offscreen platform plugin warns that it can't raise windows or propagate size
    hints; those are facts of the test platform, not faults of the app."""
    for item in items:
        if _UI_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(r"This plugin does not support"))


def wait_scan_done(qtbot, window, timeout: int = 60000) -> None:  # type: ignore[no-untyped-def]
    """The scan, then the regroup it triggers (a background session operation)."""
    page = window.duplicates
    qtbot.waitUntil(lambda: not page.scanner.is_running and page.pairs is not None and not page.executor.busy,
                    timeout=timeout)


def idle(qtbot, page, timeout: int = 30000) -> None:  # type: ignore[no-untyped-def]
    """The page's executor has run everything asked of it (marks saved, folders added...)."""
    qtbot.waitUntil(lambda: not page.executor.busy, timeout=timeout)


@pytest.fixture
def opened_window(qtbot, make_window, library):
    """A window with the generated library open and scanned (its groups on screen)."""
    window = make_window()
    window.open_folders([str(library[0])])
    wait_scan_done(qtbot, window)
    assert window.duplicates.model.rowCount() > 0
    return window

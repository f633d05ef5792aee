"""Fixtures for the workflow tests: every test that moves files runs inside a sealed Vault."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.unit.workflow.helpers import Vault


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    """Library/archive/trash/data dirs; after the test, nothing lost, nothing duplicated."""
    v = Vault(tmp_path)
    yield v
    v.check()

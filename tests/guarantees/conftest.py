"""Shared by the guarantee tests (issue 11): a real library of photos with copies, the real
``lookalike-cli`` in a subprocess, and the content ledger (library + archive + trash)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.unit.conftest import save_photo
from tests.unit.workflow.helpers import content_multiset

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def make_library(lib: Path, copies: int = 2, names: tuple[str, ...] = PHOTOS) -> Path:
    """Each photo and ``copies`` recompressed smaller copies of it (groups scoring >= 90)."""
    for name in names:
        save_photo(lib / f"{name}.jpg", name)
        for c in range(copies):
            save_photo(lib / f"copies{c}" / f"{name} {c}.jpg", name, long_side=380 - 20 * c, quality=85 - 5 * c)
    return lib


def cli_env(data: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["XDG_DATA_HOME"] = str(data)
    env.pop("LOOKALIKE_FAULT", None)
    env.update(extra)
    return env


def cli_argv(*args: str | os.PathLike[str]) -> list[str | bytes]:
    return [sys.executable, "-m", "desktop_app.cli", *[os.fsencode(a) if isinstance(a, bytes) else os.fspath(a) for a in args]]


def run_cli(data: Path, *args: Any, timeout: float = 180, env: dict[str, str] | None = None,
            **extra: str) -> subprocess.CompletedProcess[bytes]:
    """``lookalike-cli ARGS`` in a real process (raw bytes out, so invalid UTF-8 shows)."""
    return subprocess.run(cli_argv(*args), env=env or cli_env(data, **extra), capture_output=True,
                          timeout=timeout, cwd=ROOT)


def out_json(proc: subprocess.CompletedProcess[bytes]) -> Any:
    """stdout as JSON; it must be valid UTF-8 and valid JSON."""
    return json.loads(proc.stdout.decode("utf-8"))


def err_text(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stderr.decode("utf-8", "replace")


def ledger(*roots: Path) -> Counter[str]:
    return content_multiset(*roots)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d

"""WorkerPool: every job's result once, a crashing job found and isolated, stop on request."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from desktop_app.context.pool import WorkerPool


def square_or_die(x: int) -> int:
    """A job that kills its worker process for 13 (a decoder crash)."""
    if x == 13:
        os._exit(3)
    return x * x


def crashed(x: int) -> int:
    return -1


def test_every_item_once_and_the_crashing_one_isolated() -> None:
    with WorkerPool(square_or_die, workers=2, on_crash=crashed) as pool:
        got = dict(pool.run(range(20)))
        assert not pool.in_process
        assert got == {x: (-1 if x == 13 else x * x) for x in range(20)}
        assert dict(pool.run([2, 3])) == {2: 4, 3: 9}  # the restarted pool keeps working


def test_one_worker_runs_in_this_process_and_stops_on_request() -> None:
    seen: list[int] = []

    def job(x: int) -> int:
        seen.append(x)
        return x

    with WorkerPool(job, workers=1, on_crash=crashed) as pool:
        assert pool.in_process
        out = [x for x, _ in pool.run(range(10), should_stop=lambda: len(seen) >= 3)]
    assert out == [0, 1, 2] and seen == [0, 1, 2]


def env_and_folder(name: str) -> tuple[str | None, str]:
    return os.environ.get(name), os.getcwd()


def test_workers_see_the_environment_and_folder_of_when_the_pool_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers forked from a server started earlier (the forkserver lives for the session)
    still see the parent's environment and working folder of now, as spawned ones would."""
    with WorkerPool(env_and_folder, workers=2, on_crash=lambda _: (None, "")) as pool:
        assert dict(pool.run(["LOOKALIKE_POOL_TEST"]))["LOOKALIKE_POOL_TEST"] == (None, os.getcwd())
    monkeypatch.setenv("LOOKALIKE_POOL_TEST", "set later")
    monkeypatch.chdir(tmp_path)
    with WorkerPool(env_and_folder, workers=2, on_crash=lambda _: (None, "")) as pool:
        got = dict(pool.run(["LOOKALIKE_POOL_TEST"]))["LOOKALIKE_POOL_TEST"]
        assert not pool.in_process
    assert got == ("set later", str(tmp_path))


def test_workers_start_warm_from_the_server_on_linux() -> None:
    """On Linux the second pool of a session starts without importing the engine again."""
    if not sys.platform.startswith("linux"):
        pytest.skip("workers are spawned outside Linux")
    with WorkerPool(loaded_modules, workers=2, on_crash=lambda _: False) as pool:
        assert all(warm for _, warm in pool.run([0, 1]))


def loaded_modules(_: int) -> bool:
    """Whether this worker had the engine imported before its first job (preloaded)."""
    return "desktop_app.engine.features" in sys.modules and "cv2" in sys.modules

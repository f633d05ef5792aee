"""WorkerPool: every job's result once, a crashing job found and isolated, stop on request."""

from __future__ import annotations

import os

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

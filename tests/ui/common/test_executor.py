"""SerialExecutor: operations run off the GUI thread, in order; regroups coalesce."""

from __future__ import annotations

import threading

from desktop_app.ui.common.executor import REGROUP, SerialExecutor


def test_runs_in_order_off_thread_and_coalesces_regroups(qtbot) -> None:
    executor = SerialExecutor()
    gate = threading.Event()
    ran: list[str] = []
    gui = threading.get_ident()
    threads: set[int] = set()

    def op(name: str, wait: bool = False):
        def fn() -> str:
            if wait:
                assert gate.wait(30)   # never carry on silently: a stuck gate fails the test
            threads.add(threading.get_ident())
            ran.append(name)
            return name
        return fn

    results: list[tuple[str, object]] = []
    executor.finished.connect(lambda kind, result: results.append((kind, result)))
    executor.submit(REGROUP, op("r1", wait=True))      # running
    executor.submit(REGROUP, op("r2"))                 # replaced by r3
    executor.submit("rules", op("rules"))
    executor.submit(REGROUP, op("r3"))
    assert executor.busy
    gate.set()
    with qtbot.waitSignal(executor.busy_changed, timeout=10000) as blocker:
        pass
    assert blocker.args == [False]
    assert ran == ["r1", "rules", "r3"]
    assert [r for _, r in results] == ["r1", "rules", "r3"]
    assert gui not in threads


def test_failure_is_reported_and_the_queue_goes_on(qtbot) -> None:
    executor = SerialExecutor()

    def boom() -> None:
        raise ValueError("broken")

    failures: list[tuple[str, str]] = []
    executor.failed.connect(lambda kind, message: failures.append((kind, message)))
    with qtbot.waitSignal(executor.finished, timeout=10000) as blocker:
        executor.submit("rules", boom)
        executor.submit("reset", lambda: 42)
    assert blocker.args == ["reset", 42]
    assert failures and failures[0][0] == "rules" and "broken" in failures[0][1]

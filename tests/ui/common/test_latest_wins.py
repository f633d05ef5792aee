"""LatestWins: a newer request supersedes the running one; only the newest answer arrives."""

from __future__ import annotations

import threading

from desktop_app.ui.common.latest import LatestWins


def test_only_the_latest_answer_arrives_and_one_task_runs_at_a_time(qtbot) -> None:
    latest = LatestWins()
    gate = threading.Event()
    started: list[str] = []
    running = 0
    most = 0
    lock = threading.Lock()

    def task(name: str, wait: bool = False):  # type: ignore[no-untyped-def]
        def run(_progress, cancel):  # type: ignore[no-untyped-def]
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            started.append(name)
            if wait:
                assert gate.wait(30)
            with lock:
                running -= 1
            return name
        return run

    answers: list[tuple[object, object]] = []
    latest.finished.connect(lambda tag, result: answers.append((tag, result)))
    latest.request("a", lambda: task("a", wait=True))
    latest.request("b", lambda: task("b"))                # waits, then superseded by c
    latest.request("c", lambda: task("c"))
    assert latest.busy
    with qtbot.waitSignal(latest.idle, timeout=10000):
        gate.set()
    assert started == ["a", "c"]                          # b never ran
    assert answers == [("c", "c")]                        # a's answer was dropped
    assert most == 1 and not latest.busy


def test_a_failure_of_the_latest_request_is_reported(qtbot) -> None:
    latest = LatestWins()

    def boom(_progress, _cancel):  # type: ignore[no-untyped-def]
        raise ValueError("no such photo")

    with qtbot.waitSignal(latest.failed, timeout=10000) as blocker:
        latest.request("x", lambda: boom)
    assert blocker.args[0] == "x" and "no such photo" in blocker.args[1]

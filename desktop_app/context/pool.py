"""The one process pool of the context: analysis of files and verification of pairs run here.

:class:`WorkerPool` owns a ``ProcessPoolExecutor`` whose workers never fork this process
(forking a process that runs Qt or other threads can deadlock): on Linux they are forked from
multiprocessing's *forkserver*, a fresh single-threaded server process started once per session
that has imported and warmed up the engine (:mod:`desktop_app.context.worker_warmup`), so a new
pool starts in milliseconds instead of ~0.4 s of imports and first-call set-up per worker; elsewhere
(macOS, Windows, a frozen app) they are spawned. Either way each worker takes this process's
environment, working folder and ``sys.path`` as they are when the pool starts. The pool survives
crashed workers: when a decoder or a native
library kills a process, the jobs that were in flight are retried *one at a time* in a fresh
pool, so the one job that crashes is found and given ``on_crash(item)`` while every other job
still gets its real result. When worker processes can't start at all (a frozen app without the
multiprocessing bootstrap, a sandbox), or for ``workers=1``, jobs run in this process.
"""

from __future__ import annotations

import concurrent.futures as cf
import enum
import logging
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Generic, Iterable, Iterator, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class _End(enum.Enum):
    """End of the items (an enum member, so ``nxt is _END`` narrows the item's type)."""

    END = 0


_END = _End.END
START_TIMEOUT = 120.0   # seconds for the first worker to answer
POLL_SECONDS = 0.25     # how often a waiting run checks should_stop


def _ping() -> bool:
    return True


PRELOAD = ["desktop_app.context.worker_warmup"]   # what the forkserver imports before forking


def _worker_init(environ: dict[str, str], cwd: str, path: list[str]) -> None:
    """Workers ignore Ctrl-C: the parent turns it into a cancel and stops them cleanly. They
    take the parent's environment, folder and import path of now (a worker forked from a server
    started earlier would otherwise see the server's)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environ)
    try:
        os.chdir(cwd)
    except OSError:
        pass
    sys.path[:] = path


def _process_contexts() -> list[multiprocessing.context.BaseContext]:
    """How to start workers, best first: forkserver where it is safe, then spawn."""
    out: list[multiprocessing.context.BaseContext] = []
    # LOOKALIKE_WORKER_START=spawn: spawned workers, children of this process (a test measuring
    # its children's peak memory; the forkserver's workers are the server's children, not ours).
    if (sys.platform.startswith("linux") and not getattr(sys, "frozen", False)
            and os.environ.get("LOOKALIKE_WORKER_START", "") != "spawn"):
        server = multiprocessing.get_context("forkserver")
        server.set_forkserver_preload(PRELOAD)
        out.append(server)
    out.append(multiprocessing.get_context("spawn"))
    return out


def default_workers(workers: int | None) -> int:
    """``workers`` or one per core, at least 1."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


class WorkerPool(Generic[T, R]):
    """Runs ``job(item)`` for many items on ``workers`` processes; see the module docstring.

    Use as a context manager; :meth:`run` may be called several times on one pool.
    """

    def __init__(self, job: Callable[[T], R], *, workers: int, on_crash: Callable[[T], R],
                 window_per_worker: int = 4) -> None:
        self.job = job
        self.on_crash = on_crash
        self.workers = max(1, workers)
        self.window = self.workers * window_per_worker
        self._pool: cf.ProcessPoolExecutor | None = None
        self._in_process = self.workers == 1

    def __enter__(self) -> "WorkerPool[T, R]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def in_process(self) -> bool:
        """True when jobs run in this process (one worker, or processes couldn't start)."""
        return self._in_process

    def _start(self) -> bool:
        if self._pool is not None:
            return True
        if self._in_process:
            return False
        init_args = (dict(os.environ), os.getcwd(), list(sys.path))
        for mp_context in _process_contexts():
            pool = cf.ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_init,
                                          initargs=init_args, mp_context=mp_context)
            try:
                pool.submit(_ping).result(timeout=START_TIMEOUT)
            except Exception as err:  # BrokenProcessPool, timeout, pickling trouble in a frozen app
                log.warning("can't start worker processes by %s (%s)",
                            mp_context.get_start_method(), err)
                pool.shutdown(wait=False, cancel_futures=True)
                continue
            self._pool = pool
            return True
        log.error("can't start worker processes; working in this process")
        self._in_process = True
        return False

    def close(self) -> None:
        """Stop the workers now (queued jobs are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _restart(self) -> bool:
        log.warning("a worker process died; retrying its jobs one at a time")
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        return self._start()

    def run(self, items: Iterable[T], *, should_stop: Callable[[], bool] = lambda: False
            ) -> Iterator[tuple[T, R]]:
        """``(item, job(item))`` in completion order until the items run out or should_stop.

        At most ``window`` jobs are queued at a time, so a long run holds few results in memory
        and stops soon after ``should_stop`` turns true.
        """
        source = iter(items)        # pulled lazily: items may still be in the making
        if not self._start():
            for item in source:
                if should_stop():
                    return
                yield item, self.job(item)
            return
        queue: deque[T] = deque()
        exhausted = False
        suspects: deque[T] = deque()  # in flight when a worker died: retried one at a time
        inflight: dict[cf.Future[R], T] = {}
        while True:
            if not exhausted and not queue and len(inflight) < self.window and not suspects:
                nxt = next(source, _END)
                if nxt is _END:
                    exhausted = True
                else:
                    queue.append(nxt)
            if not (queue or suspects or inflight):
                break
            if should_stop():
                for fut in inflight:
                    fut.cancel()
                return
            assert self._pool is not None
            solo = bool(suspects)
            broken = False
            submitting: T | None = None
            try:
                while not inflight and suspects:
                    submitting = suspects.popleft()
                    inflight[self._pool.submit(self.job, submitting)] = submitting
                while not solo and len(inflight) < self.window:
                    if not queue:
                        nxt = _END if exhausted else next(source, _END)
                        if nxt is _END:
                            exhausted = True
                            break
                        queue.append(nxt)
                    submitting = queue.popleft()
                    inflight[self._pool.submit(self.job, submitting)] = submitting
                submitting = None
            except BrokenProcessPool:
                if submitting is not None:  # the item whose submit found the pool broken
                    suspects.append(submitting)
                broken = True
            finished, _ = cf.wait(inflight, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                item = inflight.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken = True
                    if solo:  # alone in a pool that was working: this item kills the worker
                        yield item, self.on_crash(item)
                    else:
                        suspects.append(item)
                    continue
                yield item, result
            if broken:
                suspects.extend(inflight.values())
                inflight.clear()
                if not self._restart():  # no processes any more: finish here
                    rest = list(suspects) + list(queue)
                    suspects.clear()
                    queue.clear()
                    for item in rest + ([] if exhausted else list(source)):
                        if should_stop():
                            return
                        yield item, self.job(item)
                    return

"""Scanning in the background: index the folders, then score the pairs for grouping.

One :class:`~desktop_app.ui.common.workers.TaskWorker` runs both stages. The first Cancel stops the
*indexing* and keeps everything indexed so far (the context commits as it goes), then the pairs
among those images are scored so the user sees groups for what was done; a second Cancel stops
that too (the previous pairs, if any, stay on screen). Progress is throttled to ~25 updates a
second so a 200,000-file scan does not flood the GUI thread with signals.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from PySide6.QtCore import QObject, QThread, Signal, Slot

from desktop_app.context.types import IndexReport, ScoredPairs, SkippedFile
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.ui.common.workers import TaskWorker

log = logging.getLogger(__name__)

STAGE_INDEX = "index"
STAGE_PAIRS = "pairs"
_MIN_INTERVAL = 0.04  # seconds between progress signals


@dataclass(frozen=True)
class ScanOutcome:
    """What a scan produced. ``pairs`` feeds ``ReviewSession.groups(threshold, pairs)``."""

    report: IndexReport
    pairs: ScoredPairs
    image_count: int
    folder_counts: dict[str, int] = field(default_factory=dict)   # library root -> images
    skipped: tuple[SkippedFile, ...] = ()                          # every skip the context holds

    @property
    def index_cancelled(self) -> bool:
        return self.report.cancelled


def folder_counts(context: Any) -> dict[str, int]:
    """Images indexed per library folder (one query when the context offers it)."""
    counts = getattr(context, "counts_by_folder", None)
    if counts is not None:
        return dict(counts())
    return dict(Counter(image.root for image in context.images()))


class ScanController(QObject):
    """Starts and cancels scans of one context; reports through signals (GUI thread)."""

    started = Signal()
    progressed = Signal(str, object)    # stage, Progress
    finished = Signal(object)           # ScanOutcome
    cancelled = Signal()                # stopped during grouping: nothing new to show
    failed = Signal(str)                # one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: TaskWorker | None = None
        self._index_token: CancelToken | None = None
        self._stage = ""

    @property
    def is_running(self) -> bool:
        return self._worker is not None

    @property
    def stage(self) -> str:
        return self._stage

    def start(self, context: Any, *, workers: int | None = None) -> bool:
        """Scan ``context`` (a SearchContext). False if a scan is already running."""
        if self._worker is not None:
            return False
        index_token = CancelToken()
        self._index_token = index_token
        self._stage = STAGE_INDEX

        def task(emit: Any, cancel: CancelToken) -> ScanOutcome:
            last_time, last_stage = [0.0], [""]

            def relay(stage: str) -> Any:
                def report(p: Progress) -> None:
                    now = time.monotonic()
                    # Always pass the first, the last and stage changes; throttle the rest.
                    if now - last_time[0] >= _MIN_INTERVAL or p.done >= p.total or last_stage[0] != stage:
                        last_time[0], last_stage[0] = now, stage
                        emit((stage, p))
                return report

            report = context.index(progress=relay(STAGE_INDEX), cancel=index_token, workers=workers)
            self._stage = STAGE_PAIRS
            cancel.check()
            pairs = context.scored_pairs(progress=relay(STAGE_PAIRS), cancel=cancel)
            counts = folder_counts(context)
            return ScanOutcome(
                report=report, pairs=pairs, image_count=sum(counts.values()),
                folder_counts=counts, skipped=tuple(context.skipped()),
            )

        worker = TaskWorker(task, self)
        worker.progressed.connect(self._on_worker_progressed)
        worker.finished.connect(self._on_worker_finished)
        worker.failed.connect(self._on_worker_failed)
        worker.cancelled.connect(self._on_worker_cancelled)
        self._worker = worker
        self.started.emit()
        worker.start()
        return True

    @Slot()
    def cancel(self) -> None:
        """First call: stop indexing (keep what is done, still group it). Second: stop all."""
        if self._worker is None:
            return
        if self._stage == STAGE_INDEX and self._index_token is not None and not self._index_token.cancelled:
            self._index_token.cancel()
        else:
            self._worker.cancel()

    def wait(self, msecs: int = 10000) -> bool:
        """Block until the worker thread ended (shutdown). True if no scan is left running."""
        worker = self._worker
        if worker is None:
            return True
        self.cancel()
        self.cancel()
        thread: QThread | None = worker.thread()   # None once Qt has deleted it
        return thread.wait(msecs) if thread is not None else True

    # --- worker reports --------------------------------------------------------------------------
    @Slot(object)
    def _on_worker_progressed(self, item: object) -> None:
        stage, progress = cast(tuple[str, Progress], item)
        self.progressed.emit(stage, progress)

    def _done(self) -> None:
        self._worker = None
        self._index_token = None
        self._stage = ""

    @Slot(object)
    def _on_worker_finished(self, outcome: object) -> None:
        self._done()
        self.finished.emit(outcome)

    @Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self._done()
        self.failed.emit(message)

    @Slot()
    def _on_worker_cancelled(self) -> None:
        self._done()
        self.cancelled.emit()

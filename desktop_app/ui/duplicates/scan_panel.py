"""The scan progress strip: bar with count, current file, rate and ETA, and Cancel."""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop_app.context.pairs import FINDING
from desktop_app.engine.progress import Progress
from desktop_app.ui.common.scale import format_duration
from desktop_app.ui.duplicates.scan_controller import STAGE_INDEX

log = logging.getLogger(__name__)


class ScanPanel(QFrame):
    """Shown while a scan runs. ``cancel_requested`` asks the controller to stop."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scanPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("<b>Scanning…</b>")
        self.title.setMinimumWidth(150)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(True)
        self.detail = QLabel()
        self.detail.setMinimumWidth(100)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("scanCancel")
        self.cancel_button.setToolTip("Stop scanning; everything scanned so far is kept and grouped")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.bar, 1)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.detail)
        self._stage = STAGE_INDEX
        self._index_stopped = False
        self.hide()

    def start(self) -> None:
        self._stage = STAGE_INDEX
        self._index_stopped = False
        self.title.setText("<b>Scanning…</b>")
        self.bar.setRange(0, 0)
        self.detail.setText("Looking for photos…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.show()

    def update_progress(self, stage: str, progress: Progress) -> None:
        self._stage = stage
        current = ""
        if stage == STAGE_INDEX:
            self.title.setText("<b>Reading photos</b>")
            unit = "files"
            current = os.path.basename(progress.current) if progress.current else ""
        elif progress.current == FINDING:   # the context's first phase of pair scoring
            self.title.setText("<b>Finding look-alikes</b>")
            unit = "photos"
        else:                                # then every candidate pair is verified
            self.title.setText("<b>Comparing photos</b>")
            unit = "pairs"
        if progress.total > 0:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
            self.bar.setFormat(f"{progress.done:,} / {progress.total:,} {unit}")
        parts = []
        if current:
            parts.append(current)
        if progress.rate > 0:
            parts.append(f"{progress.rate:,.0f} {unit}/s")
        if progress.eta_seconds is not None and progress.done < progress.total:
            parts.append(f"about {format_duration(progress.eta_seconds)} left")
        if stage != STAGE_INDEX:  # why a Cancel here loses nothing
            parts.append("work done is kept if you stop")
        self.detail.setText(" · ".join(parts))

    def _on_cancel_clicked(self) -> None:
        if self._stage == STAGE_INDEX and not self._index_stopped:
            # The first Cancel stops reading; what was read is still grouped (a second stops that).
            self._index_stopped = True
            self.cancel_button.setText("Stop Grouping Too")
            self.detail.setText("Stopped reading; grouping the photos read so far…")
        else:
            self.cancel_button.setText("Stopping…")
            self.cancel_button.setEnabled(False)
        self.cancel_requested.emit()

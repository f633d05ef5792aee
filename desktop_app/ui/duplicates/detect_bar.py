"""The detect bar: similarity threshold slider with the scale's words, group count, the bytes
the current marks would free, and the Archive button.

The slider regroups *live*: every move restarts a short timer and the latest value is emitted
as ``threshold_changed`` (dragging across 40 values regroups a few times, not 40; regrouping
itself is in-memory on cached pair scores).
"""

from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QVBoxLayout, QWidget

from desktop_app.ui.common.scale import format_bytes, scale_word

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 90
#: The scale's band edges (labelled under the slider): a drag that comes within SNAP of one
#: lands on it, so 70 and 90 are easy to hit with a mouse; other tens snap within 1.
BAND_EDGES = (50, 70, 90, 100)
SNAP = 2


def snap_threshold(value: int) -> int:
    """Where a dragged slider lands: the nearest band edge within :data:`SNAP`, else the
    nearest ten within 1, else ``value`` itself."""
    edge = min(BAND_EDGES, key=lambda e: abs(e - value))
    if abs(edge - value) <= SNAP:
        return edge
    ten = round(value / 10) * 10
    return ten if abs(ten - value) <= 1 else value


_LEGEND = (("unrelated", "< 50"), ("moderate", "50–69"), ("same subject", "70–89"),
           ("minor changes", "90–99"), ("identical", "100"))


class DetectBar(QWidget):
    """Threshold slider + summary + Archive button."""

    threshold_changed = Signal(int)     # debounced while dragging
    archive_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, debounce_ms: int = 40) -> None:
        super().__init__(parent)
        self.setObjectName("detectBar")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(DEFAULT_THRESHOLD)
        self.slider.setSingleStep(1)      # arrow keys: 1; Page Up/Down: 10
        self.slider.setPageStep(10)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(10)
        self.slider.setMinimumWidth(220)
        self.slider.setAccessibleName("Similarity threshold")
        self.slider.setToolTip("Files at least this similar to a group's original are grouped with it")
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(180)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.groups_label = QLabel()
        self.groups_label.setObjectName("groupsLabel")
        self.archive_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon), "Archive")
        self.archive_button.setObjectName("archiveButton")
        self.archive_button.setEnabled(False)
        self.archive_button.setToolTip("Move the files marked ✗ Archive to an archive folder or the trash (undoable)")
        self.archive_button.clicked.connect(self.archive_requested)
        # Room for the longest texts, so the slider doesn't jump as the counts change.
        metrics = self.archive_button.fontMetrics()
        self.archive_button.setMinimumWidth(metrics.horizontalAdvance("Archive 99,999 files (999.9 MB)") + 48)
        self.groups_label.setMinimumWidth(self.groups_label.fontMetrics().horizontalAdvance("999.9 MB reclaimable") + 8)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._emit_threshold)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.sliderMoved.connect(self._on_slider_dragged)   # the mouse only, not keys

        left = QVBoxLayout()
        row = QHBoxLayout()
        caption = QLabel("Similarity ≥")
        caption.setBuddy(self.slider)
        row.addWidget(caption)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        left.addLayout(row)
        left.addWidget(self.legend)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(left, 3)
        layout.addSpacing(16)
        layout.addWidget(self.groups_label, 1)
        layout.addWidget(self.archive_button)
        self._update_labels(self.slider.value())
        self.set_summary(None)

    # --- API ---------------------------------------------------------------------------------
    def threshold(self) -> int:
        return self.slider.value()

    def set_threshold(self, value: int, *, emit: bool = False) -> None:
        """Move the slider (e.g. restoring settings). ``emit`` regroups immediately."""
        self.slider.blockSignals(True)
        self.slider.setValue(int(value))
        self.slider.blockSignals(False)
        self._update_labels(self.slider.value())
        if emit:
            self._emit_threshold()

    def set_summary(self, groups: int | None, *, to_archive: int = 0, bytes_to_free: int = 0) -> None:
        """Show the group count and what archiving would free (``None``: nothing scanned)."""
        if groups is None:
            self.groups_label.setText("")
        else:
            text = f"<b>{groups:,}</b> group{'s' if groups != 1 else ''}"
            if groups:
                text += f"<br>{format_bytes(bytes_to_free)} reclaimable"
            self.groups_label.setText(text)
        self.archive_button.setText(
            f"Archive {to_archive:,} file{'s' if to_archive != 1 else ''} ({format_bytes(bytes_to_free)})"
            if to_archive else "Archive"
        )
        self.archive_button.setEnabled(to_archive > 0)

    def set_counting(self, groups: int | None) -> None:
        """The marks changed and what Archive would move is being counted (in the background):
        the button keeps its text until the count arrives (:meth:`set_summary`) but is usable,
        since the archive's plan queues behind the count. ``None``: no library."""
        if groups is None:
            self.set_summary(None)
        else:
            self.archive_button.setEnabled(groups > 0)

    # --- internals ---------------------------------------------------------------------------
    def _on_slider_dragged(self, value: int) -> None:
        snapped = snap_threshold(value)
        if snapped != value:
            self.slider.setSliderPosition(snapped)

    def _on_slider_value_changed(self, value: int) -> None:
        self._update_labels(value)
        self._timer.start()

    def _emit_threshold(self) -> None:
        self._timer.stop()
        self.threshold_changed.emit(self.slider.value())

    def flush(self) -> None:
        """Emit a pending debounced value now (tests, and before archiving)."""
        if self._timer.isActive():
            self._emit_threshold()

    def _update_labels(self, value: int) -> None:
        word = scale_word(value)
        self.value_label.setText(f"<b>{value}</b> · {html.escape(word)}")
        parts = []
        for name, span in _LEGEND:
            text = html.escape(f"{name} {span}")   # "< 50" must not open a tag
            parts.append(f"<b>{text}</b>" if name == word else f"<span style='opacity:0.6'>{text}</span>")
        self.legend.setText(" &nbsp;|&nbsp; ".join(parts))


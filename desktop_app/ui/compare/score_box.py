"""The Compare page's verdict: the score in its band's colour, the scale's word, and the evidence
(why the score is what it is, and how many keypoint matches agree)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.engine.types import Comparison
from desktop_app.ui.common.palette import band_colour
from desktop_app.ui.common.scale import format_score, scale_word


class ScoreBox(QWidget):
    """``score``, ``word`` and ``evidence`` labels; :meth:`show_comparison` fills them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bold = QFont(self.font())
        bold.setBold(True)
        self.score = QLabel("—", alignment=Qt.AlignmentFlag.AlignCenter)
        score_font = QFont(self.font())
        score_font.setPointSizeF(score_font.pointSizeF() * 2.6)
        score_font.setBold(True)
        self.score.setFont(score_font)
        self.score.setMinimumWidth(90)
        self.word = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.word.setFont(bold)
        self.evidence = QLabel("", alignment=Qt.AlignmentFlag.AlignCenter)
        self.evidence.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setSpacing(0)
        box.addWidget(self.score)
        box.addWidget(self.word)
        box.addWidget(self.evidence)
        self.setFixedWidth(300)

    def show_comparison(self, comparison: Comparison | None, relation: str = "") -> None:
        """The score, its word and the evidence; ``relation``: how the right image relates to the
        left ("rotated 90°"), said instead of the engine's reason when known."""
        if comparison is None:
            self.score.setText("—")
            self.score.setStyleSheet("")
            self.word.setText("")
            self.evidence.setText("")
            return
        score = comparison.score
        self.score.setText(format_score(score))
        self.score.setStyleSheet(f"color: {band_colour(score).name()};")
        self.word.setText(scale_word(score))
        what = f"right: {relation}" if relation else comparison.reason
        parts = [what] if what else []
        if comparison.matches:
            parts.append(f"{comparison.inliers} of {comparison.matches} keypoint matches agree")
        self.evidence.setText("\n".join(parts))

"""The Duplicates page's words: which empty state shows when, and a scan's one-line summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QStyle

from desktop_app.context.types import IndexReport, ScoredPairs, SkippedFile
from desktop_app.ui.duplicates.scan_controller import ScanOutcome
from desktop_app.ui.duplicates.texts import empty_text, lower_threshold, scan_text

READY: dict[str, Any] = dict(library=True, folders=True, scanning=False, opening=False, scanned=True,
                             all_archived=False, threshold=90)


@pytest.mark.parametrize(("changes", "title", "action"), [
    (dict(library=False, folders=False), "No library open", "Add a Folder…"),
    (dict(folders=False, scanning=True), "Add a folder to start", "Add a Folder…"),
    (dict(scanning=True, opening=True, scanned=False), "Scanning your photos…", ""),
    (dict(opening=True, scanned=False), "Opening the library…", ""),
    (dict(scanned=False), "Not scanned yet", "Scan Now"),
    (dict(all_archived=True), "All clean at 90", "Lower to 80"),
    ({}, "No duplicates at 90", "Lower to 80"),
    (dict(threshold=50), "No duplicates at 50", ""),
])
def test_the_first_state_that_applies_wins(changes: dict[str, Any], title: str, action: str) -> None:
    state = empty_text(**{**READY, **changes})
    assert (state.title, state.action) == (title, action)


def test_empty_states_carry_their_icons_and_explanations() -> None:
    assert empty_text(**{**READY, "folders": False}).icon is QStyle.StandardPixmap.SP_DirOpenIcon
    clean = empty_text(**{**READY, "all_archived": True})
    assert clean.icon is QStyle.StandardPixmap.SP_DialogApplyButton and "Undo Archive" in clean.text
    assert empty_text(**{**READY, "threshold": 40}).text == "No photos in these folders look alike."
    assert empty_text(**{**READY, "opening": True, "scanned": False}).icon is None


@pytest.mark.parametrize(("threshold", "lower"), [(90, 80), (87, 75), (55, 45), (5, 0)])
def test_lower_offers_ten_less_on_a_multiple_of_five(threshold: int, lower: int) -> None:
    assert lower_threshold(threshold) == lower


def _outcome(report: IndexReport, *, images: int, skipped: int = 0) -> ScanOutcome:
    empty = np.zeros(0, dtype=np.int64)
    return ScanOutcome(report=report, pairs=ScoredPairs(empty, empty, np.zeros(0, dtype=np.float32)),
                       image_count=images, skipped=tuple(SkippedFile(f"/p/{i}.jpg", "not an image") for i in range(skipped)))


def test_scan_text_says_what_changed_and_what_was_skipped() -> None:
    assert scan_text(_outcome(IndexReport(unchanged=3), images=3)) == "Scanned: 3 photos in the library"
    assert scan_text(_outcome(IndexReport(added=1200, removed=2, moved=1), images=12_345, skipped=2)) == (
        "Scanned: 12,345 photos in the library (1,200 new, 1 moved, 2 gone). 2 file(s) couldn't be read")
    assert scan_text(_outcome(IndexReport(updated=4, cancelled=True), images=10)) == (
        "Scan stopped: 10 photos in the library (4 changed). Scan again to read the rest")

"""What the Duplicates page says: the words of its empty states and of a scan's summary.

Pure functions of the page's state (no widgets), so each wording is decided — and tested — in
one place; :class:`~desktop_app.ui.duplicates.page.DuplicatesPage` shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtWidgets import QStyle

from desktop_app.ui.duplicates.scan_controller import ScanOutcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmptyText:
    """One empty state: a title, a line under it, the button's words ("" = no button) and a
    standard icon (None = no icon)."""

    title: str
    text: str = ""
    action: str = ""
    icon: QStyle.StandardPixmap | None = None


def lower_threshold(threshold: int) -> int:
    """The threshold the "Lower to N" button offers: 10 lower, down to a multiple of 5."""
    return max(0, (threshold - 10) // 5 * 5)


def empty_text(
    *,
    library: bool,
    folders: bool,
    scanning: bool,
    opening: bool,
    scanned: bool,
    all_archived: bool,
    threshold: int,
) -> EmptyText:
    """The empty state for: a library open (``library``) with ``folders``, a scan running or
    due (``scanning``), the review session still opening (``opening``), pair scores at hand
    (``scanned``), the last archive having emptied the groups (``all_archived``), at
    ``threshold``. The first that applies wins, in that order."""
    if not library:
        return EmptyText("No library open", "Add a folder of photos to start.", action="Add a Folder…")
    if not folders:
        return EmptyText(
            "Add a folder to start", "Choose a folder of photos (or drop one on the window).",
            action="Add a Folder…", icon=QStyle.StandardPixmap.SP_DirOpenIcon,
        )
    if scanning:
        return EmptyText("Scanning your photos…", "Groups of duplicates appear here when the scan is done.")
    if opening:
        return EmptyText("Opening the library…")
    if not scanned:
        return EmptyText("Not scanned yet", action="Scan Now")
    lower = f"Lower to {lower_threshold(threshold)}" if threshold > 50 else ""
    if all_archived:
        return EmptyText(
            f"All clean at {threshold}",
            "Every duplicate group at this threshold has been archived. Edit → Undo Archive puts "
            "the files back; lower the threshold to look for looser matches.",
            action=lower, icon=QStyle.StandardPixmap.SP_DialogApplyButton,
        )
    return EmptyText(
        f"No duplicates at {threshold}",
        "No two photos are this similar. Lower the threshold to find looser matches." if threshold > 50
        else "No photos in these folders look alike.",
        action=lower, icon=QStyle.StandardPixmap.SP_DialogApplyButton,
    )


def scan_text(outcome: ScanOutcome) -> str:
    """One line on a scan: "Scanned: 1,204 photos in the library (12 new, 3 gone). 2 file(s)
    couldn't be read" (no final full stop: the status bar shows it as is)."""
    report = outcome.report
    what = "Scan stopped" if outcome.index_cancelled else "Scanned"
    text = f"{what}: {outcome.image_count:,} photos in the library"
    changes = [f"{n:,} {label}" for n, label in (
        (report.added, "new"), (report.updated, "changed"), (report.moved, "moved"),
        (report.removed, "gone")) if n]
    if changes:
        text += " (" + ", ".join(changes) + ")"
    if outcome.index_cancelled:
        text += ". Scan again to read the rest"
    if outcome.skipped:
        text += f". {len(outcome.skipped):,} file(s) couldn't be read"
    return text


__all__ = ["EmptyText", "empty_text", "lower_threshold", "scan_text"]

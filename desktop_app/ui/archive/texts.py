"""What the archive flow's summaries say: the Duplicates page's message bar (full, with the counts
in bold) and the Find Similar page's one-line notice. One sentence per fact, files named."""

from __future__ import annotations

import os

from desktop_app.ui.common.scale import format_bytes
from desktop_app.workflow.archive import ArchiveResult
from desktop_app.workflow.archive_controller import (
    ARCHIVED,
    CANCELLED,
    FAILED,
    KEPT_REASON,
    NOTHING,
    UNDONE,
    ArchiveSummary,
)

_RANK = {"info": 0, "warning": 1, "error": 2}


def _joined(head: str, *parts: tuple[object, str, str]) -> tuple[str, str]:
    """The message and its kind: ``head``, then each (condition, sentence, kind) whose condition
    holds; the most serious kind wins ("" leaves the kind as it is)."""
    text, kind = head, "info"
    for condition, sentence, level in parts:
        if condition:
            text += " " + sentence
            if level and _RANK[level] > _RANK[kind]:
                kind = level
    return text, kind


def names(items: tuple[tuple[str, str], ...], limit: int = 3) -> str:
    """"'a.jpg': reason; 'b.jpg': reason; and 4 more": the files a summary names."""
    text = "; ".join(f"'{os.path.basename(p)}': {r}" for p, r in items[:limit])
    return text + (f"; and {len(items) - limit} more" if len(items) > limit else "")


def archived_head(result: ArchiveResult, planned: int, where: str, *, bold: bool = False) -> str:
    """The summary's first sentence: "Archived 3 files (2 MB) to 'X'.", or, when the archive
    stopped part-way, "Archived 3 of 10 files (2 MB) to 'X', then stopped." — never a claim that
    nothing moved when something did."""
    photos = sum(1 for m in result.moved if not m.companion_of)
    companions = len(result.moved) - photos
    count = f"{photos:,}"
    if bold:
        count = f"<b>{count}</b>"
    # Companion files (sidecars, Live Photo videos) travel with their photos: counted apart.
    size = format_bytes(result.bytes_freed) + (f", with {companions:,} companion file(s)" if companions else "")
    if (result.cancelled or result.stopped) and planned > photos:
        return f"Archived {count} of {planned:,} files ({size}) to {where}, then stopped."
    return f"Archived {count} file(s) ({size}) to {where}."


def message_bar_text(summary: ArchiveSummary) -> tuple[str, str]:
    """(rich text, kind) for the Duplicates page's message bar: archived, undone or failed."""
    if summary.kind == ARCHIVED and summary.result is not None:
        result = summary.result
        kept = tuple((p, r) for p, r in result.skipped if r == KEPT_REASON)
        skipped = tuple((p, r) for p, r in result.skipped if r != KEPT_REASON)
        return _joined(
            archived_head(result, summary.planned, summary.where, bold=True),
            (kept, f"{len(kept)} kept in the library, as you chose: only "
                   f"{'it has' if len(kept) == 1 else 'they have'} something the kept files don't "
                   f"({', '.join(repr(os.path.basename(p)) for p, _ in kept[:3])}{' …' if len(kept) > 3 else ''}).", ""),
            (skipped, f"{len(skipped)} changed since the scan and were left in place: "
                      f"{names(skipped)}.", "warning"),
            (result.errors, f"{len(result.errors)} couldn't be moved and are still in place: {names(result.errors)}.",
             "warning"),
            (result.stopped, f"Archiving stopped: {result.stopped}.", "error"),
            (result.cancelled, "You cancelled: the rest were not moved (Undo puts these back).", ""),
        )
    if summary.kind == UNDONE and summary.undo is not None:
        undo = summary.undo
        return _joined(
            f"Undone: <b>{len(undo.restored) + len(undo.already):,}</b> file(s) are back in their folders.",
            (undo.refused, f"{len(undo.refused)} couldn't be restored: {names(undo.refused)}.", "warning"),
            (undo.stopped, f"Stopped: {undo.stopped}.", "error"),
            (undo.cancelled, "You cancelled: the rest stay in the archive (Undo brings them back).", ""),
        )
    return status_text(summary), "error" if summary.kind == FAILED else "info"


def status_text(summary: ArchiveSummary) -> str:
    """The Duplicates page's status-bar line for a flow that did not run."""
    if summary.kind == NOTHING:
        return "Nothing is marked for archiving"
    if summary.kind == CANCELLED:
        return "Archive cancelled; nothing moved"
    return summary.message


def notice_text(summary: ArchiveSummary) -> str:
    """The Find Similar page's one-line notice."""
    if summary.kind == ARCHIVED and summary.result is not None:
        result = summary.result
        text = archived_head(result, summary.planned, summary.where)
        problems = list(result.errors) + list(result.skipped)
        if problems:
            text += f" {len(problems)} not moved: {problems[0][1]}."
        return text
    if summary.kind == UNDONE and summary.undo is not None:
        undo = summary.undo
        text = f"Restored {len(undo.restored) + len(undo.already)} file(s)."
        if undo.refused:
            text += f" {len(undo.refused)} could not be restored: {undo.refused[0][1]}."
        return text
    if summary.kind == NOTHING:
        return "Nothing is marked for archiving" + (
            f" ({len(summary.refused)} marked file(s) must stay: {summary.refused[0][1]})." if summary.refused else ".")
    if summary.kind == CANCELLED:
        return "Archive cancelled; nothing moved."
    return summary.message

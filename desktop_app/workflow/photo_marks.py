"""Hand marks on photos, as a photographer thinks of them (one rule for every front end): a
camera RAW and its JPEG (same folder, same base name; ``DuplicateGroup.partner``) are one photo,
so a click marks both.

The workflow's :class:`~desktop_app.workflow.session.ReviewSession` checks and saves every mark;
this only decides which files a click is about. When the pair can't move together (the pair is
the whole group, so archiving both would leave nothing kept) the clicked file alone is marked —
the one way to keep only the RAW or only the JPEG by hand.
"""

from __future__ import annotations

import logging

from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.session import ReviewSession

log = logging.getLogger(__name__)


def set_photo_mark(session: ReviewSession, path: str, mark: Mark, *, group: DuplicateGroup | None = None) -> list[str]:
    """Mark ``path`` and its RAW/JPEG partner (when both may take ``mark``). Returns the paths
    marked, clicked file first. Raises SelectionError (the reason) when ``path`` may not.
    ``group``: the group to mark in (default: the session's current group of ``path``)."""
    target = session.group_of(path) if group is None else group
    paths = [path]
    partner = target.partner(path)
    if partner is not None and target.member(partner).mark is not mark \
            and target.check_marks({path: mark, partner: mark}) is None:
        paths.append(partner)
    # One file at a time through the session (it saves each): archiving the first of two is
    # allowed whenever archiving both is, so no step passes through a refused state.
    for p in paths:
        session.set_mark(p, mark, group=group)
    return paths


def toggle_photo(session: ReviewSession, path: str) -> tuple[Mark, list[str]]:
    """Flip the mark of the photo ``path`` belongs to; (new mark, paths changed)."""
    current = session.group_of(path).member(path).mark
    new = Mark.KEEP if current is Mark.ARCHIVE else Mark.ARCHIVE
    return new, set_photo_mark(session, path, new)

"""Keep rules: which copy of a photo to keep.

Each rule is a criterion with a sort key (lower = better to keep), as in dupeGuru's
``core/prioritize.py``; a chain of rules compares members on the first rule, then the next one
breaks ties, in the order the user gave. Whatever the chain says, files in protected folders
stay kept and at least one photo of every group stays kept.

Names usable from the CLI: ``highest-resolution``, ``largest``, ``lossless``, ``oldest``,
``newest``, ``most-metadata``, ``protected``, ``path:<glob>``, ``raw``, ``jpeg``.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Protocol, Sequence

from desktop_app.workflow.groups import DuplicateGroup, Mark, Member

log = logging.getLogger(__name__)


class SortValue(Protocol):
    """What a rule's key returns: anything ``min`` can order (numbers, tuples, strings)."""

    def __lt__(self, other: Any, /) -> bool: ...


SortKey = Callable[[Member], SortValue]


@dataclass(frozen=True)
class KeepRule:
    """A named criterion: ``key(member)`` is smaller for the member more worth keeping."""

    name: str
    description: str
    key: SortKey
    #: RAW/JPEG rules decide *within* a RAW+JPEG pair; other rules treat the pair as one photo.
    splits_pairs: bool = False

    def __str__(self) -> str:
        return self.name


def _time_taken(member: Member) -> tuple[float, float]:
    """EXIF date taken if known (local time, as cameras write it), else the file's mtime; the
    mtime breaks ties between equal dates."""
    taken = member.mtime
    if member.date_taken:
        try:
            taken = datetime.fromisoformat(member.date_taken.replace("Z", "")).timestamp()
        except (ValueError, OverflowError, OSError):
            log.debug("unreadable date %r on %s", member.date_taken, member.path)
    return (taken, member.mtime)


def _newest(member: Member) -> tuple[float, float]:
    taken, mtime = _time_taken(member)
    return (-taken, -mtime)


def _path_rule(pattern: str) -> KeepRule:
    def key(member: Member) -> int:
        # A pattern without a separator matches the file name ("*_edit.*"); otherwise the path.
        target = member.path if ("/" in pattern or os.sep in pattern) else member.name
        return 0 if fnmatch.fnmatch(target, pattern) else 1

    return KeepRule(f"path:{pattern}", f"keep files matching {pattern}", key)


RULES: dict[str, KeepRule] = {
    rule.name: rule
    for rule in (
        KeepRule("highest-resolution", "keep the highest resolution", lambda m: -m.pixels),
        KeepRule("largest", "keep the largest file", lambda m: -m.size),
        KeepRule("lossless", "keep lossless over lossy", lambda m: 0 if m.lossless else 1),
        KeepRule("oldest", "keep the oldest (date taken, then file date)", _time_taken),
        KeepRule("newest", "keep the newest (date taken, then file date)", _newest),
        KeepRule("most-metadata", "keep the one with most metadata", lambda m: -m.metadata_count),
        KeepRule("protected", "keep the one in a protected folder", lambda m: 0 if m.protected else 1),
        KeepRule("raw", "keep the RAW of a RAW+JPEG pair", lambda m: 0 if m.is_raw else 1, True),
        KeepRule("jpeg", "keep the JPEG of a RAW+JPEG pair", lambda m: 0 if m.is_jpeg else 1, True),
    )
}


def rule(name: str) -> KeepRule:
    """The rule called ``name`` (``path:<glob>`` included). Raises ValueError for unknown names."""
    name = name.strip()
    if name.startswith("path:") and len(name) > 5:
        return _path_rule(name[5:])
    try:
        return RULES[name.lower()]
    except KeyError:
        known = ", ".join([*RULES, "path:<glob>"])
        raise ValueError(f"Unknown keep rule '{name}'; choose from {known}") from None


def parse_rules(spec: str | Iterable[str | KeepRule]) -> list[KeepRule]:
    """``"highest-resolution,oldest"`` (or a list of names/rules) -> rules, in that order."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    rules = [item if isinstance(item, KeepRule) else rule(item) for item in items if str(item).strip()]
    if not rules:
        raise ValueError("No keep rule given")
    return rules


def _unit_key(unit: Sequence[Member], rules: Sequence[KeepRule]) -> tuple[object, ...]:
    # A RAW+JPEG pair competes with its best member on each criterion.
    return tuple(min(r.key(m) for m in unit) for r in rules)


def choose(group: DuplicateGroup, rules: Sequence[KeepRule]) -> dict[str, tuple[Mark, str]]:
    """Marks the chain proposes for ``group``: path -> (mark, chosen_by). Pure; see
    :func:`apply_rules` to set them."""
    rules = list(rules)
    split = any(r.splits_pairs for r in rules)
    units = [(m,) for m in group.members] if split else group.units()
    keys = [_unit_key(u, rules) for u in units]
    # Ties on every criterion: the earlier unit wins, so the original is kept.
    best = min(range(len(units)), key=lambda i: (keys[i], i))
    names = [r.name for r in rules]
    result: dict[str, tuple[Mark, str]] = {}
    for i, unit in enumerate(units):
        if i == best:
            decided = "rule:" + names[0]
            mark = Mark.KEEP
        else:
            decisive = next((n for n, a, b in zip(names, keys[i], keys[best]) if a != b), None)
            decided = f"rule:{decisive}" if decisive else "rule:original"
            mark = Mark.ARCHIVE
        for m in unit:
            if m.protected:
                result[m.path] = (Mark.KEEP, "protected")
            else:
                result[m.path] = (mark, decided)
    return result


def apply_rules(
    groups: Iterable[DuplicateGroup], rules: str | Sequence[KeepRule | str]
) -> list[DuplicateGroup]:
    """Set the marks the rule chain proposes on every group given (all, or a chosen subset).
    Protected files stay kept; returns the groups changed."""
    chain = parse_rules(rules)
    changed = []
    for group in groups:
        before = {m.path: m.mark for m in group.members}
        # One all-or-nothing change per group; choose() never archives a whole group or a
        # protected file, and the group would refuse it anyway.
        group.apply_proposal(choose(group, chain))
        if before != {m.path: m.mark for m in group.members}:
            changed.append(group)
    return changed

"""Keep rules: which copy of a photo to keep.

Each rule is a criterion with a sort key (lower = better to keep), as in dupeGuru's
``core/prioritize.py``; a chain of rules compares members on the first rule, then the next one
breaks ties, in the order the user gave. Whatever the chain says, files in protected folders
stay kept and at least one photo of every group stays kept.

Names usable from the CLI: ``highest-resolution``, ``largest``, ``lossless``, ``oldest``,
``newest``, ``most-metadata``, ``protected``, ``path:<glob>``, ``raw``, ``jpeg``.

Relation rules mark copies by how they relate to the group's original, for example
``archive:resized`` ("archive resized copies") or ``keep:cropped`` ("keep crops"); the names are
the relation names (:class:`~desktop_app.engine.relation.RelationKind`). In a chain they apply
after the keep rules, in order, a later one winning.

**A user's marks are theirs**: a rule changes only members the user has not marked by hand,
unless it is applied with ``override=True``; :class:`RulesOutcome` says how many were left alone.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Protocol, Sequence, Union

from desktop_app.engine.relation import RelationKind
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member, SelectionError

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


@dataclass(frozen=True)
class RelationRule:
    """Mark every copy with relation ``kind`` (never the original, never a protected file)."""

    kind: RelationKind
    mark: Mark

    @property
    def name(self) -> str:
        return f"{self.mark.value}:{self.kind.value}"

    @property
    def description(self) -> str:
        return f"{self.mark.value} {RELATION_NOUNS.get(self.kind, self.kind.value)}"

    def __str__(self) -> str:
        return self.name


#: What a relation rule's menu entry calls the copies it marks.
RELATION_NOUNS: dict[RelationKind, str] = {
    RelationKind.EXACT_COPY: "exact copies",
    RelationKind.SAME_PIXELS: "same-pixel conversions",
    RelationKind.RECOMPRESSED: "recompressed copies",
    RelationKind.RESIZED: "resized copies",
    RelationKind.CROPPED: "crops",
    RelationKind.BORDER: "copies with borders or letterbox",
    RelationKind.ROTATED: "rotated copies",
    RelationKind.MIRRORED: "mirrored copies",
    RelationKind.STRAIGHTENED: "straightened copies",
    RelationKind.BLACK_AND_WHITE: "black-and-white versions",
    RelationKind.EDITED: "colour/tone edits",
    RelationKind.OTHER_SHOT: "other shots of the scene",
}

#: The relation rules offered in menus and ``--help`` (every kind a member can have).
RELATION_RULES: list[RelationRule] = [
    RelationRule(kind, mark) for mark in (Mark.ARCHIVE, Mark.KEEP) for kind in RELATION_NOUNS]

Rule = Union[KeepRule, RelationRule]


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


def rule(name: str) -> Rule:
    """The rule called ``name`` (``path:<glob>``, ``keep:<relation>`` and
    ``archive:<relation>`` included). Raises ValueError for unknown names."""
    name = name.strip()
    if name.startswith("path:") and len(name) > 5:
        return _path_rule(name[5:])
    verb, _, kind = name.lower().partition(":")
    if kind and verb in ("keep", "archive"):
        try:
            return RelationRule(RelationKind(kind), Mark(verb))
        except ValueError:
            kinds = ", ".join(k.value for k in RELATION_NOUNS)
            raise ValueError(f"Unknown relation '{kind}' in rule '{name}'; choose from {kinds}") from None
    try:
        return RULES[name.lower()]
    except KeyError:
        known = ", ".join([*RULES, "path:<glob>", "keep:<relation>", "archive:<relation>"])
        raise ValueError(f"Unknown keep rule '{name}'; choose from {known}") from None


def parse_rules(spec: str | Iterable[str | Rule]) -> list[Rule]:
    """``"highest-resolution,oldest"`` (or a list of names/rules) -> rules, in that order."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    rules = [item if isinstance(item, (KeepRule, RelationRule)) else rule(item)
             for item in items if str(item).strip()]
    if not rules:
        raise ValueError("No keep rule given")
    return rules


def _unit_key(unit: Sequence[Member], rules: Sequence[KeepRule]) -> tuple[object, ...]:
    # A RAW+JPEG pair competes with its best member on each criterion.
    return tuple(min(r.key(m) for m in unit) for r in rules)


def choose(group: DuplicateGroup, rules: Sequence[Rule], *,
           skip: frozenset[str] = frozenset()) -> dict[str, tuple[Mark, str]]:
    """Marks the chain proposes for ``group``: path -> (mark, chosen_by). Pure; see
    :func:`apply_rules` to set them. Members in ``skip`` (marked by hand) get no proposal and
    are not chosen to keep by the keep rules: the user's own marks decide those."""
    keep_rules = [r for r in rules if isinstance(r, KeepRule)]
    relation_rules = [r for r in rules if isinstance(r, RelationRule)]
    result: dict[str, tuple[Mark, str]] = {}
    if keep_rules:
        split = any(r.splits_pairs for r in keep_rules)
        units = [(m,) for m in group.members] if split else group.units()
        open_units = [i for i, u in enumerate(units) if not any(m.path in skip for m in u)]
        if open_units:
            keys = {i: _unit_key(units[i], keep_rules) for i in open_units}
            # Ties on every criterion: the earlier unit wins, so the original is kept.
            best = min(open_units, key=lambda i: (keys[i], i))
            names = [r.name for r in keep_rules]
            for i in open_units:
                if i == best:
                    mark, decided = Mark.KEEP, "rule:" + names[0]
                else:
                    decisive = next((n for n, a, b in zip(names, keys[i], keys[best]) if a != b), None)
                    mark, decided = Mark.ARCHIVE, f"rule:{decisive}" if decisive else "rule:original"
                for m in units[i]:
                    result[m.path] = (mark, decided)
    for rel_rule in relation_rules:
        for m in group.members[1:]:
            if m.path not in skip and m.relation is not None and m.relation.kind is rel_rule.kind:
                result[m.path] = (rel_rule.mark, f"rule:{rel_rule.name}")
    for m in group.members:
        if m.protected and m.path in result:
            result[m.path] = (Mark.KEEP, "protected")
    return result


@dataclass
class RulesOutcome:
    """What applying a rule chain did: the groups it changed, and how many photos it left alone
    because the user had marked them by hand."""

    changed: list[DuplicateGroup]
    left_alone: int = 0
    refused: int = 0            # groups where the chain would have archived every photo


def apply_rules_outcome(groups: Iterable[DuplicateGroup], rules: str | Sequence[Rule | str], *,
                        override: bool = False) -> RulesOutcome:
    """Set the marks the rule chain proposes on every group given (all, or a chosen subset).

    Hand marks are left alone unless ``override``; protected files stay kept; a group is never
    archived whole (the chain's proposal for such a group is dropped and counted as refused).
    """
    chain = parse_rules(rules)
    outcome = RulesOutcome([])
    for group in groups:
        skip = frozenset() if override else frozenset(m.path for m in group.members if m.marked_by_hand)
        outcome.left_alone += len(skip)
        before = {m.path: m.mark for m in group.members}
        try:
            # One all-or-nothing change per group; the group refuses archiving it whole.
            group.apply_proposal(choose(group, chain, skip=skip))
        except SelectionError:
            outcome.refused += 1
            continue
        if before != {m.path: m.mark for m in group.members}:
            outcome.changed.append(group)
    return outcome


def apply_rules(
    groups: Iterable[DuplicateGroup], rules: str | Sequence[Rule | str], *, override: bool = False
) -> list[DuplicateGroup]:
    """Set the marks the rule chain proposes (see :func:`apply_rules_outcome`); returns the
    groups changed."""
    return apply_rules_outcome(groups, rules, override=override).changed

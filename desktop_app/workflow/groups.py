"""Duplicate groups under review: members with the facts a photographer decides on, and a
keep/archive mark per member.

The group is the guardian of two promises, so that no UI or script can break them:

* at least one member of every group stays kept (a whole group is never archived);
* a file inside a protected ("reference") folder is never marked for archiving.

A RAW file and its camera JPEG (same folder, same base name) are one photo to a photographer:
they form a *unit* that rules keep or archive together, unless the user explicitly asks for the
RAW or the JPEG only (rules ``raw`` / ``jpeg``).
"""

from __future__ import annotations

import enum
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Iterator

from desktop_app.engine.relation import Relation
from desktop_app.errors import LookalikeError
from desktop_app.workflow.paths import relative_to_root

log = logging.getLogger(__name__)

#: File extensions of camera RAW formats (lower case, with the dot).
RAW_EXTENSIONS = frozenset(
    {
        ".3fr", ".ari", ".arw", ".bay", ".cr2", ".cr3", ".crw", ".dcr", ".dng", ".erf", ".fff",
        ".iiq", ".k25", ".kdc", ".mef", ".mos", ".mrw", ".nef", ".nrw", ".orf", ".pef", ".raf",
        ".raw", ".rw2", ".rwl", ".sr2", ".srf", ".srw", ".x3f",
    }
)
JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe"})


class SelectionError(LookalikeError):
    """A mark was refused because it would break a promise (whole group archived, protected
    file archived). ``str(err)`` is the one-sentence reason shown to the user."""


class Mark(str, enum.Enum):
    """What happens to a member when the plan is carried out."""

    KEEP = "keep"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class Member:
    """One file of a duplicate group, with the facts rules and the review table need."""

    path: str
    image_id: int = -1
    width: int = 0
    height: int = 0
    format: str = ""
    lossless: bool = False
    size: int = 0
    date_taken: str | None = None   # EXIF DateTimeOriginal, ISO 8601, if any
    mtime_ns: int = 0
    camera: str | None = None
    root: str = ""                  # library root (context folder) the file lives under
    protected: bool = False         # inside a protected ("reference") folder
    similarity: float = 100.0       # to the group's original
    metadata_count: int = 0
    content_hash: str = ""          # as indexed; re-checked right before the file moves
    mark: Mark = Mark.KEEP
    chosen_by: str = "default"      # "default", "hand", "rule:<name>", "protected", "saved"
    relation: Relation | None = None  # how it relates to the group's original (None: unknown)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def relation_kind(self) -> str:
        """The relation's machine name ("resized", "cropped", ...), "" when unknown."""
        return "" if self.relation is None else self.relation.kind.value

    @property
    def relation_label(self) -> str:
        """The relation as shown to the user ("resized to 25 %", "rotated 90°"), or ""."""
        return "" if self.relation is None else self.relation.label

    @property
    def marked_by_hand(self) -> bool:
        return self.chosen_by == "hand"

    @property
    def mtime(self) -> float:
        """Modification time in seconds since the epoch."""
        return self.mtime_ns / 1e9

    @cached_property
    def name(self) -> str:
        return os.path.basename(self.path)

    @cached_property
    def folder(self) -> str:
        return os.path.dirname(self.path)

    @cached_property
    def extension(self) -> str:
        return os.path.splitext(self.path)[1].lower()

    @property
    def is_raw(self) -> bool:
        return self.extension in RAW_EXTENSIONS or self.format.upper() == "RAW"

    @property
    def is_jpeg(self) -> bool:
        return self.extension in JPEG_EXTENSIONS or self.format.upper() in {"JPEG", "MPO"}

    @property
    def relative_path(self) -> str:
        """Path relative to the library root (what the archive folder mirrors)."""
        return relative_to_root(self.path, self.root)


def pair_key(member: Member) -> tuple[str, str]:
    """(folder, base name without extension), case-folded: RAW+JPEG partners share it."""
    stem = os.path.splitext(member.name)[0]
    return (os.path.normcase(member.folder), stem.casefold())


def with_mark(member: Member, mark: Mark, chosen_by: str) -> Member:
    """A copy of ``member`` with another mark (a fast ``dataclasses.replace``: only the mark
    fields change, so cached path properties stay valid)."""
    copy = object.__new__(Member)
    copy.__dict__.update(member.__dict__)
    copy.__dict__["mark"] = mark
    copy.__dict__["chosen_by"] = chosen_by
    return copy


def find_raw_jpeg_pairs(members: Iterable[Member]) -> list[tuple[str, str]]:
    """(raw path, jpeg path) for every RAW+JPEG pair among ``members`` (one JPEG per RAW)."""
    members = list(members)
    if not any(m.is_raw for m in members):
        return []
    by_key: dict[tuple[str, str], list[Member]] = {}
    for member in members:
        by_key.setdefault(pair_key(member), []).append(member)
    pairs = []
    for same in by_key.values():
        raws = [m for m in same if m.is_raw]
        jpegs = [m for m in same if m.is_jpeg and not m.is_raw]
        if len(raws) == 1 and len(jpegs) == 1:
            pairs.append((raws[0].path, jpegs[0].path))
    return pairs


@dataclass
class DuplicateGroup:
    """Members of one duplicate cluster, the original first, each with a mark.

    Marks change only through :meth:`set_mark` / :meth:`toggle` / :meth:`set_marks`, which refuse
    (raise :class:`SelectionError`) any state with every member archived or a protected file
    archived. ``members`` is a tuple of frozen :class:`Member` values, replaced on each change.
    """

    members: tuple[Member, ...]
    index: int = 0
    reason: str = ""            # why the original is the original ("camera file, earliest ...")
    _by_path: dict[str, int] = field(init=False, repr=False, default_factory=dict)
    _partner: dict[str, str] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a duplicate group needs at least one member")
        self.members = tuple(self.members)
        self._by_path = {m.path: i for i, m in enumerate(self.members)}
        for raw, jpeg in find_raw_jpeg_pairs(self.members):
            self._partner[raw] = jpeg
            self._partner[jpeg] = raw
        if all(m.mark is Mark.ARCHIVE for m in self.members):
            # Never start in a forbidden state: the original stays.
            self._replace(0, mark=Mark.KEEP, chosen_by="default")
        for i, m in enumerate(self.members):
            if m.protected and m.mark is Mark.ARCHIVE:
                self._replace(i, mark=Mark.KEEP, chosen_by="protected")

    # --- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __contains__(self, path: object) -> bool:
        return path in self._by_path

    @property
    def original(self) -> Member:
        return self.members[0]

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(m.path for m in self.members)

    def member(self, path: str) -> Member:
        try:
            return self.members[self._by_path[str(path)]]
        except KeyError:
            raise KeyError(f"'{path}' is not in this group") from None

    @property
    def kept(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.mark is Mark.KEEP)

    @property
    def archived(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.mark is Mark.ARCHIVE)

    def partner(self, path: str) -> str | None:
        """The RAW (or JPEG) partner of ``path`` in this group, if it has one."""
        return self._partner.get(str(path))

    @property
    def raw_jpeg_pairs(self) -> list[tuple[str, str]]:
        return [(raw, jpeg) for raw, jpeg in self._partner.items() if self.member(raw).is_raw]

    def units(self) -> list[tuple[Member, ...]]:
        """Members grouped into photos: a RAW+JPEG pair is one unit, other files are alone.
        Ordered by the position of the unit's first member (the original's unit first)."""
        seen: set[str] = set()
        units: list[tuple[Member, ...]] = []
        for m in self.members:
            if m.path in seen:
                continue
            partner = self._partner.get(m.path)
            unit: tuple[Member, ...] = (m,) if partner is None else (m, self.member(partner))
            seen.update(u.path for u in unit)
            units.append(unit)
        return units

    # --- changing --------------------------------------------------------------------------
    def _replace(self, i: int, *, mark: Mark | None = None, chosen_by: str | None = None) -> None:
        self._apply({i: (mark, chosen_by)})

    def _apply(self, changes: dict[int, tuple[Mark | None, str | None]]) -> None:
        """Rebuild the members tuple once for a batch of (mark, chosen_by) changes."""
        members = list(self.members)
        for i, (mark, chosen_by) in changes.items():
            m = members[i]
            mark = m.mark if mark is None else mark
            chosen_by = m.chosen_by if chosen_by is None else chosen_by
            if mark is not m.mark or chosen_by != m.chosen_by:
                members[i] = with_mark(m, mark, chosen_by)
        self.members = tuple(members)

    def check_marks(self, marks: dict[str, Mark]) -> str | None:
        """Why the given new marks (path -> mark, others unchanged) are refused, or None."""
        final = {m.path: marks.get(m.path, m.mark) for m in self.members}
        for m in self.members:
            if final[m.path] is Mark.ARCHIVE and m.protected:
                return (
                    f"'{m.name}' is in a protected folder and is never archived; "
                    "unprotect the folder first"
                )
        if all(mark is Mark.ARCHIVE for mark in final.values()):
            return "At least one file of every group is kept; mark another file to keep first"
        return None

    def set_marks(self, marks: dict[str, Mark], *, chosen_by: str = "hand") -> None:
        """Change several marks at once (all or nothing). Raises :class:`SelectionError`."""
        marks = {str(p): Mark(v) for p, v in marks.items()}
        unknown = [p for p in marks if p not in self._by_path]
        if unknown:
            raise KeyError(f"'{unknown[0]}' is not in this group")
        reason = self.check_marks(marks)
        if reason:
            raise SelectionError(reason)
        self._apply({self._by_path[path]: (mark, chosen_by) for path, mark in marks.items()})

    def apply_proposal(self, proposal: dict[str, tuple[Mark, str]], *, credit_unchanged: bool = False) -> None:
        """Set marks each with its own reason (path -> (mark, chosen_by)), all or nothing.

        A rule takes credit only for the marks it changes: a member that already had the mark a
        ``rule:`` reason proposes keeps its own reason ("proposal", "you"), so the archive plan
        says honestly who chose each file. ``credit_unchanged``: take every reason as given
        (saved marks re-applied as they were recorded)."""
        marks = {str(p): Mark(m) for p, (m, _) in proposal.items()}
        reason = self.check_marks(marks)
        if reason:
            raise SelectionError(reason)
        changes: dict[int, tuple[Mark | None, str | None]] = {}
        for p, (m, c) in proposal.items():
            i = self._by_path[str(p)]
            current = self.members[i]
            keep_reason = not credit_unchanged and c.startswith("rule:") and current.mark is Mark(m)
            changes[i] = (Mark(m), current.chosen_by if keep_reason else c)
        self._apply(changes)

    def set_mark(self, path: str, mark: Mark, *, chosen_by: str = "hand") -> None:
        """Mark one member. Raises :class:`SelectionError` with the reason when refused."""
        self.set_marks({str(path): mark}, chosen_by=chosen_by)

    def toggle(self, path: str) -> Mark:
        """Flip one member's mark by hand; returns the new mark (raises when refused)."""
        new = Mark.KEEP if self.member(path).mark is Mark.ARCHIVE else Mark.ARCHIVE
        self.set_mark(path, new, chosen_by="hand")
        return new

    def reset(self) -> None:
        """Back to the default proposal: see :func:`default_marks`."""
        self._apply({i: (Mark.KEEP, "default") for i in range(len(self.members))})
        self.set_marks(default_marks(self), chosen_by="default")

    # --- summaries -------------------------------------------------------------------------
    @property
    def bytes_to_free(self) -> int:
        return sum(m.size for m in self.archived)

    @property
    def original_archived(self) -> bool:
        """The original is marked for archiving (by hand or a rule): the badge must say so."""
        return self.original.mark is Mark.ARCHIVE

    def original_badge(self) -> str:
        """The original's badge, never contradicting its mark: "ORIGINAL" while it is kept,
        "ORIGINAL · ARCHIVE" when a hand or a rule marked it for archiving."""
        return "ORIGINAL · ARCHIVE" if self.original_archived else "ORIGINAL"


#: Without a relation (a group built from scores alone), only copies at least this similar to
#: the original ("same photo, minor changes" on the scale) are proposed for archiving.
PROPOSE_ARCHIVE_AT = 90.0


def proposed_for_archive(member: Member) -> bool:
    """Does the default proposal archive this copy of the original?

    Only copies that lose nothing of the original: exact copies, same-pixel conversions,
    recompressions and smaller resizes. Crops, rotations, mirrors, borders, black and white,
    colour edits and other shots are a photographer's call: kept until a hand or a rule (applied
    on purpose) says otherwise. Without a known relation, the score decides
    (:data:`PROPOSE_ARCHIVE_AT`).
    """
    if member.relation is not None:
        return member.relation.proposes_archive
    return member.similarity >= PROPOSE_ARCHIVE_AT


def default_marks(group: DuplicateGroup) -> dict[str, Mark]:
    """The proposal before any rule or hand: the original's photo (with its RAW/JPEG partner)
    is kept, files in protected folders are kept, a copy is proposed for archiving only when
    :func:`proposed_for_archive` says so (a RAW+JPEG pair only when both are)."""
    marks: dict[str, Mark] = {}
    for n, unit in enumerate(group.units()):
        archive = n > 0 and all(proposed_for_archive(m) and not m.protected for m in unit)
        for m in unit:
            marks[m.path] = Mark.ARCHIVE if archive else Mark.KEEP
    return marks

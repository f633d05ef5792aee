"""Archive plans: what will move where, for the user to confirm before anything moves.

``plan_archive`` turns the marks of a review into an :class:`ArchivePlan` (files, bytes freed,
destination per file); the plan itself is the dry run. :func:`desktop_app.workflow.archive.execute`
carries it out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Protocol, runtime_checkable

from desktop_app.errors import ArchiveError
from desktop_app.workflow.fileops import unique_destination
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.journal import now_iso
from desktop_app.workflow.keepers import Keeper
from desktop_app.workflow.paths import overlaps


@dataclass(frozen=True)
class ArchiveFolder:
    """Move files under ``path``, keeping each one's path relative to its library root."""

    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class Trash:
    """Move files to the system trash (the backend is passed to :func:`execute`)."""

    def __str__(self) -> str:
        return "trash"


Destination = ArchiveFolder | Trash


@dataclass(frozen=True)
class PlanEntry:
    source: str
    destination: str            # proposed place ("trash" for the trash); re-resolved at execution
    size: int
    mtime_ns: int
    content_hash: str           # as indexed
    root: str
    group: int
    similarity: float
    chosen_by: str              # "rule:<name>", "hand", "default", "saved"
    image_id: int = -1


@dataclass(frozen=True)
class ArchivePlan:
    """What will move where. Confirm it, then :func:`execute` it."""

    entries: tuple[PlanEntry, ...]
    destination: Destination
    refused: tuple[tuple[str, str], ...] = ()   # (path, reason) marked but never to be archived
    created: str = field(default_factory=now_iso)
    #: The members each group keeps, re-checked right before each move (see workflow.keepers);
    #: None for a plan built without them (nothing to re-check).
    keepers: tuple[Keeper, ...] | None = None

    @property
    def files(self) -> int:
        return len(self.entries)

    @property
    def bytes_freed(self) -> int:
        return sum(e.size for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "destination": str(self.destination),
            "files": self.files,
            "bytes_freed": self.bytes_freed,
            "entries": [
                {"source": e.source, "destination": e.destination, "size": e.size, "group": e.group,
                 "similarity": round(e.similarity, 1), "chosen_by": e.chosen_by}
                for e in self.entries
            ],
            "refused": [{"path": p, "reason": r} for p, r in self.refused],
        }



@runtime_checkable
class ReviewedGroups(Protocol):
    """A review holding its current groups (a :class:`~desktop_app.workflow.session.ReviewSession`)."""

    @property
    def current_groups(self) -> list[DuplicateGroup]: ...


def _groups_of(source: ReviewedGroups | Iterable[DuplicateGroup]) -> list[DuplicateGroup]:
    if isinstance(source, ReviewedGroups):
        return list(source.current_groups)
    return list(source)


def plan_archive(
    source: ReviewedGroups | Iterable[DuplicateGroup],
    destination: Destination | str | os.PathLike[str],
    *,
    roots: Iterable[str] = (),
) -> ArchivePlan:
    """The plan for every member marked ARCHIVE in ``source`` (a ReviewSession or groups).

    A file that is kept in any group, sits in a protected folder, or belongs to a group with no
    kept member is refused (listed in ``plan.refused``), whatever its mark. An archive folder
    inside a library root (``roots`` plus each member's root) is refused with ArchiveError: a
    re-scan would find the archived files again.
    """
    if not isinstance(destination, (ArchiveFolder, Trash)):
        destination = ArchiveFolder(os.fspath(destination))
    if isinstance(destination, ArchiveFolder):
        destination = ArchiveFolder(os.path.abspath(os.path.expanduser(destination.path)))
    groups = _groups_of(source)
    all_roots = set(roots) | {m.root for g in groups for m in g.members if m.root}
    if isinstance(destination, ArchiveFolder):
        for root in sorted(all_roots):
            if overlaps(destination.path, root):
                raise ArchiveError(
                    f"The archive folder '{destination.path}' must be outside the library folder '{root}'"
                )
    kept = {m.path for g in groups for m in g.members if m.mark is Mark.KEEP}
    keepers = tuple(Keeper(g.index, m.path, m.size, m.mtime_ns) for g in groups for m in g.kept)
    entries: list[PlanEntry] = []
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    taken: set[str] = set()
    for group in groups:
        has_keeper = bool(group.kept)
        for m in group.archived:
            if m.path in seen:
                continue
            seen.add(m.path)
            if m.protected:
                refused.append((m.path, "in a protected folder"))
            elif not has_keeper:
                refused.append((m.path, "no other file of its group is kept"))
            elif m.path in kept:
                refused.append((m.path, "kept in another group"))
            else:
                if isinstance(destination, ArchiveFolder):
                    dest = str(unique_destination(Path(destination.path) / m.relative_path, taken=taken))
                    taken.add(dest)
                else:
                    dest = "trash"
                entries.append(
                    PlanEntry(
                        source=m.path, destination=dest, size=m.size, mtime_ns=m.mtime_ns,
                        content_hash=m.content_hash, root=m.root, group=group.index,
                        similarity=m.similarity, chosen_by=m.chosen_by, image_id=m.image_id,
                    )
                )
    return ArchivePlan(entries=tuple(entries), destination=destination, refused=tuple(refused), keepers=keepers)

"""The unit an archive plan moves: a photo with its companion files (sidecars, Live Photo video).

A unit is planned, re-checked, journaled, moved, recovered and undone as one: either all its
files leave the library or none does. Units are built here from the photos a plan archives:

* each photo's companions (:mod:`desktop_app.context.companions`) join its unit and go to the
  same relative place, renamed along if the photo had to be (``IMG_0001 (1).JPG`` takes
  ``IMG_0001 (1).xmp`` along);
* a companion shared by several photos (a RAW+JPEG pair's ``IMG_0001.xmp``) moves only when all
  of them leave, and then binds them into one unit; while one of them stays, it stays — so a
  keeper's companions never move.

The journal records each file's unit number (``unit``) and, for a companion, its photo
(``companion_of``), so recovery and undo can keep a unit whole.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Iterable, Protocol, Sequence, TypeVar

from desktop_app.context.companions import KIND_LABELS, Companion, CompanionSource
from desktop_app.workflow.fileops import unique_destination


class UnitEntry(Protocol):
    """What units need of a plan entry (``archive.PlanEntry``)."""

    @property
    def source(self) -> str: ...
    @property
    def destination(self) -> str: ...
    @property
    def unit(self) -> int: ...
    @property
    def companion_of(self) -> str: ...
    @property
    def kind(self) -> str: ...


E = TypeVar("E", bound=UnitEntry)


def companion_place(companion: str, photo: str, photo_place: str) -> str:
    """Where ``companion`` goes when ``photo`` goes to ``photo_place``: the same folder, its
    name following the photo's (name style ``<photo>.xmp`` or stem style ``<stem>.xmp``)."""
    name, photo_name, new_photo = (os.path.basename(p) for p in (companion, photo, photo_place))
    if name.casefold().startswith(photo_name.casefold() + "."):
        new = new_photo + name[len(photo_name):]
    else:
        stem, new_stem = os.path.splitext(photo_name)[0], os.path.splitext(new_photo)[0]
        new = new_stem + name[len(stem):] if name.casefold().startswith(stem.casefold()) else name
    return os.path.join(os.path.dirname(photo_place), new)


class _Units:
    """Union-find over plan positions: photos sharing a moving companion are one unit."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def attach_companions(
    photos: Sequence[E],
    source: CompanionSource,
    *,
    to_trash: bool,
    taken: set[str],
) -> tuple[list[E], list[tuple[str, str]]]:
    """The plan's entries as units (each photo, then its moving companions; units in plan
    order) and the companions that stay, with why: ``(path, reason)``.

    ``taken`` holds the archive places already given out; companion places are added to it.
    """
    index = {os.path.normcase(e.source): i for i, e in enumerate(photos)}
    found = source.companions([e.source for e in photos])
    units = _Units(len(photos))
    moving: dict[str, tuple[Companion, int]] = {}   # companion path -> (companion, owner position)
    staying: dict[str, tuple[str, str]] = {}
    for i, entry in enumerate(photos):
        for companion in found.get(entry.source, ()):
            if companion.path in moving or companion.path in staying:
                continue
            if os.path.normcase(companion.path) in index:
                continue  # itself a photo of the plan (never happens by name rules; be safe)
            owners = [index.get(os.path.normcase(p)) for p in companion.photos]
            if any(o is None for o in owners):
                stays = next(p for p, o in zip(companion.photos, owners) if o is None)
                staying[companion.path] = (
                    companion.path, f"shared with '{os.path.basename(stays)}', which stays")
                continue
            positions = [o for o in owners if o is not None]
            for o in positions:
                units.join(i, o)
            moving[companion.path] = (companion, min(positions))
    by_owner: dict[int, list[Companion]] = {}
    for companion, owner in moving.values():
        by_owner.setdefault(owner, []).append(companion)
    roots: dict[int, list[int]] = {}
    for i in range(len(photos)):
        roots.setdefault(units.find(i), []).append(i)
    out: list[E] = []
    # E is archive.PlanEntry, a frozen dataclass (units can't import it: archive imports units),
    # so dataclasses.replace works on it; mypy can't see that through the Protocol bound.
    for number, root in enumerate(sorted(roots)):
        members = roots[root]
        out.extend(replace(photos[i], unit=number) for i in members)  # type: ignore[type-var]
        for i in members:
            photo = photos[i]
            for companion in sorted(by_owner.get(i, ()), key=lambda c: c.path):
                if to_trash:
                    dest = "trash"
                else:
                    dest = str(unique_destination(
                        companion_place(companion.path, photo.source, photo.destination), taken=taken))
                    taken.add(dest)
                out.append(replace(  # type: ignore[type-var]
                    photo, source=companion.path, destination=dest, size=companion.size,
                    mtime_ns=companion.mtime_ns, content_hash="", image_id=-1, unit=number,
                    companion_of=photo.source, kind=companion.kind, loses=(), relation="",
                ))
    return out, sorted(staying.values())


def group_units(entries: Iterable[E]) -> list[list[E]]:
    """Entries split into their units (consecutive runs of one ``unit``; an entry of an older
    plan without unit numbers, ``unit`` -1, is a unit of its own)."""
    out: list[list[E]] = []
    last: int | None = None
    for entry in entries:
        if out and entry.unit >= 0 and entry.unit == last:
            out[-1].append(entry)
        else:
            out.append([entry])
        last = entry.unit
    return out


def companion_labels(entries: Iterable[UnitEntry]) -> str:
    """"+ .xmp, .AAE, Live Photo video" for the companions among ``entries`` ("" if none)."""
    order = list(KIND_LABELS)
    kinds = sorted({e.kind for e in entries if e.companion_of}, key=lambda k: (order.index(k) if k in order else len(order), k))
    labels = [KIND_LABELS.get(k, k) for k in kinds]
    return "+ " + ", ".join(labels) if labels else ""


"""The information-loss guard: before anything moves, what would only the archived copy keep?

Each photo a plan archives is compared with the photos its group keeps. Whatever the copy has and
no keeper has is listed, in the photographer's words: its GPS position, capture date, camera,
XMP rating / keywords / title / description, edits in a sidecar, more pixels, a higher bit
depth, a lossless master. The plan flags such a copy with these reasons; the GUI asks before
moving it (offering to keep it instead) and the CLI's ``--yes`` refuses it unless told otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Protocol, Sequence

from desktop_app.context.companions import EDIT_KINDS, KIND_LABELS, CompanionSource, DiskCompanions
from desktop_app.engine.metadata import PhotoMetadata, XmpFacts, read_metadata, read_xmp_file
from desktop_app.engine.relation import RelationKind
from desktop_app.workflow.groups import DuplicateGroup, Member

MetadataReader = Callable[[str], PhotoMetadata]


class GuardedEntry(Protocol):
    """What the guard needs of a plan entry (``archive.PlanEntry``)."""

    @property
    def source(self) -> str: ...
    @property
    def group(self) -> int: ...
    @property
    def companion_of(self) -> str: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class _Facts:
    """Everything compared for one photo, from its index facts, header and sidecars."""

    member: Member
    meta: PhotoMetadata
    xmp: XmpFacts
    edit_sidecars: tuple[str, ...]      # kinds of its sidecars holding edits


def information_loss(
    groups: Iterable[DuplicateGroup],
    entries: Sequence[GuardedEntry],
    *,
    companions: CompanionSource | None = None,
    read: MetadataReader | None = None,
) -> dict[str, tuple[str, ...]]:
    """For each archived photo among ``entries`` that alone carries something: its reasons."""
    read = read or _read_unchanged
    by_index = {g.index: g for g in groups}
    source = companions or DiskCompanions()
    sidecars: dict[str, list[tuple[str, str]]] = {}      # photo -> [(kind, path)] moving with it
    for e in entries:
        if e.companion_of:
            sidecars.setdefault(e.companion_of, []).append((e.kind, e.source))
    photos = [e for e in entries if not e.companion_of and e.group in by_index]
    keepers = {m.path: m for e in photos for m in by_index[e.group].kept}
    for photo, found in source.companions(list(keepers)).items():
        sidecars[photo] = [(c.kind, c.path) for c in found]
    cache: dict[str, _Facts] = {}

    def facts(member: Member) -> _Facts:
        if member.path not in cache:
            meta = read(member.path)
            xmp = meta.xmp
            kinds: list[str] = []
            for kind, path in sidecars.get(member.path, ()):
                if kind == "xmp":
                    side = _read_xmp_unchanged(path)
                    xmp = xmp.merged(side)
                    if side.edits:
                        kinds.append(kind)
                elif kind in EDIT_KINDS:
                    kinds.append(kind)
            cache[member.path] = _Facts(member, meta, xmp, tuple(kinds))
        return cache[member.path]

    out: dict[str, tuple[str, ...]] = {}
    for e in photos:
        group = by_index[e.group]
        if e.source not in group or not group.kept:
            continue
        reasons = only_in_copy(facts(group.member(e.source)), [facts(k) for k in group.kept])
        if reasons:
            out[e.source] = reasons
    return out


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8192)
def _metadata_of(path: str, size: int, mtime_ns: int) -> PhotoMetadata:
    return read_metadata(path)


@lru_cache(maxsize=8192)
def _xmp_of(path: str, size: int, mtime_ns: int) -> XmpFacts:
    return read_xmp_file(path)


def _read_unchanged(path: str) -> PhotoMetadata:
    """:func:`read_metadata`, read once per file version (a plan is often made twice: drafted,
    then again for the destination the user chose)."""
    return _metadata_of(path, *_stamp(path))


def _read_xmp_unchanged(path: str) -> XmpFacts:
    return _xmp_of(path, *_stamp(path))


def _same_pixels_as_a_keeper(m: Member, keepers: Sequence[_Facts]) -> bool:
    """A PNG/TIFF whose decoded pixels equal the kept original's (a conversion of the camera
    JPEG) holds nothing the original doesn't: it is no lossless master."""
    same = (RelationKind.SAME_PIXELS.value, RelationKind.EXACT_COPY.value)
    return m.relation_kind in same and \
        any(k.member.relation_kind == RelationKind.ORIGINAL.value for k in keepers)


def only_in_copy(copy: _Facts, keepers: Sequence[_Facts]) -> tuple[str, ...]:
    """What ``copy`` has that none of ``keepers`` has, as short user-facing reasons."""
    m = copy.member
    reasons: list[str] = []
    if copy.meta.gps and not any(k.meta.gps for k in keepers):
        reasons.append("GPS position")
    if m.date_taken and not any(k.member.date_taken for k in keepers):
        reasons.append("capture date")
    if m.camera and not any(k.member.camera for k in keepers):
        reasons.append("camera")
    if copy.xmp.rating and copy.xmp.rating > max(k.xmp.rating for k in keepers):
        reasons.append(f"XMP rating ({copy.xmp.rating}★)")
    extra = copy.xmp.keywords - frozenset().union(*(k.xmp.keywords for k in keepers))
    if extra:
        reasons.append("keywords (" + ", ".join(sorted(extra)) + ")")
    if copy.xmp.title and not any(k.xmp.title for k in keepers):
        reasons.append("title")
    if copy.xmp.description and not any(k.xmp.description for k in keepers):
        reasons.append("description")
    if copy.edit_sidecars and not any(k.edit_sidecars for k in keepers):
        labels = ", ".join(dict.fromkeys(KIND_LABELS.get(k, k) for k in copy.edit_sidecars))
        reasons.append(f"edits in a sidecar ({labels})")
    best = max(keepers, key=lambda k: k.member.pixels)
    if m.pixels and best.member.pixels and m.pixels > best.member.pixels:
        reasons.append(f"more pixels ({m.width}×{m.height} vs {best.member.width}×{best.member.height})")
    deepest = max(k.meta.bit_depth for k in keepers)
    if copy.meta.bit_depth and deepest and copy.meta.bit_depth > deepest:
        reasons.append(f"higher bit depth ({copy.meta.bit_depth} vs {deepest} bits)")
    if m.lossless and not any(k.member.lossless for k in keepers) \
            and not _same_pixels_as_a_keeper(m, keepers):
        kind = "RAW" if m.is_raw else (m.format or os.path.splitext(m.path)[1].lstrip(".").upper())
        reasons.append(f"lossless master ({kind})")
    return tuple(reasons)

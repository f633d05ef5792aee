"""The documented default rule for a group's original: the source the other copies derive from.

In this order, each step deciding only when the one before is a tie:

1. **Full content.** The scene the file shows (a crop shows less, its uncropped source more)
   and the pixels that show it: pixels in added uniform borders or letterbox bars don't count,
   a smaller resize has fewer. Within 3 % is a tie.
2. **Colour** over a black-and-white version of it.
3. **Camera metadata**: camera make/model and date taken (EXIF DateTimeOriginal) over none.
4. **The earliest capture** (date taken), then **the oldest file** (modification time).
5. **More metadata** (EXIF/XMP/ICC fields).
6. Then a lossless file; a file whose folder or name does not say it is a copy ("Backup",
   "Exports", "IMG_0001 copy.jpg", "IMG_0001 (1).jpg") over one that does — byte-identical copies
   tie on everything else; the larger file; the path (a stable choice).

A lossless format is not a reason on its own: a PNG made from the camera JPEG has the same
pixels and no more content, so it loses to the camera file on step 3 or 4. The choice is made
against the other candidates' relations (:func:`desktop_app.engine.relation.relate`), and
re-checked from the winner: no member may be its uncropped source, its border-less source or
its colour source (the original's relations agree with it).
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from desktop_app.engine.relation import ORIGINAL, Relation, RelationKind
from desktop_app.engine.types import ImageFacts

TIE = 1.03            # content within 3 % is a tie

#: Relations that keep the reference's whole frame (so its borders too).
SAME_FRAME = frozenset({RelationKind.EXACT_COPY, RelationKind.SAME_PIXELS, RelationKind.RECOMPRESSED,
                        RelationKind.RESIZED, RelationKind.ROTATED, RelationKind.MIRRORED,
                        RelationKind.BLACK_AND_WHITE, RelationKind.IN_COLOUR, RelationKind.EDITED})
MAX_ROUNDS = 4        # re-checks from a new reference (each costs one relation per member)

#: Folder names that say "copies live here", and file-name endings a copy gets from a file manager
#: or a download ("IMG_0001 copy.jpg", "IMG_0001 (2).jpg", "IMG_0001-1.jpg", "Copy of IMG_0001").
COPY_FOLDER = re.compile(r"(back ?ups?|copies|copy|exports?|exported|converted|conversions?|"
                         r"duplicates?|dupes?|edits?|edited|resized|thumbnails?|thumbs|web|"
                         r"instagram|shared|whatsapp|downloads?)([ _-]?\d+)?", re.IGNORECASE)
COPY_NAME = re.compile(r"(^copy of |[ _-]copy( \d+)?$| \(\d+\)$|-\d$)", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """One file competing to be the original."""

    id: int
    facts: ImageFacts
    size: int = 0
    mtime_ns: int = 0
    path: str = ""


@dataclass(frozen=True)
class OriginalChoice:
    original: int
    reason: str                                   # "camera file, earliest capture, full frame"
    relations: dict[int, Relation] = field(default_factory=dict)  # every candidate vs original


RelationFn = Callable[[int, int], Relation]       # relation_of(a_id, b_id): b relative to a


@dataclass
class _Standing:
    """A candidate's evidence relative to the current reference."""

    cand: Candidate
    scene: float = 1.0      # share of the reference's scene it shows (crop < 1 < uncropped source)
    bars: float = 0.0       # share of its area that is added border
    gray: bool = False

    @property
    def content(self) -> float:
        """Pixels that show the photo (added border pixels don't count)."""
        return self.cand.facts.pixels * (1.0 - self.bars)


def exif_epoch(date_taken: str | None) -> float | None:
    """'YYYY-MM-DDTHH:MM:SS' (camera local time, no zone) -> seconds, read as UTC; None if absent."""
    if not date_taken:
        return None
    try:
        parsed = time.strptime(date_taken[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    return float(calendar.timegm(parsed))


def camera_score(facts: ImageFacts) -> int:
    """2: camera and date taken, 1: one of them, 0: no camera metadata."""
    return int(bool(facts.camera)) + int(exif_epoch(facts.date_taken) is not None)


def _standings(ref: Candidate, others: Sequence[Candidate],
               relation_of: RelationFn) -> tuple[list[_Standing], dict[int, Relation]]:
    relations = {ref.id: ORIGINAL}
    mine = _Standing(ref)
    rows = [mine]
    for c in others:
        rel = relation_of(ref.id, c.id)
        relations[c.id] = rel
        row = _Standing(c, gray=rel.gray_b)
        if rel.gray_a:
            mine.gray = True
        if rel.kind in (RelationKind.CROPPED, RelationKind.STRAIGHTENED):
            row.scene = rel.kept_area
        elif rel.kind is RelationKind.LARGER_VIEW:
            row.scene = 1.0 / max(rel.a_kept_by_b, 1e-3)
        # Border pixels don't count as content (trimmed borders and borders seen in the pair).
        row.bars = rel.border_share
        mine.bars = max(mine.bars, rel.a_border_share)
        rows.append(row)
    for row in rows[1:]:
        if relations[row.cand.id].kind in SAME_FRAME:
            row.bars = mine.bars      # the same frame as the reference: the same borders
    return rows, relations


def _better(x: _Standing, y: _Standing) -> bool:
    """Is ``x`` the better original than ``y`` by the documented rule?"""
    for xv, yv in ((x.scene, y.scene), (x.content, y.content)):
        if xv > yv * TIE:
            return True
        if yv > xv * TIE:
            return False
    if x.gray != y.gray:
        return y.gray
    return _provenance_key(x.cand) < _provenance_key(y.cand)


def looks_like_a_copy(path: str) -> bool:
    """Does the path say it is a copy: a folder named like "Backup" or "Exports", or a name
    like "IMG_0001 copy.jpg" / "IMG_0001 (1).jpg"? Only breaks ties between files that are
    otherwise alike (byte-identical copies), so a wrong guess costs nothing else."""
    parts = path.replace("\\", "/").split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return bool(COPY_NAME.search(stem)) or any(COPY_FOLDER.fullmatch(d) for d in parts[:-1])


def _provenance_key(c: Candidate) -> tuple[object, ...]:
    f = c.facts
    taken = exif_epoch(f.date_taken)
    return (-camera_score(f), taken if taken is not None else float("inf"), c.mtime_ns,
            -f.metadata_count, 0 if f.lossless else 1, looks_like_a_copy(c.path), -c.size, c.path)


def _derives_from(r: Relation) -> bool:
    """Does this member's relation say the original derives from the member?"""
    return r.kind in (RelationKind.LARGER_VIEW, RelationKind.WITHOUT_BORDER,
                      RelationKind.IN_COLOUR) or r.scale > TIE


def choose_original(candidates: Sequence[Candidate], relation_of: RelationFn) -> OriginalChoice:
    """The original among ``candidates`` (the first is the provisional reference)."""
    if not candidates:
        raise ValueError("no candidates")
    by_id = {c.id: c for c in candidates}
    ref = candidates[0]
    tried: set[int] = set()

    def standings(of: Candidate) -> tuple[list[_Standing], dict[int, Relation]]:
        return _standings(of, [c for c in candidates if c.id != of.id], relation_of)

    rows, relations = standings(ref)
    for _ in range(MAX_ROUNDS):
        tried.add(ref.id)
        # First a reference nothing derives from: not a crop or a bordered/gray version of a
        # candidate (its standings would credit the wrong file with the content).
        nxt: Candidate | None = next((by_id[i] for i, r in relations.items()
                                      if i not in tried and _derives_from(r)), None)
        if nxt is None:
            best = rows[0]
            for row in rows[1:]:
                if _better(row, best):
                    best = row
            if best.cand.id != ref.id and best.cand.id not in tried:
                nxt = best.cand
        if nxt is None:
            break
        ref = nxt
        rows, relations = standings(ref)
    return OriginalChoice(ref.id, reason(rows), relations)


def explain(original: Candidate, others: Sequence[Candidate],
            relation_of: RelationFn) -> OriginalChoice:
    """The reason and relations of a group whose original is already decided."""
    rows, relations = _standings(original, others, relation_of)
    return OriginalChoice(original.id, reason(rows), relations)


def reason(rows: Sequence[_Standing]) -> str:
    """Why ``rows[0]`` (the original) was chosen, in the rule's words."""
    me, others = rows[0], rows[1:]
    f = me.cand.facts
    parts: list[str] = []
    cam = camera_score(f)
    parts.append("camera file" if cam == 2 else "camera data" if cam == 1 else "no camera data")
    taken = exif_epoch(f.date_taken)
    other_taken = [t for t in (exif_epoch(o.cand.facts.date_taken) for o in others) if t is not None]
    if taken is not None and other_taken and taken < min(other_taken):
        parts.append("earliest capture")
    elif others and me.cand.mtime_ns + 10**9 <= min(o.cand.mtime_ns for o in others):
        parts.append("oldest file")
    if any(o.scene < 1 / TIE for o in others):
        parts.append("full frame")
    if any(o.bars > 0 for o in others) or me.bars > 0:
        parts.append("no borders")
    content = f.pixels * (1 - me.bars)
    if others and all(content > o.cand.facts.pixels * (1 - o.bars) * TIE for o in others):
        parts.append("highest resolution")
    if me.gray is False and any(o.gray for o in others):
        parts.append("in colour")
    return ", ".join(parts)

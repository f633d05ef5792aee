"""How one copy of a photo relates to another: "exact copy", "resized to 25 %", "rotated 90°"...

Derived only from evidence the engine already has, no file is read: the bytes (content hash),
the decoded-pixel digest, the true dimensions and format, the verified transform of
:func:`~desktop_app.engine.similarity.compare_features`, the aligned 64 px grayscale thumbnails
and the 8x8 CIELAB signature.

:func:`relate` describes ``b`` as a derivative of ``a`` (``a`` is the group's original). It also
reports when the evidence says the opposite (``a`` is a crop of ``b``, ``a`` has borders ``b``
lacks, ``a`` is the black-and-white one): :mod:`desktop_app.engine.provenance` uses that to pick
the original, so the original's relations to its members agree with it.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from desktop_app.engine.features import content_box_of
from desktop_app.engine.similarity import as_3x3
from desktop_app.engine.types import Comparison, ImageFacts, ImageFeatures

FULL = 0.97            # a frame covering >= 97 % of the other is "the whole frame"
SAME_SIZE = 0.985      # linear size ratio within 1.5 %: not resized
RIGHT_ANGLE_TOL = 3.0  # degrees from 90/180/270 still read as a right-angle rotation
STRAIGHTEN_MIN = 0.5   # degrees: below, no rotation; between this and 20, "straightened"
STRAIGHTEN_MAX = 20.0
GRAY_CHROMA = 0.8      # mean Lab chroma below this: black and white (a conversion gives ~0)
COLOUR_CHROMA = 1.2    # ... and the colour one has at least this much (muted photos: ~2)
BAR_STD = 6.0          # gray-level spread of an added border/letterbox bar (0-255)
TONE_SHIFT = 3.0       # mean gray level shift (0-255) that is a tone edit, not a re-save
CONTRAST_CHANGE = 0.06  # relative change of the gray spread that is a contrast edit
CHROMA_CHANGE = 0.08   # relative change of the mean chroma that is a saturation edit ...
CHROMA_CHANGE_MIN = 0.4  # ... and at least this much in absolute terms (JPEG chroma noise)
DETAIL_CHANGE = 0.04   # relative change of fine detail (same size): sharpened or softened
BORDER_MIN = 0.02      # a trimmed border smaller than this share of the area is no border
BORDER_MATCH = 0.02    # ... and it must be the uncovered share of the frame within this
BIGGER_FILE = 1.06     # a same-size JPEG this much bigger per pixel is an edit, not a re-save


class RelationKind(str, enum.Enum):
    """What a member is, relative to the group's original. The value is the machine name
    (CLI JSON ``Relation``, CSV log, rules ``keep:<kind>`` / ``archive:<kind>``)."""

    ORIGINAL = "original"
    EXACT_COPY = "exact-copy"
    SAME_PIXELS = "same-pixels"
    RECOMPRESSED = "recompressed"
    RESIZED = "resized"
    CROPPED = "cropped"
    BORDER = "border"
    ROTATED = "rotated"
    MIRRORED = "mirrored"
    STRAIGHTENED = "straightened"
    BLACK_AND_WHITE = "black-and-white"
    EDITED = "edited"
    OTHER_SHOT = "other-shot"
    # The evidence says the original derives from this member (only when a rule or the user
    # made a derivative the original; the default rule never does).
    LARGER_VIEW = "larger-view"
    WITHOUT_BORDER = "without-border"
    IN_COLOUR = "in-colour"


#: Relations whose copies are proposed for archiving by default: nothing of the photo is lost.
COPY_KINDS = frozenset({RelationKind.EXACT_COPY, RelationKind.SAME_PIXELS,
                        RelationKind.RECOMPRESSED})


@dataclass(frozen=True)
class Relation:
    """``b`` relative to ``a`` (the original), with the figures behind the label.

    ``kept_area``: share of a's frame visible in b (1.0 unless cropped). ``border_share``: share
    of b's area that is added uniform border/letterbox. ``a_border_share``: share of a's area
    that is a uniform border b does not have. ``scale``: b's content pixels per a's, linear.
    ``angle``: clockwise degrees from a to b. ``gray_a``/``gray_b``: black and white.
    """

    kind: RelationKind
    label: str
    scale: float = 1.0
    kept_area: float = 1.0
    border_share: float = 0.0
    a_border_share: float = 0.0
    a_kept_by_b: float = 1.0       # share of b's frame that a shows (< 1: a is a crop of b)
    angle: float = 0.0
    mirrored: bool = False
    gray_a: bool = False
    gray_b: bool = False

    @property
    def proposes_archive(self) -> bool:
        """Default proposal: only copies that lose nothing of the original are archived."""
        return self.kind in COPY_KINDS or (self.kind is RelationKind.RESIZED and self.scale < 1.0)

    def __str__(self) -> str:
        return self.label


ORIGINAL = Relation(RelationKind.ORIGINAL, "original")
EXACT_COPY = Relation(RelationKind.EXACT_COPY, "exact copy")
UNKNOWN = Relation(RelationKind.OTHER_SHOT, "other shot of the scene")


def relate(a_facts: ImageFacts, a: ImageFeatures, b_facts: ImageFacts, b: ImageFeatures,
           comparison: Comparison, *, same_bytes: bool = False, size_a: int = 0,
           size_b: int = 0) -> Relation:
    """Describe ``b`` as a derivative of ``a`` (see :class:`Relation`).

    ``comparison`` is ``compare_features(a, b)`` (transform from a's working image to b's);
    ``size_a``/``size_b`` are the file sizes in bytes (0: unknown).
    """
    if same_bytes:
        return EXACT_COPY
    gray_a, gray_b = _is_gray(a), _is_gray(b)
    da, db = a.extra.get("digest"), b.extra.get("digest")
    if da is not None and db is not None and np.array_equal(da, db):
        return Relation(RelationKind.SAME_PIXELS, _same_pixels_label(a_facts, b_facts),
                        gray_a=gray_a, gray_b=gray_b)
    if _taken_apart(a_facts, b_facts):
        # Two camera files taken at different moments are two shots, however alike (a burst
        # from a locked-off camera); an export keeps its camera file's date.
        return Relation(RelationKind.OTHER_SHOT, "other shot of the scene",
                        gray_a=gray_a, gray_b=gray_b)
    if comparison.transform is None or comparison.score < 70.0:
        return Relation(RelationKind.OTHER_SHOT, "other shot of the scene",
                        gray_a=gray_a, gray_b=gray_b)
    t = _true_transform(comparison.transform, a_facts, a, b_facts, b)
    lin = t[:2, :2]
    det = float(np.linalg.det(lin))
    mirrored = det < 0
    scale = math.sqrt(abs(det))
    angle = _clockwise_degrees(lin, mirrored)
    right = _right_angle(angle)
    if mirrored:
        turn = f", rotated {right}°" if right else ""
        return Relation(RelationKind.MIRRORED, f"mirrored{turn}", scale=scale, angle=angle,
                        mirrored=True, gray_a=gray_a, gray_b=gray_b)
    if right:
        return Relation(RelationKind.ROTATED, f"rotated {right}°", scale=scale,
                        angle=float(right), gray_a=gray_a, gray_b=gray_b)
    kept, shown = _frames(as_3x3(comparison.transform), a, b)
    tilt = _signed_small(angle)
    if abs(tilt) >= STRAIGHTEN_MIN and abs(tilt) <= STRAIGHTEN_MAX:
        return Relation(RelationKind.STRAIGHTENED, f"straightened {abs(tilt):.0f}°", scale=scale,
                        kept_area=kept, angle=tilt, gray_a=gray_a, gray_b=gray_b)
    if abs(tilt) > STRAIGHTEN_MAX:
        return Relation(RelationKind.OTHER_SHOT, "other shot of the scene", scale=scale,
                        angle=tilt, gray_a=gray_a, gray_b=gray_b)
    perspective = comparison.transform.shape == (3, 3) and (
        abs(float(t[2, 0])) * a_facts.width + abs(float(t[2, 1])) * a_facts.height > 0.01)
    # another viewpoint, or a frame where the subject moved (the comparison saw it in the pixels)
    if "other viewpoint" in comparison.reason or "subject moved" in comparison.reason or perspective:
        return Relation(RelationKind.OTHER_SHOT, "other shot of the scene", scale=scale,
                        kept_area=kept, gray_a=gray_a, gray_b=gray_b)
    base = Relation(RelationKind.OTHER_SHOT, "", scale=scale, gray_a=gray_a, gray_b=gray_b)
    if kept >= FULL and shown < FULL:
        # b shows all of a and more: borders added, or a is a crop of b. Borders when b's
        # trimmed border is what a does not cover (or, untrimmed, that part is uniform).
        share = 1.0 - shown
        # b's trimmed border, or that less a's own border (a covers ``shown`` of b; trimming a
        # dark edge of the photo in one copy and not the other makes either one right)
        whole = _area_share(comparison.borders_b)
        added = whole - _area_share(comparison.borders_a) * shown
        word = _border_word(comparison.borders_b) if (
            _matches(whole, share) or _matches(added, share)) else _bars(
            b, comparison.transform, a.working_size)
        if word:
            return replace(base, kind=RelationKind.BORDER, border_share=share,
                           label=f"{word} added ({share * 100:.0f} %)")
        return replace(base, kind=RelationKind.LARGER_VIEW, a_kept_by_b=shown,
                       label=f"uncropped (original is {shown * 100:.0f} %)")
    if shown >= FULL and kept < FULL:
        # b is inside a: cropped, or a had borders b does not have.
        share = 1.0 - kept
        whole = _area_share(comparison.borders_a)
        removed = whole - _area_share(comparison.borders_b) * kept
        if _matches(whole, share) or _matches(removed, share) or _bars(
                a, np.linalg.inv(as_3x3(comparison.transform)), b.working_size):
            return replace(base, kind=RelationKind.WITHOUT_BORDER, a_border_share=share,
                           label=f"without the border ({share * 100:.0f} %)")
        return replace(base, kind=RelationKind.CROPPED, kept_area=kept,
                       label=f"cropped to {kept * 100:.0f} %")
    if kept < FULL and shown < FULL:
        return replace(base, kind=RelationKind.OTHER_SHOT, kept_area=kept, a_kept_by_b=shown,
                       label="other shot of the scene")
    # The same framing.
    if gray_b and not gray_a and _chroma(a) >= COLOUR_CHROMA:
        return replace(base, kind=RelationKind.BLACK_AND_WHITE, label="black and white")
    if gray_a and not gray_b and _chroma(b) >= COLOUR_CHROMA:
        return replace(base, kind=RelationKind.IN_COLOUR, label="in colour")
    edit = _tone_edit(a, b)
    if edit:
        return replace(base, kind=RelationKind.EDITED, label=edit)
    resized = abs(math.log(max(scale, 1e-9))) > -math.log(SAME_SIZE)
    if resized:
        return replace(base, kind=RelationKind.RESIZED, label=f"resized to {scale * 100:.0f} %")
    if _detail_changed(a, b):
        return replace(base, kind=RelationKind.EDITED, label="sharpened or softened")
    if b_facts.lossless and not a_facts.lossless:
        return replace(base, kind=RelationKind.SAME_PIXELS,
                       label=_same_pixels_label(a_facts, b_facts))
    if (size_a > 0 and size_b > 0 and not a_facts.lossless and not b_facts.lossless
            and (size_b / max(1, b_facts.pixels)) > BIGGER_FILE * (size_a / max(1, a_facts.pixels))):
        # Same pixels to the eye but more bytes at the same size: detail was added (a
        # sharpened export) - an edit, kept by default; a re-save is never worth more bytes.
        return replace(base, kind=RelationKind.EDITED, label="sharpened (more detail)")
    if a_facts.lossless and b_facts.lossless:
        return replace(base, kind=RelationKind.SAME_PIXELS,
                       label=_same_pixels_label(a_facts, b_facts))
    fmt = "" if b_facts.format == a_facts.format else f" ({b_facts.format})"
    return replace(base, kind=RelationKind.RECOMPRESSED, label=f"recompressed{fmt}")


# --------------------------------------------------------------------------------- evidence


def _taken_apart(a: ImageFacts, b: ImageFacts) -> bool:
    return bool(a.camera and b.camera and a.date_taken and b.date_taken
                and a.date_taken[:19] != b.date_taken[:19])


def _same_pixels_label(a: ImageFacts, b: ImageFacts) -> str:
    return "same pixels" if a.format == b.format else f"same pixels ({b.format})"


def _chroma(f: ImageFeatures) -> float:
    lab = f.extra.get("lab")
    if lab is None:
        return 0.0
    ab = lab[..., 1:].astype(np.float64) - 128.0
    return float(np.hypot(ab[..., 0], ab[..., 1]).mean())


def _is_gray(f: ImageFeatures) -> bool:
    return "lab" in f.extra and _chroma(f) < GRAY_CHROMA


def _true_transform(t: np.ndarray, af: ImageFacts, a: ImageFeatures, bf: ImageFacts,
                    b: ImageFeatures) -> np.ndarray:
    """The working-image transform in true pixels (a's true coordinates -> b's)."""
    sa = np.diag([a.working_size[0] / max(1, af.width), a.working_size[1] / max(1, af.height), 1.0])
    sb = np.diag([max(1, bf.width) / b.working_size[0], max(1, bf.height) / b.working_size[1], 1.0])
    m = sb @ as_3x3(t) @ sa
    return m / m[2, 2] if abs(m[2, 2]) > 1e-12 else m


def _clockwise_degrees(lin: np.ndarray, mirrored: bool) -> float:
    """Rotation of the linear part in clockwise degrees on screen (y down), 0-360."""
    m = lin.copy()
    if mirrored:          # take the mirror out first (x -> -x), then read the rotation
        m = m @ np.diag([-1.0, 1.0])
    return math.degrees(math.atan2(m[1, 0], m[0, 0])) % 360.0


def _right_angle(angle: float) -> int:
    for right in (90, 180, 270):
        if abs(angle - right) <= RIGHT_ANGLE_TOL:
            return right
    return 0


def _signed_small(angle: float) -> float:
    return angle - 360.0 if angle > 180.0 else angle


def _polygon_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clip_area(t: np.ndarray, src: tuple[int, int, int, int], dst: tuple[int, int, int, int]) -> float:
    """Area of box ``src`` mapped by ``t`` and clipped to box ``dst``, over dst's area."""
    x0, y0, x1, y1 = src
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(corners, t).reshape(-1, 2).astype(np.float32)
    u0, v0, u1, v1 = dst
    box = np.array([[u0, v0], [u1, v0], [u1, v1], [u0, v1]], np.float32)
    inter, _ = cv2.intersectConvexConvex(mapped, box)
    return float(inter) / max(1.0, float((u1 - u0) * (v1 - v0)))


def _frames(t: np.ndarray, a: ImageFeatures, b: ImageFeatures) -> tuple[float, float]:
    """(share of a's frame b shows, share of b's frame that shows a), whole working frames
    (borders included: a border added to b is area of b that a does not cover), ``t`` from a's
    working image to b's."""
    box_a = (0, 0, int(a.working_size[0]), int(a.working_size[1]))
    box_b = (0, 0, int(b.working_size[0]), int(b.working_size[1]))
    shown = _clip_area(t, box_a, box_b)                 # of b's frame, covered by a's
    kept = _clip_area(np.linalg.inv(t), box_b, box_a)  # of a's frame, covered by b's
    return min(1.0, kept), min(1.0, shown)


def _matches(border_share: float, uncovered: float) -> bool:
    """Is the trimmed border about the part of the frame the other image does not cover?"""
    return border_share >= BORDER_MIN and abs(border_share - uncovered) <= BORDER_MATCH


def _area_share(sides: tuple[float, float, float, float]) -> float:
    """Share of an image's area in borders of (left, top, right, bottom) fractions."""
    left, top, right, bottom = sides
    return float(max(0.0, 1.0 - max(0.0, 1.0 - left - right) * max(0.0, 1.0 - top - bottom)))


def _border_word(sides: tuple[float, float, float, float]) -> str:
    """"letterbox" for bars on two opposite sides only, else "border"."""
    left, top, right, bottom = (v > 0.005 for v in sides)
    return "letterbox" if (top or bottom) != (left or right) else "border"


def _bars(f: ImageFeatures, into_f: np.ndarray, other_size: tuple[int, int]) -> str:
    """Which sides of ``f`` outside the other frame are uniform bars: "", "letterbox", "border".

    ``into_f`` maps the other image's working coordinates (``other_size``) into ``f``'s. Judged
    on f's 64 px thumbnail side by side (a top bar and a bottom bar may differ in colour), a
    pixel of margin left for the resampling seam. "" when any uncovered side is not uniform.
    """
    g = f.extra.get("gray")
    if g is None:
        return ""
    gh, gw = g.shape
    w, h = other_size
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32).reshape(-1, 1, 2)
    other = cv2.perspectiveTransform(corners, as_3x3(into_f)).reshape(-1, 2)
    cx0, cy0, cx1, cy1 = content_box_of(f)       # the thumbnail shows f's content box
    xs = (other[:, 0] - cx0) * gw / max(1, cx1 - cx0)
    ys = (other[:, 1] - cy0) * gh / max(1, cy1 - cy0)
    x0, x1 = max(0.0, float(xs.min())), min(float(gw), float(xs.max()))
    y0, y1 = max(0.0, float(ys.min())), min(float(gh), float(ys.max()))
    strips: dict[str, np.ndarray] = {}
    if y0 >= 1.5:
        strips["top"] = g[: max(1, int(y0) - 1), :]
    if gh - y1 >= 1.5:
        strips["bottom"] = g[min(gh - 1, int(math.ceil(y1)) + 1):, :]
    if x0 >= 1.5:
        strips["left"] = g[:, : max(1, int(x0) - 1)]
    if gw - x1 >= 1.5:
        strips["right"] = g[:, min(gw - 1, int(math.ceil(x1)) + 1):]
    strips = {side: s for side, s in strips.items() if s.size >= 4}
    if not strips or any(float(s.astype(np.float64).std()) > BAR_STD for s in strips.values()):
        return ""
    sides = set(strips)
    return "letterbox" if sides <= {"top", "bottom"} or sides <= {"left", "right"} else "border"


def _common_grays(a: ImageFeatures, b: ImageFeatures) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """The two gray thumbnails over the same part of the (same-framing) pair, at one size, and
    whether the border trimming took the same boxes. Each thumbnail shows its image's content
    box; trimming may differ between copies (a dark edge trimmed in one, not the other)."""
    ga, gb = a.extra.get("gray"), b.extra.get("gray")
    if ga is None or gb is None:
        return None
    boxes = []
    for f in (a, b):
        x0, y0, x1, y1 = content_box_of(f)
        w, h = f.working_size
        boxes.append((x0 / w, y0 / h, x1 / w, y1 / h))
    common = (max(boxes[0][0], boxes[1][0]), max(boxes[0][1], boxes[1][1]),
              min(boxes[0][2], boxes[1][2]), min(boxes[0][3], boxes[1][3]))
    if common[2] - common[0] < 0.2 or common[3] - common[1] < 0.2:
        return None
    same = all(abs(u - v) < 0.01 for u, v in zip(boxes[0], boxes[1]))
    out = []
    for g, (u0, v0, u1, v1) in zip((ga, gb), boxes):
        gh, gw = g.shape
        sx, sy = gw / max(1e-6, u1 - u0), gh / max(1e-6, v1 - v0)
        c0, r0 = int(round((common[0] - u0) * sx)), int(round((common[1] - v0) * sy))
        c1, r1 = int(round((common[2] - u0) * sx)), int(round((common[3] - v0) * sy))
        out.append(g[max(0, r0):max(r0 + 1, r1), max(0, c0):max(c0 + 1, c1)])
    shape = (out[0].shape[1], out[0].shape[0])
    if out[1].shape != out[0].shape:
        out[1] = cv2.resize(out[1], shape, interpolation=cv2.INTER_AREA)
    return out[0].astype(np.float64), out[1].astype(np.float64), same


def _tone_edit(a: ImageFeatures, b: ImageFeatures) -> str:
    """A colour or tone edit of the same framing ("" if none): exposure, contrast, saturation."""
    grays = _common_grays(a, b)
    if grays is None:
        return ""
    fa, fb, same_boxes = grays
    shift = abs(float(fb.mean() - fa.mean()))
    spread = float(fb.std()) / max(1e-6, float(fa.std()))
    ca, cb = _chroma(a), _chroma(b)
    # The colour signature covers each content box: compared only when the boxes agree.
    chroma = (cb - ca) / ca if (same_boxes and ca >= COLOUR_CHROMA
                                and abs(cb - ca) >= CHROMA_CHANGE_MIN) else 0.0
    if shift > TONE_SHIFT or abs(spread - 1.0) > CONTRAST_CHANGE or abs(chroma) > CHROMA_CHANGE:
        return "colour/tone edit"
    return ""


def _detail_changed(a: ImageFeatures, b: ImageFeatures) -> bool:
    """Same size, same framing, but the fine detail is stronger or weaker (sharpened/blurred)."""
    ga, gb = a.extra.get("gray"), b.extra.get("gray")
    grays = _common_grays(a, b)
    if grays is None or ga is None or gb is None or ga.shape != gb.shape:
        return False
    fa, fb, _ = grays
    da = np.abs(fa - cv2.GaussianBlur(fa, (0, 0), 1.0)).mean()
    db = np.abs(fb - cv2.GaussianBlur(fb, (0, 0), 1.0)).mean()
    return bool(da > 1.0 and abs(db / da - 1.0) > DETAIL_CHANGE)

"""Similarity score 0-100 of two images from their features, with the evidence for it.

The score follows the scale users rely on (README): 100 identical pixels; 90-99 the same photo
with minor changes; 70-89 the same subject with bigger changes (crop, rotation, mirror, border,
other viewpoint, a subject that moved); 50-69 moderate; < 50 unrelated.

How it is decided (features are taken inside uniform borders, see ``engine.borders``):

1. **Geometry** (``engine.geometry``) - ORB matches verified by one RANSAC transform, also
   against the mirrored image. Nothing reaches 70 without it: global evidence (hashes,
   thumbnails) alone never makes two images "the same subject".
2. **Pixels** (``engine.difference``) - the thumbnails aligned by the verified transform: their
   correlation grades the edit and rejects rare geometric false positives; the changed region
   left after tone matching separates "the same photo, retouched or watermarked" (tiny or thin
   changes, >= 90) from "another frame, the subject moved" (one large changed region, 70-89);
   a pair that still looks like the same photo is checked again on finer detail tiles.
3. **Framing** - only when the verified correspondences sit at the same relative positions in
   both images (the same framing at any resolution; tolerance 2.5 px of the smaller image,
   0.8-2.5 % of the frame) can a pair reach 90: a crop, rotation, squeeze, border, other
   viewpoint or a burst frame whose camera moved stays below 90 by construction. Within the same
   framing, a grayscale conversion or strong colour grade (Lab signature) also stays below 90.

Keypoint-poor pairs (blur, tiny copies) whose hashes and thumbnails agree under one of the 8
dihedral transforms count only when keypoint matches land where that transform puts them;
otherwise they get "similar overall look" (50-69): a hint, never a verified match.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np

from desktop_app.engine.borders import border_shares
from desktop_app.engine.difference import aligned_difference, detail_moved, global_alignment, warp_thumbnails
from desktop_app.engine.features import content_box_of
from desktop_app.engine.geometry import (Geometry, as_3x3, invert_transform, local_geometry, matched_points,
                                         transform_points)
from desktop_app.engine.types import AlignedDifference, Comparison, ImageFeatures

log = logging.getLogger(__name__)

__all__ = ["as_3x3", "compare_features", "phash_distance"]  # as_3x3: the pages map transforms with it

IDENTITY_TOLERANCE = (0.008, 0.025)  # max corner shift (fraction of the frame) for "same framing":
#                                      2.5 px of the smaller true image, within these bounds
GLOBAL_MIN_AGREEING = 6    # keypoint matches supporting a global (dihedral) alignment
MOVED_REGION = 0.014       # a changed region this large (share of the overlap) is a moved subject:
MOVED_CONTRAST = 0.10     #   tuning set: watermarks <= 0.009, burst frames with a visible move >= 0.020


def phash_distance(a: ImageFeatures, b: ImageFeatures) -> tuple[int, int]:
    """Best Hamming distance between ``a`` as decoded and the 8 dihedral variants of ``b``.

    Returns ``(distance, k)``: ``a`` looks like dihedral transform ``k`` of ``b``.
    """
    x = np.bitwise_xor(np.uint64(a.phash[0]), np.asarray(b.phash, dtype=np.uint64))
    d = np.bitwise_count(x)
    k = int(np.argmin(d))
    return int(d[k]), k


def _identity_tolerance(a: ImageFeatures, b: ImageFeatures) -> float:
    """How far the framing may be off and still be "the same framing".

    The transform's accuracy is about a pixel or two of the smaller image (a 128 px copy: ~1.5 %
    of the frame; a 12 MP photo: far less), so the tolerance is 2.5 px of the smaller true image,
    kept between 0.8 % and 2.5 %: a burst frame whose camera moved by 1 % of a 12 MP frame stays
    below 90.
    """
    sizes = [int(max(f.extra["size"])) if "size" in f.extra else max(f.working_size) for f in (a, b)]
    lo, hi = IDENTITY_TOLERANCE
    return float(min(hi, max(lo, 2.5 / max(1, min(sizes)))))


def _is_identity(pa: np.ndarray, pb: np.ndarray, a: ImageFeatures, b: ImageFeatures) -> bool:
    """Same framing: the verified correspondences sit at the same relative place in both images.

    Judged on the inliers themselves (median offset in fractions of the frame), not on the
    fitted transform's corners, which a few dozen inliers pin down less well.
    """
    if len(pa) == 0:
        return False
    qa = pa / np.array(a.working_size, np.float32)
    qb = pb / np.array(b.working_size, np.float32)
    offset = np.abs(qa - qb).max(axis=1)
    return bool(np.median(offset) <= 0.5 * _identity_tolerance(a, b))


def _aspect_changed(a: ImageFeatures, b: ImageFeatures) -> bool:
    """Squeezed or stretched (not just resized): aspect ratios differ by more than 3 %."""
    ra = a.working_size[0] / max(1, a.working_size[1])
    rb = b.working_size[0] / max(1, b.working_size[1])
    return abs(np.log(ra / rb)) > 0.03


def _chroma(f: ImageFeatures) -> float:
    lab = f.extra.get("lab")
    if lab is None:
        return 0.0
    c = lab[..., 1:].astype(np.float64) - 128.0
    return float(np.sqrt((c * c).sum(axis=-1)).mean())


def _colour_change(a: ImageFeatures, b: ImageFeatures) -> float:
    """Mean chroma difference of the Lab signatures (0 = same colours)."""
    la, lb = a.extra.get("lab"), b.extra.get("lab")
    if la is None or lb is None:
        return 0.0
    d = la[..., 1:].astype(np.float64) - lb[..., 1:].astype(np.float64)
    return float(np.sqrt((d * d).sum(axis=-1)).mean())


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


def _subject_moved(diff: AlignedDifference) -> bool:
    """One large, clearly different region after alignment: another frame, not an edit."""
    return diff.largest_region >= MOVED_REGION and diff.contrast >= MOVED_CONTRAST


# ---------------------------------------------------------------------------------------------
# canonical order (symmetry)


def _order_key(f: ImageFeatures) -> tuple[bytes, bytes, tuple[int, int], int]:
    """Cheap deterministic key of an image's features (pixel digest first, then the hashes)."""
    digest = f.extra.get("digest")
    return (b"" if digest is None else np.asarray(digest).tobytes(),
            np.asarray(f.phash, dtype=np.uint64).tobytes(), (int(f.working_size[0]), int(f.working_size[1])),
            len(f.keypoints))


def _swapped_first(a: ImageFeatures, b: ImageFeatures) -> bool:
    """Whether ``b`` comes before ``a`` in the canonical order of a pair (ties: descriptor bytes)."""
    ka, kb = _order_key(a), _order_key(b)
    if ka != kb:
        return kb < ka
    return np.ascontiguousarray(b.descriptors).tobytes() < np.ascontiguousarray(a.descriptors).tobytes()


def _box_through(t: np.ndarray | None, fa: ImageFeatures, fb: ImageFeatures,
                 box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A box in fractions of fa's content, mapped by ``t`` (fa -> fb) into fractions of fb's content."""
    if t is None:
        return box
    ax0, ay0, ax1, ay1 = content_box_of(fa)
    bx0, by0, bx1, by1 = content_box_of(fb)
    x0, y0, x1, y1 = box
    pts = np.array([[ax0 + x * (ax1 - ax0), ay0 + y * (ay1 - ay0)] for x in (x0, x1) for y in (y0, y1)])
    q = transform_points(t, pts.astype(np.float32))
    fx = (q[:, 0] - bx0) / max(1, bx1 - bx0)
    fy = (q[:, 1] - by0) / max(1, by1 - by0)
    return (float(np.clip(fx.min(), 0, 1)), float(np.clip(fy.min(), 0, 1)),
            float(np.clip(fx.max(), 0, 1)), float(np.clip(fy.max(), 0, 1)))


def _swap(c: Comparison, a: ImageFeatures, b: ImageFeatures) -> Comparison:
    """The same comparison with the roles of a and b exchanged (evidence in the caller's frame).

    ``c`` compared ``a`` (first) with ``b``; the result has ``b`` first.
    """
    diff = c.difference
    if diff is not None and diff.largest_region > 0:
        diff = AlignedDifference(ncc=diff.ncc, changed_share=diff.changed_share,
                                 largest_region=diff.largest_region,
                                 region_box=_box_through(c.transform, a, b, diff.region_box), contrast=diff.contrast)
    return Comparison(score=c.score, phash_distance=c.phash_distance, matches=c.matches,
                      inliers=c.inliers, transform=invert_transform(c.transform),
                      points_a=c.points_b, points_b=c.points_a, inlier_mask=c.inlier_mask,
                      reason=c.reason, mirrored=c.mirrored, model=c.model,
                      borders_a=c.borders_b, borders_b=c.borders_a, overlap_a=c.overlap_b, overlap_b=c.overlap_a,
                      same_framing=c.same_framing, difference=diff, colour_change=c.colour_change,
                      chroma_a=c.chroma_b, chroma_b=c.chroma_a)


def compare_features(a: ImageFeatures, b: ImageFeatures) -> Comparison:
    """Score (0-100) how alike two images are, with the evidence (see the module docstring).

    Symmetric: ``compare_features(a, b).score == compare_features(b, a).score`` exactly. Several
    steps are directional (``b`` is warped onto ``a``, sanity bounds use ``a``'s size, the ratio
    test queries ``a`` against ``b``), so the pair is put in a canonical order, scored once, and
    the evidence is swapped back (points exchanged, transform inverted) into the caller's frame.
    Otherwise the pair cache, find_similar and the Compare page would disagree on one pair.
    """
    if _swapped_first(a, b):
        return _swap(_compare_ordered(b, a), b, a)
    return _compare_ordered(a, b)


# ---------------------------------------------------------------------------------------------
# scoring


def _with_evidence(c: Comparison, a: ImageFeatures, b: ImageFeatures) -> Comparison:
    """``c`` with the evidence every comparison carries, verified or not (borders, colours)."""
    return replace(c, borders_a=border_shares(content_box_of(a), a.working_size),
                   borders_b=border_shares(content_box_of(b), b.working_size),
                   colour_change=_colour_change(a, b), chroma_a=_chroma(a), chroma_b=_chroma(b))


def _compare_ordered(a: ImageFeatures, b: ImageFeatures) -> Comparison:
    return _with_evidence(_compare_core(a, b), a, b)


def _compare_core(a: ImageFeatures, b: ImageFeatures) -> Comparison:
    dist, k = phash_distance(a, b)
    da, db = a.extra.get("digest"), b.extra.get("digest")
    if da is not None and db is not None and np.array_equal(da, db):
        geo = local_geometry(a, b, force=True)
        pa, pb = geo.points_a, geo.points_b
        return Comparison(score=100.0, phash_distance=dist, matches=len(pa), inliers=len(pa),
                          transform=np.eye(3), points_a=pa, points_b=pb,
                          inlier_mask=np.ones(len(pa), bool), reason="identical pixels", model="identity",
                          overlap_a=1.0, overlap_b=1.0, same_framing=True)
    # Full matching only when a cheap probe finds correspondences (or the hashes are nearly
    # equal): most candidate pairs of a large library are unrelated and stop here (~0.5 ms).
    geo = local_geometry(a, b, force=dist <= 6)
    if geo.verified and geo.transform is not None:
        return _score_verified(a, b, geo, dist)
    score, reason, transform = _score_global(a, b, dist, k)
    return Comparison(score=score, phash_distance=dist, matches=len(geo.points_a), inliers=0,
                      transform=transform, points_a=geo.points_a, points_b=geo.points_b,
                      inlier_mask=np.zeros(len(geo.points_a), bool), reason=reason or geo.why,
                      mirrored=transform is not None and k in (1, 2, 4, 7),
                      model="dihedral" if transform is not None else "")


def _minor_score(a: ImageFeatures, b: ImageFeatures, q: float, colour: float) -> tuple[float, str]:
    """Score of the same framing: 90-99.5 by pixel agreement ``q``; colour or aspect changes cap at 89."""
    score = 90.0 + 9.5 * q - min(4.0, max(0.0, colour - 6.0) * 0.25)
    reason = "same photo, minor changes"
    if colour > 20:        # grayscale conversion or a strong colour grade: a different edit
        score, reason = min(score, 89.0), "same photo, colours changed"
    if _aspect_changed(a, b):
        score, reason = min(score, 89.0), "same photo, aspect ratio changed"
    return round(min(score, 99.5), 1), reason


def _score_verified(a: ImageFeatures, b: ImageFeatures, geo: Geometry, dist: int) -> Comparison:
    assert geo.transform is not None
    ga, warped, valid, cov_b = warp_thumbnails(a, b, geo.transform)
    cov_a = float(valid.mean())
    diff = aligned_difference(ga, warped, valid)
    ncc = diff.ncc
    inl = geo.inlier_mask
    identity = not geo.mirrored and _is_identity(geo.points_a[inl], geo.points_b[inl], a, b)
    strength = _clip01((geo.inliers - 15) / 45.0)
    cov = min(cov_a, cov_b)
    if identity and ncc >= 0.85 and (_subject_moved(diff) or detail_moved(a, b, geo.transform)):
        # Same framing, but one region changed a lot: another frame of a burst, not an edit.
        q = 0.5 * _clip01((ncc - 0.85) / 0.15) + 0.5 * _clip01(1.0 - diff.largest_region / 0.3)
        score, reason = round(80.0 + 8.0 * q, 1), "same scene, subject moved"
    elif identity and ncc >= 0.85:
        score, reason = _minor_score(a, b, _clip01((ncc - 0.85) / 0.145), _colour_change(a, b))
    elif ncc < 0.3 and strength < 0.5:
        score, reason = round(50.0 + 19.0 * _clip01(strength + max(ncc, 0.0)), 1), "some matching structure"
    else:
        q = 0.4 * _clip01((cov - 0.35) / 0.6) + 0.4 * _clip01((ncc - 0.4) / 0.55) + 0.2 * strength
        if geo.mirrored:
            reason = "same photo, mirrored" if ncc >= 0.8 else "same scene, mirrored"
        else:
            reason = "same photo, cropped or reframed" if ncc >= 0.8 else "same scene, other viewpoint or edit"
        score = round(70.0 + 19.0 * q, 1)
    return Comparison(score=score, phash_distance=dist, matches=len(geo.points_a), inliers=geo.inliers,
                      transform=geo.transform, points_a=geo.points_a, points_b=geo.points_b,
                      inlier_mask=geo.inlier_mask, reason=reason, mirrored=geo.mirrored,
                      model="identity" if identity else geo.model, overlap_a=cov_a, overlap_b=cov_b,
                      same_framing=identity, difference=diff)


def _dihedral_transform(a: ImageFeatures, b: ImageFeatures, k: int) -> np.ndarray:
    """3x3 from a's working coordinates to b's when a's content is dihedral transform k of b's."""
    ax0, ay0, ax1, ay1 = content_box_of(a)
    bx0, by0, bx1, by1 = content_box_of(b)
    wb, hb = bx1 - bx0, by1 - by0
    # a's content box corners (normalised 0..1), and the point of b's content each shows
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    src = np.array([[ax0 + u * (ax1 - ax0), ay0 + v * (ay1 - ay0)] for u, v in corners], np.float64)
    dst = []
    for u, v in corners:
        x, y = u, v                       # undo transform k (order of features.dihedral_variants)
        kk = k % 4
        if kk in (1, 3):
            x = 1.0 - x
        if kk in (2, 3):
            y = 1.0 - y
        if k >= 4:
            x, y = y, x
        dst.append([bx0 + x * wb, by0 + y * hb])
    m = np.linalg.solve(np.hstack([src, np.ones((3, 1))]), np.array(dst)).T      # 2x3
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _agreeing_matches(a: ImageFeatures, b: ImageFeatures, t: np.ndarray, mirrored: bool) -> int:
    """Keypoint matches that land where the global transform ``t`` (a -> b) puts them."""
    pa, pb = matched_points(a, b, mirrored=mirrored)
    if len(pa) == 0:
        return 0
    tol = 0.03 * float(np.hypot(*b.working_size))
    return int((np.linalg.norm(transform_points(t, pa) - pb, axis=1) <= tol).sum())


def _score_global(a: ImageFeatures, b: ImageFeatures, dist: int, k: int) -> tuple[float, str, np.ndarray | None]:
    """No RANSAC-verified geometry (blurred, tiny or keypoint-poor copies): the dihedral pHash
    proposes a transform, the thumbnails must agree under it, and keypoint matches must land
    where it puts them. Without that local support hashes say at most "similar overall look"."""
    if dist > 12 or "gray" not in a.extra or "gray" not in b.extra:
        score = max(0.0, min(60.0 - 3.0 * dist, 60.0))
        return round(score, 1), ("similar overall look" if score >= 50 else "unrelated"), None
    ncc, detail = global_alignment(a, b, k)
    texture = min(float(a.extra["gray"].std()), float(b.extra["gray"].std()))
    # Smooth gradients (skies, studio backdrops) correlate whatever the photo: the fine detail
    # must agree too (true copies: >= 0.86 on the benchmarks; unrelated pairs: < 0.55).
    if ncc >= 0.9 and detail >= 0.7 and texture >= 12.0:
        t = _dihedral_transform(a, b, k)
        if _agreeing_matches(a, b, t, mirrored=k in (1, 2, 4, 7)) >= GLOBAL_MIN_AGREEING:
            if k == 0:
                score, reason = _minor_score(a, b, _clip01((ncc - 0.9) / 0.095), _colour_change(a, b))
                return score, reason, t
            names = {1: "mirrored", 2: "flipped", 3: "rotated 180°", 4: "transposed", 5: "rotated 90°",
                     6: "rotated 90°", 7: "transposed"}
            return round(80.0 + 9.0 * _clip01((ncc - 0.9) / 0.1), 1), f"same photo, {names[k]}", t
        return round(60.0 + 9.0 * _clip01((ncc - 0.9) / 0.1), 1), "similar overall look (not verified)", None
    score = max(0.0, min(60.0 - 3.0 * dist, 60.0))
    return round(score, 1), ("similar overall look" if score >= 50 else "unrelated"), None

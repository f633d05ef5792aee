"""Similarity score 0-100 of two images from their features, with the evidence for it.

The score follows the scale users rely on (README): 100 identical pixels; 90-99 the same photo
with minor changes; 70-89 the same subject with bigger changes (crop, rotation, mirror, other
viewpoint); 50-69 moderate; < 50 unrelated.

How it is decided (three independent pieces of evidence):

1. **Geometry** - ORB descriptors matched (Hamming, Lowe ratio test) and verified with RANSAC
   (affine, or a homography for a moved camera). A verification only counts when the transform
   is sane (bounded scale and shear, orientation-preserving, non-degenerate), it has enough
   inliers, and the inliers are spread over both images: random pairs essentially never pass.
2. **Pixels** - the small grayscale thumbnail of ``b`` is warped onto ``a`` with the verified
   transform and compared by normalised cross-correlation over the overlap. This rejects the
   rare geometric false positive (repetitive textures) and grades the edit strength.
3. **Framing** - only when the verified correspondences sit at the same relative positions in
   both images (the same framing at any resolution; tolerance 2.5 px of the smaller image,
   0.8-2.5 % of the frame) can a pair reach 90: a crop, rotation, squeeze, other viewpoint or a
   burst frame whose camera moved stays below 90 by construction. Within the same framing,
   a grayscale conversion or strong colour grade (Lab signature) also stays below 90.

Pure 90/180/270 rotations and mirrors (ORB descriptors are not mirror invariant) are also
verified globally: the dihedral pHash picks the orientation and the aligned thumbnails must
correlate strongly.
"""

from __future__ import annotations

import logging
import threading
from typing import cast
from dataclasses import dataclass

import cv2
import numpy as np

from desktop_app.engine.types import Comparison, ImageFeatures

log = logging.getLogger(__name__)

RATIO = 0.8                 # Lowe ratio test
RANSAC_PX = 4.0             # reprojection threshold in feature-image pixels (512 px long side)
MIN_INLIERS = 15
MIN_INLIER_RATIO = 0.2
MAX_SCALE = 5.0             # between the two feature images (both 512 px long side)
MAX_ANISOTROPY = 2.5        # aspect squeeze / shear bound
IDENTITY_TOLERANCE = (0.008, 0.025)  # max corner shift (fraction of the frame) for "same framing":
#                                      2.5 px of the smaller true image, within these bounds
MATCH_KEYPOINTS = 300       # strongest spread keypoints used for matching (cost ~ n^2)
PROBE_KEYPOINTS = 100       # keypoints of a probed against b before full matching
PROBE_MIN_MATCHES = 8       # probe matches that make full matching worthwhile

_local = threading.local()


def _matcher() -> cv2.BFMatcher:
    m = getattr(_local, "bf", None)
    if m is None:
        m = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=False)
        _local.bf = m
    return m


# ---------------------------------------------------------------------------------------------
# hashes


def phash_distance(a: ImageFeatures, b: ImageFeatures) -> tuple[int, int]:
    """Best Hamming distance between ``a`` as decoded and the 8 dihedral variants of ``b``.

    Returns ``(distance, k)``: ``a`` looks like dihedral transform ``k`` of ``b``.
    """
    x = np.bitwise_xor(np.uint64(a.phash[0]), np.asarray(b.phash, dtype=np.uint64))
    d = np.bitwise_count(x)
    k = int(np.argmin(d))
    return int(d[k]), k


def apply_dihedral(arr: np.ndarray, k: int) -> np.ndarray:
    """Dihedral transform ``k`` (order of :func:`features.dihedral_variants`) of an image array."""
    if k >= 4:
        arr = arr.swapaxes(0, 1)
        k -= 4
    if k == 1:
        arr = arr[:, ::-1]
    elif k == 2:
        arr = arr[::-1, :]
    elif k == 3:
        arr = arr[::-1, ::-1]
    return np.ascontiguousarray(arr)


def _dihedral_affine(k: int, size_b: tuple[int, int], size_a: tuple[int, int]) -> np.ndarray:
    """2x3 affine from a's feature coordinates to b's when ``a`` = transform k of ``b``."""
    wb, hb = size_b
    wa, ha = size_a
    # corners of b and where transform k puts them (in a transformed b of size (wt, ht))
    cb = np.array([[0, 0], [wb, 0], [0, hb]], np.float32)

    def tk(p: np.ndarray) -> np.ndarray:
        x, y = p[:, 0].copy(), p[:, 1].copy()
        w, h = wb, hb
        if k >= 4:
            x, y, w, h = y, x, h, w
        kk = k % 4
        if kk in (1, 3):
            x = w - x
        if kk in (2, 3):
            y = h - y
        return np.stack([x * wa / w, y * ha / h], axis=1).astype(np.float32)

    return cv2.getAffineTransform(tk(cb), cb)


# ---------------------------------------------------------------------------------------------
# geometry


@dataclass(frozen=True)
class _Geometry:
    transform: np.ndarray | None
    inlier_mask: np.ndarray
    inliers: int
    verified: bool
    why: str = ""


def _ratio_matches(da: np.ndarray, db: np.ndarray) -> tuple[list[int], list[int]]:
    ia: list[int] = []
    ib: list[int] = []
    if len(da) < 1 or len(db) < 2:
        return ia, ib
    for pair in _matcher().knnMatch(da, db, k=2):
        if len(pair) == 2 and pair[0].distance < RATIO * pair[1].distance and pair[0].distance <= 80:
            ia.append(pair[0].queryIdx)
            ib.append(pair[0].trainIdx)
    return ia, ib


def _promising(a: ImageFeatures, b: ImageFeatures) -> bool:
    """Cheap probe (a's strongest spread keypoints against b's): is geometry worth trying?

    On the benchmark, unrelated pairs give <= 9 probe matches (99 %: <= 6) while copies the
    geometric path is needed for give 10 or more in either direction (a crop probes well both
    ways: its keypoints all lie in the original, and the original's spread prefix covers the
    crop); blurred, tiny or mirrored copies that give fewer are left to the global path.
    """
    ia, _ = _ratio_matches(a.descriptors[:PROBE_KEYPOINTS], b.descriptors[:MATCH_KEYPOINTS])
    return len(ia) >= PROBE_MIN_MATCHES


def _match(a: ImageFeatures, b: ImageFeatures) -> tuple[np.ndarray, np.ndarray]:
    ia, ib = _ratio_matches(a.descriptors[:MATCH_KEYPOINTS], b.descriptors[:MATCH_KEYPOINTS])
    if not ia:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    # one-to-one: keep the first match per train keypoint (duplicates are ambiguous)
    ib_arr = np.asarray(ib)
    _, first = np.unique(ib_arr, return_index=True)
    first.sort()
    pa = a.keypoints[np.asarray(ia)[first]].astype(np.float32)
    pb = b.keypoints[ib_arr[first]].astype(np.float32)
    return pa, pb


def _spread_ok(p: np.ndarray, size: tuple[int, int]) -> bool:
    """Inliers must cover a real part of the image, not a cluster or a line."""
    w, h = size
    q = p / np.array([w, h], np.float32)
    span = q.max(axis=0) - q.min(axis=0)
    if span[0] < 0.15 or span[1] < 0.15:
        return False
    cov = np.cov(q.T)
    ev = np.linalg.eigvalsh(cov)
    return bool(ev[0] > 0.0015)           # ~ std 0.04 of the image along the thinnest axis


def _affine_sane(m: np.ndarray) -> bool:
    a = m[:2, :2].astype(np.float64)
    det = float(np.linalg.det(a))
    if det <= 0:                          # ORB cannot match mirrors: a reflection is an accident
        return False
    s = np.linalg.svd(a, compute_uv=False)
    scale = float(np.sqrt(det))
    return bool(1 / MAX_SCALE <= scale <= MAX_SCALE and s[0] / max(s[1], 1e-9) <= MAX_ANISOTROPY)


def _homography_sane(h: np.ndarray, size_a: tuple[int, int]) -> bool:
    if not np.all(np.isfinite(h)) or abs(h[2, 2]) < 1e-9:
        return False
    h = h / h[2, 2]
    w, hh = size_a
    if abs(h[2, 0]) * w > 0.5 or abs(h[2, 1]) * hh > 0.5:   # strong perspective: implausible
        return False
    corners = np.array([[0, 0], [w, 0], [w, hh], [0, hh]], np.float32).reshape(-1, 1, 2)
    mapped = cv2.perspectiveTransform(corners, h).reshape(-1, 2)
    if not cv2.isContourConvex(mapped.astype(np.float32)):
        return False
    # orientation preserved everywhere
    cross = []
    for i in range(4):
        p0, p1, p2 = mapped[i], mapped[(i + 1) % 4], mapped[(i + 2) % 4]
        cross.append((p1[0] - p0[0]) * (p2[1] - p1[1]) - (p1[1] - p0[1]) * (p2[0] - p1[0]))
    if min(cross) <= 0:
        return False
    return _affine_sane(h[:2, :3])


def _verify(pa: np.ndarray, pb: np.ndarray, a: ImageFeatures, b: ImageFeatures) -> _Geometry:
    n = len(pa)
    empty = np.zeros((n,), bool)
    if n < MIN_INLIERS:
        return _Geometry(None, empty, 0, False, "too few matches")
    # OpenCV returns a None model when none fits (its stubs don't say so).
    affine, mask = cv2.estimateAffine2D(pa, pb, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX,
                                        maxIters=2000, confidence=0.995, refineIters=10)
    m = cast("np.ndarray | None", affine)
    best: tuple[np.ndarray | None, np.ndarray] = (None, empty)
    if m is not None and _affine_sane(m):
        best = (m, mask.ravel().astype(bool))
    n_aff = int(best[1].sum())
    # A moved camera (perspective) still fits an affine model roughly; with no affine support
    # at all a homography would only fit noise (and cost the most RANSAC time).
    if MIN_INLIERS // 2 <= n_aff < max(3 * MIN_INLIERS, 0.6 * n):
        homography, hmask = cv2.findHomography(pa, pb, cv2.RANSAC, RANSAC_PX, maxIters=1000,
                                               confidence=0.995)
        h = cast("np.ndarray | None", homography)
        if h is not None and _homography_sane(h, a.working_size):
            hm = hmask.ravel().astype(bool)
            if hm.sum() > 1.15 * n_aff + 2:
                best = (h / h[2, 2], hm)
    t, inl = best
    k = int(inl.sum())
    if t is None or k < MIN_INLIERS:
        return _Geometry(None, empty, 0, False, "no consistent geometry")
    if k < MIN_INLIER_RATIO * n:
        return _Geometry(None, empty, k, False, "inliers are a small minority")
    if not (_spread_ok(pa[inl], a.working_size) and _spread_ok(pb[inl], b.working_size)):
        return _Geometry(None, empty, k, False, "inliers are clustered")
    return _Geometry(t, inl, k, True)


# ---------------------------------------------------------------------------------------------
# pixels


def as_3x3(transform: np.ndarray) -> np.ndarray:
    """A 2x3 affine or 3x3 homography as a float64 3x3 matrix (the one place that pads)."""
    t = np.asarray(transform, dtype=np.float64)
    if t.shape == (2, 3):
        t = np.vstack([t, [0.0, 0.0, 1.0]])
    if t.shape != (3, 3):
        raise ValueError(f"transform must be 2x3 or 3x3, got {t.shape}")
    return t


def _ncc(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
    if mask.sum() < 64:
        return 0.0
    xv = x[mask].astype(np.float64)
    yv = y[mask].astype(np.float64)
    xv -= xv.mean()
    yv -= yv.mean()
    den = float(np.sqrt((xv * xv).sum() * (yv * yv).sum()))
    if den < 1e-6:
        return 0.0
    return float((xv * yv).sum() / den)


def _pixel_check(a: ImageFeatures, b: ImageFeatures, t: np.ndarray) -> tuple[float, float, float]:
    """(ncc, overlap of a, overlap of b) after warping b's thumbnail onto a's with ``t``."""
    ga, gb = a.extra["gray"], b.extra["gray"]
    sa = np.diag([ga.shape[1] / a.working_size[0], ga.shape[0] / a.working_size[1], 1.0])
    sb = np.diag([gb.shape[1] / b.working_size[0], gb.shape[0] / b.working_size[1], 1.0])
    m = sb @ as_3x3(t) @ np.linalg.inv(sa)           # a-thumb -> b-thumb
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size_a = (ga.shape[1], ga.shape[0])
    size_b = (gb.shape[1], gb.shape[0])
    warped = cv2.warpPerspective(gb, m, size_a, flags=flags, borderMode=cv2.BORDER_CONSTANT)
    valid_a = cv2.warpPerspective(np.full(gb.shape, 255, np.uint8), m, size_a, flags=flags) > 250
    valid_b = cv2.warpPerspective(np.full(ga.shape, 255, np.uint8), np.linalg.inv(m), size_b, flags=flags) > 250
    return _ncc(ga, warped, valid_a), float(valid_a.mean()), float(valid_b.mean())


def _detail(g: np.ndarray) -> np.ndarray:
    """High-pass of a thumbnail: what is left when the smooth shading (sky, vignette) is removed."""
    f = g.astype(np.float32)
    return f - cv2.GaussianBlur(f, (0, 0), 1.5)


def _global_ncc(a: ImageFeatures, b: ImageFeatures, k: int) -> tuple[float, float]:
    """(NCC, detail NCC) of a's thumbnail and b's under dihedral transform k, same framing."""
    ga = a.extra["gray"]
    gb = apply_dihedral(b.extra["gray"], k)
    if gb.shape != ga.shape:
        gb = cv2.resize(gb, (ga.shape[1], ga.shape[0]), interpolation=cv2.INTER_AREA)
    full = np.ones(ga.shape, bool)
    return _ncc(ga, gb, full), _ncc(_detail(ga), _detail(gb), full)


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


def _colour_change(a: ImageFeatures, b: ImageFeatures) -> float:
    """Mean chroma difference of the Lab signatures (0 = same colours)."""
    la, lb = a.extra.get("lab"), b.extra.get("lab")
    if la is None or lb is None:
        return 0.0
    d = la[..., 1:].astype(np.float64) - lb[..., 1:].astype(np.float64)
    return float(np.sqrt((d * d).sum(axis=-1)).mean())


def _clip01(x: float) -> float:
    return float(min(1.0, max(0.0, x)))


# ---------------------------------------------------------------------------------------------


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


def _invert_transform(t: np.ndarray | None) -> np.ndarray | None:
    """Inverse of a 3x3 homography or a 2x3 affine (returned in the same shape)."""
    if t is None:
        return None
    m = np.asarray(t, np.float64)
    try:
        inv = np.linalg.inv(as_3x3(m))
    except np.linalg.LinAlgError:           # a verified transform is never singular; be safe
        return None
    if m.shape == (3, 3):
        return inv / inv[2, 2] if abs(inv[2, 2]) > 1e-12 else inv
    return inv[:2, :]


def _swap(c: Comparison) -> Comparison:
    """The same comparison with the roles of a and b exchanged (evidence in the caller's frame)."""
    return Comparison(score=c.score, phash_distance=c.phash_distance, matches=c.matches,
                      inliers=c.inliers, transform=_invert_transform(c.transform),
                      points_a=c.points_b, points_b=c.points_a, inlier_mask=c.inlier_mask,
                      reason=c.reason)


def compare_features(a: ImageFeatures, b: ImageFeatures) -> Comparison:
    """Score (0-100) how alike two images are, with the evidence (see the module docstring).

    Symmetric: ``compare_features(a, b).score == compare_features(b, a).score`` exactly. Several
    steps are directional (``b`` is warped onto ``a``, sanity bounds use ``a``'s size, the ratio
    test queries ``a`` against ``b``), so the pair is put in a canonical order, scored once, and
    the evidence is swapped back (points exchanged, transform inverted) into the caller's frame.
    Otherwise the pair cache, find_similar and the Compare page would disagree on one pair.
    """
    if _swapped_first(a, b):
        return _swap(_compare_ordered(b, a))
    return _compare_ordered(a, b)


def _compare_ordered(a: ImageFeatures, b: ImageFeatures) -> Comparison:
    dist, k = phash_distance(a, b)
    da, db = a.extra.get("digest"), b.extra.get("digest")
    if da is not None and db is not None and np.array_equal(da, db):
        pa, pb = _match(a, b)
        return Comparison(score=100.0, phash_distance=dist, matches=len(pa), inliers=len(pa),
                          transform=np.eye(3), points_a=pa, points_b=pb,
                          inlier_mask=np.ones(len(pa), bool), reason="identical pixels")
    # Full matching only when a cheap probe finds correspondences (or the hashes are nearly
    # equal): most candidate pairs of a large library are unrelated and stop here (~0.5 ms).
    if dist <= 6 or _promising(a, b):
        pa, pb = _match(a, b)
    else:
        pa = pb = np.zeros((0, 2), np.float32)
    geo = _verify(pa, pb, a, b)
    if geo.verified and geo.transform is not None:
        ncc, cov_a, cov_b = _pixel_check(a, b, geo.transform)
        score, reason = _score_verified(a, b, geo, ncc, cov_a, cov_b,
                                        identity=_is_identity(pa[geo.inlier_mask], pb[geo.inlier_mask], a, b))
        return Comparison(score=score, phash_distance=dist, matches=len(pa), inliers=geo.inliers,
                          transform=geo.transform, points_a=pa, points_b=pb,
                          inlier_mask=geo.inlier_mask, reason=reason)
    # Pure rotations by 90 degrees / mirrors (and keypoint-poor images): global alignment.
    score, reason, transform = _score_global(a, b, dist, k)
    return Comparison(score=score, phash_distance=dist, matches=len(pa), inliers=geo.inliers if geo.verified else 0,
                      transform=transform, points_a=pa, points_b=pb, inlier_mask=np.zeros(len(pa), bool),
                      reason=reason or geo.why)


def _minor_score(a: ImageFeatures, b: ImageFeatures, q: float) -> tuple[float, str]:
    """Score of the same framing: 90-99.5 by pixel agreement ``q``; colour or aspect changes cap at 89."""
    colour = _colour_change(a, b)
    score = 90.0 + 9.5 * q - min(4.0, max(0.0, colour - 6.0) * 0.25)
    reason = "same photo, minor changes"
    if colour > 20:        # grayscale conversion or a strong colour grade: a different edit
        score, reason = min(score, 89.0), "same photo, colours changed"
    if _aspect_changed(a, b):
        score, reason = min(score, 89.0), "same photo, aspect ratio changed"
    return round(min(score, 99.5), 1), reason


def _score_verified(a: ImageFeatures, b: ImageFeatures, geo: _Geometry, ncc: float,
                    cov_a: float, cov_b: float, *, identity: bool) -> tuple[float, str]:
    strength = _clip01((geo.inliers - MIN_INLIERS) / 45.0)
    if identity and ncc >= 0.85:
        return _minor_score(a, b, _clip01((ncc - 0.85) / 0.145))
    cov = min(cov_a, cov_b)
    if ncc < 0.3 and strength < 0.5:
        score = 50.0 + 19.0 * _clip01(strength + max(ncc, 0.0))
        return round(score, 1), "some matching structure"
    q = 0.4 * _clip01((cov - 0.35) / 0.6) + 0.4 * _clip01((ncc - 0.4) / 0.55) + 0.2 * strength
    reason = "same photo, cropped or reframed" if ncc >= 0.8 else "same scene, other viewpoint or edit"
    return round(70.0 + 19.0 * q, 1), reason


def _score_global(a: ImageFeatures, b: ImageFeatures, dist: int, k: int) -> tuple[float, str, np.ndarray | None]:
    if dist > 12 or "gray" not in a.extra or "gray" not in b.extra:
        ncc = detail = texture = 0.0
    else:
        ncc, detail = _global_ncc(a, b, k)
        texture = min(float(a.extra["gray"].std()), float(b.extra["gray"].std()))
    # Smooth gradients (skies, studio backdrops) correlate whatever the photo: the fine detail
    # must agree too (true copies: >= 0.86 on the benchmark; unrelated pairs: < 0.55).
    if dist <= 12 and ncc >= 0.9 and detail >= 0.7 and texture >= 12.0:
        t = _dihedral_affine(k, b.working_size, a.working_size)
        if k == 0:
            score, reason = _minor_score(a, b, _clip01((ncc - 0.9) / 0.095))
            return score, reason, t
        q = _clip01((ncc - 0.9) / 0.1)
        names = {1: "mirrored", 2: "flipped", 3: "rotated 180°", 4: "transposed", 5: "rotated 90°",
                 6: "rotated 90°", 7: "transposed"}
        return round(80.0 + 9.0 * q, 1), f"same photo, {names.get(k, 'rotated')}", t
    # Hashes alone: only near-identical hashes reach "moderate" (50-60); nothing was verified.
    score = max(0.0, min(60.0 - 3.0 * dist, 60.0))
    return round(score, 1), ("similar overall look" if score >= 50 else "unrelated"), None

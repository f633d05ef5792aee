"""Local evidence: ORB matches between two images verified by one geometric transform.

Descriptors are matched (Hamming, Lowe ratio test, one-to-one) and verified with RANSAC (affine,
or a homography for a moved camera). A verification only counts when the transform is sane
(bounded scale and shear, orientation-preserving, non-degenerate), has enough inliers, and the
inliers are spread over both images: random pairs essentially never pass.

Mirrored copies: ORB descriptors are not mirror invariant, so every image also stores the
descriptors of its keypoints described in its mirrored content (``extra["mdesc"]``, see
``features.orb_features``). Matching ``a`` against the mirrored ``b`` and verifying there (where
the transform preserves orientation again) verifies a mirror, a mirrored crop or a mirrored
bordered copy by its keypoints, like any other copy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import cast

import cv2
import numpy as np

from desktop_app.engine.features import content_box_of
from desktop_app.engine.types import ImageFeatures

RATIO = 0.8                 # Lowe ratio test
MAX_DISTANCE = 80           # Hamming distance above which a best match is noise
RANSAC_PX = 4.0             # reprojection threshold in feature-image pixels (512 px long side)
MIN_INLIERS = 15
MIN_INLIER_RATIO = 0.2
MAX_SCALE = 5.0             # between the two feature images (both 512 px long side)
MAX_ANISOTROPY = 2.5        # aspect squeeze / shear bound
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


@dataclass(frozen=True)
class Geometry:
    """Matched points (``points_b`` in b's own working coordinates) and what verified them."""

    points_a: np.ndarray
    points_b: np.ndarray
    transform: np.ndarray | None = None          # a -> b (working coordinates), if verified
    inlier_mask: np.ndarray = field(default_factory=lambda: np.zeros((0,), bool))
    inliers: int = 0
    verified: bool = False
    model: str = ""                              # "affine" or "homography"
    mirrored: bool = False                       # verified against b's mirrored content
    why: str = ""


def as_3x3(transform: np.ndarray) -> np.ndarray:
    """A 2x3 affine or 3x3 homography as a float64 3x3 matrix (the one place that pads)."""
    t = np.asarray(transform, dtype=np.float64)
    if t.shape == (2, 3):
        t = np.vstack([t, [0.0, 0.0, 1.0]])
    if t.shape != (3, 3):
        raise ValueError(f"transform must be 2x3 or 3x3, got {t.shape}")
    return t


def invert_transform(t: np.ndarray | None) -> np.ndarray | None:
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


def mirror_matrix(f: ImageFeatures) -> np.ndarray:
    """3x3 mirror of ``f``'s working coordinates about the vertical axis of its content box."""
    x0, _, x1, _ = content_box_of(f)
    return np.array([[-1.0, 0.0, x0 + x1 - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def _descriptors(f: ImageFeatures, mirrored: bool) -> np.ndarray:
    if not mirrored:
        return f.descriptors
    md = f.extra.get("mdesc")      # the mirrored descriptors of the first keypoints
    return np.zeros((0, 32), np.uint8) if md is None or len(md) > len(f.descriptors) else md


def ratio_matches(da: np.ndarray, db: np.ndarray) -> tuple[list[int], list[int]]:
    ia: list[int] = []
    ib: list[int] = []
    if len(da) < 1 or len(db) < 2:
        return ia, ib
    for pair in _matcher().knnMatch(da, db, k=2):
        if len(pair) == 2 and pair[0].distance < RATIO * pair[1].distance and pair[0].distance <= MAX_DISTANCE:
            ia.append(pair[0].queryIdx)
            ib.append(pair[0].trainIdx)
    return ia, ib


def promising(a: ImageFeatures, b: ImageFeatures, *, mirrored: bool = False) -> bool:
    """Cheap probe (each image's strongest spread keypoints against the other's): is geometry
    worth trying?

    On the tuning set unrelated pairs give <= 9 probe matches (99 %: <= 6) while copies the
    geometric path is needed for give 10 or more in at least one direction. Both directions are
    probed: a 50 % crop of a photo with few textured regions probes well only from the original
    (its spread prefix covers the crop), the other way round only when the crop has the texture.
    """
    da, db = _descriptors(a, False), _descriptors(b, mirrored)
    ia, _ = ratio_matches(da[:PROBE_KEYPOINTS], db[:MATCH_KEYPOINTS])
    if len(ia) >= PROBE_MIN_MATCHES:
        return True
    ib, _ = ratio_matches(db[:PROBE_KEYPOINTS], da[:MATCH_KEYPOINTS])
    return len(ib) >= PROBE_MIN_MATCHES


def matched_points(a: ImageFeatures, b: ImageFeatures, *, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one ratio-test matches: a's points and b's (b's own keypoints, matched through their
    mirrored descriptors when ``mirrored``)."""
    ia, ib = ratio_matches(a.descriptors[:MATCH_KEYPOINTS], _descriptors(b, mirrored)[:MATCH_KEYPOINTS])
    if not ia:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    # one-to-one: keep the first match per train keypoint (duplicates are ambiguous)
    ib_arr = np.asarray(ib)
    _, first = np.unique(ib_arr, return_index=True)
    first.sort()
    pa = a.keypoints[np.asarray(ia)[first]].astype(np.float32)
    pb = b.keypoints[ib_arr[first]].astype(np.float32)
    return pa, pb


def transform_points(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``p`` (N,2) mapped by a 2x3 / 3x3 transform."""
    if len(p) == 0:
        return np.asarray(p, np.float32).reshape(0, 2)
    return cv2.perspectiveTransform(np.asarray(p, np.float32).reshape(-1, 1, 2), as_3x3(t)).reshape(-1, 2)


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
    if det <= 0:                          # a reflection here is an accident (mirrors: see module doc)
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
    cross = []                            # orientation preserved everywhere
    for i in range(4):
        p0, p1, p2 = mapped[i], mapped[(i + 1) % 4], mapped[(i + 2) % 4]
        cross.append((p1[0] - p0[0]) * (p2[1] - p1[1]) - (p1[1] - p0[1]) * (p2[0] - p1[0]))
    if min(cross) <= 0:
        return False
    return _affine_sane(h[:2, :3])


def verify(pa: np.ndarray, pb: np.ndarray, size_a: tuple[int, int],
           size_b: tuple[int, int]) -> tuple[np.ndarray | None, np.ndarray, str, str]:
    """RANSAC-verify matches ``pa -> pb``: (transform or None, inlier mask, model, why not)."""
    n = len(pa)
    empty = np.zeros((n,), bool)
    if n < MIN_INLIERS:
        return None, empty, "", "too few matches"
    # OpenCV returns a None model when none fits (its stubs don't say so).
    affine, mask = cv2.estimateAffine2D(pa, pb, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX,
                                        maxIters=2000, confidence=0.995, refineIters=10)
    m = cast("np.ndarray | None", affine)
    best: tuple[np.ndarray | None, np.ndarray, str] = (None, empty, "")
    if m is not None and _affine_sane(m):
        best = (m, mask.ravel().astype(bool), "affine")
    n_aff = int(best[1].sum())
    # A moved camera (perspective) still fits an affine model roughly; with no affine support
    # at all a homography would only fit noise (and cost the most RANSAC time).
    if MIN_INLIERS // 2 <= n_aff < max(3 * MIN_INLIERS, 0.6 * n):
        homography, hmask = cv2.findHomography(pa, pb, cv2.RANSAC, RANSAC_PX, maxIters=1000,
                                               confidence=0.995)
        h = cast("np.ndarray | None", homography)
        if h is not None and _homography_sane(h, size_a):
            hm = hmask.ravel().astype(bool)
            if hm.sum() > 1.15 * n_aff + 2:
                best = (h / h[2, 2], hm, "homography")
    t, inl, model = best
    k = int(inl.sum())
    if t is None or k < MIN_INLIERS:
        return None, empty, "", "no consistent geometry"
    if k < MIN_INLIER_RATIO * n:
        return None, inl, "", "inliers are a small minority"
    if not (_spread_ok(pa[inl], size_a) and _spread_ok(pb[inl], size_b)):
        return None, inl, "", "inliers are clustered"
    return t, inl, model, ""


def local_geometry(a: ImageFeatures, b: ImageFeatures, *, force: bool = False) -> Geometry:
    """Match and verify ``a`` against ``b``, then against b's mirrored content if that failed.

    ``force`` skips the cheap probe (the hashes already say the pair is close).
    """
    tried: Geometry | None = None
    for mirrored in (False, True):
        if not (force and not mirrored) and not promising(a, b, mirrored=mirrored):
            continue
        pa, pb = matched_points(a, b, mirrored=mirrored)
        # verified in b's mirrored frame, where the transform preserves orientation again
        t, inl, model, why = verify(pa, transform_points(mirror_matrix(b), pb) if mirrored else pb,
                                    a.working_size, b.working_size)
        if t is not None:
            if mirrored:                   # a -> mirrored b, then mirrored b -> b
                t = mirror_matrix(b) @ as_3x3(t)
                t = t[:2] if model == "affine" else t / t[2, 2]
            return Geometry(pa, pb, t, inl, int(inl.sum()), True, model, mirrored)
        if tried is None or len(pa) > len(tried.points_a):
            tried = Geometry(pa, pb, inlier_mask=np.zeros(len(pa), bool), why=why)
    if tried is None:
        empty = np.zeros((0, 2), np.float32)
        return Geometry(empty, empty, why="too few matches")
    return tried

"""Pixel evidence: the two small thumbnails aligned by a verified transform, and what differs.

Each image stores a small grayscale thumbnail of its content box (``extra["gray"]``, inside any
uniform border). With a verified transform, ``b``'s thumbnail is warped onto ``a``'s and

* their normalised cross-correlation over the overlap grades the edit strength and rejects the
  rare geometric false positive (repetitive textures);
* after matching ``b``'s tones to ``a``'s (quantile mapping: brightness, contrast, gamma and
  grayscale edits leave no difference), the *changed region* is what still differs: its size,
  shape and contrast tell a burst frame (a subject moved: one large changed blob) from a
  watermark or a small retouch (thin or tiny changes), which a single global number cannot.

A pair that still looks like the same photo is checked once more on the 128 px detail tiles
(:func:`detail_moved`): a subject with fine structure (stars, text, thin towers, vessels) that
moved shows as a 2-D region whose local detail no longer correlates, while the rest of the frame
correlates almost perfectly (a recompressed or resized copy loses detail everywhere instead).
"""

from __future__ import annotations

import cv2
import numpy as np

from desktop_app.engine.features import apply_dihedral, content_box_of, detail_tile
from desktop_app.engine.geometry import as_3x3
from desktop_app.engine.types import AlignedDifference, ImageFeatures

CHANGE_LEVEL = 28.0         # grey levels (after tone matching and smoothing) that count as changed
_QUANTILES = np.linspace(0.0, 1.0, 33)
# Detail-tile check (tuning set: burst frames whose move the 64 px thumbnail misses give a region
# 0.027-0.115 of the overlap, 0.30-0.40 of the frame tall; the tallest watermark band is 0.17, and
# degraded copies (resize 25 %, WebP of a smooth photo) correlate <= 0.93 outside their region).
DETAIL_DECORRELATED = 0.5    # local correlation of the high-passed tiles below which detail changed
DETAIL_MIN_ENERGY = 4.0      # local detail (grey levels, rms) below which a place has no structure
DETAIL_BOTH_ENERGY = 4.0    # ... in both images, or else the flatter one is not clipped (within
DETAIL_CLIPPED = 12.0       #   this many grey levels of black or white)
DETAIL_REGION = 0.02         # share of the overlap the decorrelated region must cover ...
DETAIL_REGION_TALL = 0.25    # ... and of the frame's height it must span (a caption line is thin)
DETAIL_REST = 0.95           # median local correlation required elsewhere (not a degraded copy)


def thumb_matrix(f: ImageFeatures, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """3x3 from ``f``'s working coordinates to the pixels of a thumbnail of its content box
    (``shape``: that thumbnail's; default the 64 px one)."""
    g_shape = f.extra["gray"].shape if shape is None else shape
    x0, y0, x1, y1 = content_box_of(f)
    sx = g_shape[1] / max(1, x1 - x0)
    sy = g_shape[0] / max(1, y1 - y0)
    return np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy], [0.0, 0.0, 1.0]])


def ncc(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> float:
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


def warp_thumbnails(a: ImageFeatures, b: ImageFeatures,
                    t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(a's thumbnail, b's warped onto it, valid mask, share of b's thumbnail inside a's) for
    ``t`` mapping a's working coordinates to b's."""
    return warp_images(a, b, t, a.extra["gray"], b.extra["gray"])


def warp_images(a: ImageFeatures, b: ImageFeatures, t: np.ndarray, ga: np.ndarray, gb: np.ndarray, *,
                replicate: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """:func:`warp_thumbnails` for any pair of content-box images ``ga`` (of a) and ``gb`` (of b).

    ``replicate``: outside b, repeat b's edge instead of black, so that filters run over the
    warped image afterwards see no false edge along the border of the overlap.
    """
    m = thumb_matrix(b, gb.shape) @ as_3x3(t) @ np.linalg.inv(thumb_matrix(a, ga.shape))   # ga -> gb
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    size_a = (ga.shape[1], ga.shape[0])
    size_b = (gb.shape[1], gb.shape[0])
    warped = cv2.warpPerspective(gb, m, size_a, flags=flags,
                                 borderMode=cv2.BORDER_REPLICATE if replicate else cv2.BORDER_CONSTANT)
    valid_a = cv2.warpPerspective(np.full(gb.shape, 255, np.uint8), m, size_a, flags=flags) > 250
    valid_b = cv2.warpPerspective(np.full(ga.shape, 255, np.uint8), np.linalg.inv(m), size_b, flags=flags) > 250
    return ga, warped, valid_a, float(valid_b.mean())


def _tone_match(src: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``src`` with its tones mapped onto ``ref``'s (quantile mapping over ``mask``)."""
    qs = np.quantile(src[mask].astype(np.float64), _QUANTILES)
    qr = np.quantile(ref[mask].astype(np.float64), _QUANTILES)
    qs = np.maximum.accumulate(qs + np.arange(len(qs)) * 1e-6)   # strictly increasing for interp
    return np.interp(src.astype(np.float64), qs, qr)


def aligned_difference(ga: np.ndarray, warped: np.ndarray, valid: np.ndarray) -> AlignedDifference:
    """What differs between ``ga`` and ``warped`` (already aligned) over ``valid``."""
    inner = cv2.erode(valid.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0   # no resampled edge
    n = int(inner.sum())
    corr = ncc(ga, warped, valid)
    if n < 64:
        return AlignedDifference(ncc=corr, changed_share=0.0, largest_region=0.0,
                                 region_box=(0.0, 0.0, 0.0, 0.0), contrast=0.0)
    matched = _tone_match(warped, ga, inner)
    diff = np.abs(ga.astype(np.float64) - matched).astype(np.float32)
    diff = cv2.GaussianBlur(diff, (0, 0), 0.8)
    diff[~inner] = 0.0
    changed = (diff >= CHANGE_LEVEL).astype(np.uint8)
    changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))   # lone pixels: noise
    joined = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))   # one region, not shreds
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    share = float(changed.sum()) / n
    if count <= 1 or share == 0.0:
        return AlignedDifference(ncc=corr, changed_share=share, largest_region=0.0,
                                 region_box=(0.0, 0.0, 0.0, 0.0), contrast=0.0)
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = labels == k
    x, y, w, h = (int(v) for v in stats[k, :4])
    H, W = ga.shape
    return AlignedDifference(
        ncc=corr, changed_share=share,
        largest_region=float((region & (changed > 0)).sum()) / n,
        region_box=(x / W, y / H, (x + w) / W, (y + h) / H),
        contrast=float(diff[region].mean()) / 255.0,
    )


def detail_moved(a: ImageFeatures, b: ImageFeatures, t: np.ndarray) -> bool:
    """Whether a subject moved between two same-framing images, judged on the detail tiles
    (``t``: a -> b, verified). False when either image has no tile (features stored before)."""
    ta, tb = detail_tile(a), detail_tile(b)
    if ta is None or tb is None:
        return False
    ga, warped, valid, _ = warp_images(a, b, t, ta, tb, replicate=True)
    inner = cv2.erode(valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    n = int(inner.sum())
    if n < 256:
        return False
    da, dw = _detail(ga, 2.0), _detail(warped, 2.0)
    va = cv2.GaussianBlur(da * da, (0, 0), 2.0)
    vw = cv2.GaussianBlur(dw * dw, (0, 0), 2.0)
    local = cv2.GaussianBlur(da * dw, (0, 0), 2.0) / np.sqrt(va * vw + 1e-3)    # local correlation
    # where only one image has detail, the other must not be clipped there (detail crushed to
    # black or white by a contrast or gamma edit is an edit, not a move)
    flatter = cv2.GaussianBlur(np.where(va < vw, ga, warped).astype(np.float32), (0, 0), 2.0)
    textured = (inner & (np.sqrt(np.maximum(va, vw)) >= DETAIL_MIN_ENERGY)
                & ((np.sqrt(np.minimum(va, vw)) >= DETAIL_BOTH_ENERGY)
                   | ((flatter > DETAIL_CLIPPED) & (flatter < 255 - DETAIL_CLIPPED))))
    changed = (textured & (local < DETAIL_DECORRELATED)).astype(np.uint8)
    joined = cv2.morphologyEx(changed, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if count <= 1:
        return False
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[k, cv2.CC_STAT_AREA] < DETAIL_REGION * n or stats[k, cv2.CC_STAT_HEIGHT] < DETAIL_REGION_TALL * ga.shape[0]:
        return False
    rest = textured & (labels != k)
    return bool(rest.any() and float(np.median(local[rest])) >= DETAIL_REST)


def global_alignment(a: ImageFeatures, b: ImageFeatures, k: int) -> tuple[float, float]:
    """(NCC, detail NCC) of a's thumbnail and b's under dihedral transform k, same framing."""
    ga = a.extra["gray"]
    gb = apply_dihedral(b.extra["gray"], k)
    if gb.shape != ga.shape:
        gb = cv2.resize(gb, (ga.shape[1], ga.shape[0]), interpolation=cv2.INTER_AREA)
    full = np.ones(ga.shape, bool)
    return ncc(ga, gb, full), ncc(_detail(ga), _detail(gb), full)


def _detail(g: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """High-pass of a thumbnail: what is left when the smooth shading (sky, vignette) is removed."""
    f = g.astype(np.float32)
    return f - cv2.GaussianBlur(f, (0, 0), sigma)

"""Per-image visual features: dihedral pHash, ORB keypoints, small fine-comparison signatures.

All features come from the one working image :mod:`desktop_app.engine.decode` produces:

* ``phash``: 64-bit DCT pHash of the 8 dihedral variants (rotations by 90 degrees and mirrors).
  They are derived from *one* DCT: mirroring an image flips the sign of its odd DCT frequencies
  along that axis and transposing the image transposes its DCT, so the 8 variants are sign
  patterns and a transpose of the same 8x8 low-frequency block.
* ORB keypoints/descriptors on the grayscale working image normalised to
  :data:`FEATURE_LONG_SIDE` (so resized copies are seen at the same scale), up to
  :data:`MAX_KEYPOINTS`, spread over the image and ordered so that any prefix is also spread
  out (the candidate index uses the first few dozen).
* ``extra["gray"]``: a 64 px grayscale thumbnail for the pixel-level check after alignment.
* ``extra["tile"]``: a 128 px grayscale detail tile, JPEG-compressed (~4.5 KB), for the finer
  check of pairs that would otherwise count as the same photo (see ``engine.difference``).
* ``extra["lab"]``: an 8x8 CIELAB signature (colour edits, grayscale conversions).
* ``extra["digest"]``: 16-byte hash of the decoded working pixels (identical pixels = 100).
"""

from __future__ import annotations

import hashlib
import struct
import threading
from typing import Sequence, cast

import cv2
import numpy as np

from desktop_app.engine.borders import content_box
from desktop_app.engine.types import ImageFeatures

FEATURE_LONG_SIDE = 512
MAX_KEYPOINTS = 300          # what compare_features matches (cost ~ n^2); the index uses a prefix
MIRROR_KEYPOINTS = 150       # of them also described mirrored (the spread prefix; 32 B each stored)
DETECT_KEYPOINTS = 2000      # detected, then MAX_KEYPOINTS kept spread over the image
GRAY_LONG_SIDE = 64
TILE_LONG_SIDE = 128         # detail tile: a moved subject with fine structure (stars, text, towers,
TILE_QUALITY = 90            #   vessels) that the 64 px thumbnail averages away is still visible
_GRID = 4                       # keypoint spreading grid (cells per side)

_local = threading.local()      # cv2.ORB objects are not documented as thread-safe

# The work per call is small (a 512 px image, 300x300 matches): OpenCV's own thread pool costs
# more than it gains (knnMatch measured 2x slower with 2 threads) and oversubscribes the cores
# when the context already runs one process per core.
cv2.setNumThreads(1)


def _orb(fast_threshold: int) -> cv2.ORB:
    key = f"orb{fast_threshold}"
    orb = getattr(_local, key, None)
    if orb is None:
        orb = cv2.ORB.create(nfeatures=DETECT_KEYPOINTS, scaleFactor=1.2, nlevels=8, edgeThreshold=19,
                             patchSize=31, fastThreshold=fast_threshold)
        setattr(_local, key, orb)
    return orb


# ---------------------------------------------------------------------------------------------
# pHash

_BIT_WEIGHTS = (np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)
_SIGN_U = np.where(np.arange(8) % 2 == 0, 1.0, -1.0)


def _pack_bits(bits: np.ndarray) -> np.uint64:
    return np.uint64(np.bitwise_or.reduce(np.where(bits.ravel(), _BIT_WEIGHTS, np.uint64(0))))


def dct_low(gray: np.ndarray) -> np.ndarray:
    """8x8 low-frequency DCT block of a grayscale image (rows = vertical frequency)."""
    small = cv2.resize(gray.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    return cv2.dct(small)[:8, :8].astype(np.float64)


def dihedral_variants(low: np.ndarray) -> list[np.ndarray]:
    """The DCT block of the 8 dihedral transforms of the image, from the block of the image.

    Order: identity, mirror left-right, mirror top-bottom, rotate 180, transpose,
    rotate 90 clockwise, rotate 90 counter-clockwise, anti-transpose.
    """
    sx = _SIGN_U[None, :]       # horizontal mirror: odd horizontal frequencies change sign
    sy = _SIGN_U[:, None]       # vertical mirror: odd vertical frequencies change sign
    t = low.T
    return [low, low * sx, low * sy, low * sx * sy, t, t * sx, t * sy, t * sx * sy]


def apply_dihedral(arr: np.ndarray, k: int) -> np.ndarray:
    """Dihedral transform ``k`` (order of :func:`dihedral_variants`) of an image array."""
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


def phash_from_low(low: np.ndarray) -> np.ndarray:
    out = np.empty(8, dtype=np.uint64)
    for i, v in enumerate(dihedral_variants(low)):
        out[i] = _pack_bits(v > np.median(v))
    return out


def dihedral_phash(gray: np.ndarray) -> np.ndarray:
    """64-bit DCT pHash of the 8 dihedral variants of ``gray`` (uint64, shape (8,))."""
    return phash_from_low(dct_low(gray))


# ---------------------------------------------------------------------------------------------
# ORB


def _stretch(gray: np.ndarray) -> np.ndarray:
    """Percentile contrast stretch: low-contrast or dark copies give the same FAST corners."""
    lo, hi = np.percentile(gray[::4, ::4], (1.0, 99.0))
    if hi - lo < 8:               # flat image: do not amplify noise into keypoints
        return gray
    # The same arithmetic on the 256 grey levels, then a table lookup: identical pixels, 10x faster.
    levels = (np.arange(256, dtype=np.float32) - lo) * (255.0 / (hi - lo))
    return cv2.LUT(gray, np.clip(levels, 0, 255).astype(np.uint8))


def _detect_with(orb: cv2.ORB, gray: np.ndarray) -> tuple[Sequence[cv2.KeyPoint], np.ndarray | None]:
    """``orb.detectAndCompute``; the descriptors are None when OpenCV finds no keypoint (its
    stubs don't say so)."""
    kps, desc = orb.detectAndCompute(gray, None)
    return kps, desc


def _detect(g: np.ndarray) -> tuple[list[cv2.KeyPoint], np.ndarray | None]:
    kps, desc = _detect_with(_orb(20), g)
    if desc is None or len(kps) < 60:
        kps, desc = _detect_with(_orb(8), g)
    return list(kps), desc


def _spread_order(pts: np.ndarray, resp: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Indices of the :data:`MAX_KEYPOINTS` kept: strongest per grid cell, cells interleaved."""
    w, h = size
    cx = np.minimum((pts[:, 0] * _GRID / w).astype(np.int32), _GRID - 1)
    cy = np.minimum((pts[:, 1] * _GRID / h).astype(np.int32), _GRID - 1)
    cell = cy * _GRID + cx
    # rank within cell by response, then interleave the cells: every prefix is spread out
    order = np.lexsort((-resp, cell))
    sorted_cells = cell[order]
    starts = np.searchsorted(sorted_cells, np.arange(_GRID * _GRID))
    rank = np.arange(len(order)) - starts[sorted_cells]
    return order[np.lexsort((-resp[order], rank))][:MAX_KEYPOINTS]


def orb_features(gray: np.ndarray, *, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ORB keypoints (N,2 float32) and descriptors (N,32 uint8) spread over ``gray``, and the
    descriptors of the first :data:`MIRROR_KEYPOINTS` points in the mirrored image (empty unless
    ``mirrored``).

    ORB descriptors are not mirror invariant; describing the mirrored keypoints (x -> w - 1 - x,
    angle -> 180 - angle) on the mirrored image gives exactly what detection on the mirrored
    image would, for a fraction of the cost (no second detection).
    """
    empty = np.zeros((0, 32), np.uint8)
    g = _stretch(gray)
    kps, desc = _detect(g)
    if desc is None or len(kps) == 0:
        return np.zeros((0, 2), np.float32), empty, empty
    pts = np.asarray(cv2.KeyPoint.convert(kps), np.float32).reshape(-1, 2)  # as k.pt; 20x faster than a loop
    resp = np.array([k.response for k in kps], dtype=np.float32)
    h, w = gray.shape[:2]
    final = _spread_order(pts, resp, (w, h))
    kept_desc = np.ascontiguousarray(desc[final])
    mdesc = empty
    if mirrored:
        flipped = np.ascontiguousarray(g[:, ::-1])
        # class_id carries each keypoint's rank: compute() regroups keypoints by pyramid level
        mk = [cv2.KeyPoint(w - 1 - kps[i].pt[0], kps[i].pt[1], kps[i].size, (180.0 - kps[i].angle) % 360.0,
                           kps[i].response, kps[i].octave, rank) for rank, i in enumerate(final[:MIRROR_KEYPOINTS])]
        out_kps, computed = _orb(20).compute(flipped, mk)
        md = cast("np.ndarray | None", computed)          # None when nothing is left (stubs: never)
        if md is not None and len(out_kps) == len(mk):   # compute keeps them all (detection did)
            mdesc = np.zeros_like(md)
            mdesc[[k.class_id for k in out_kps]] = md
    return np.ascontiguousarray(pts[final]), kept_desc, mdesc


# ---------------------------------------------------------------------------------------------


def feature_gray(rgb: np.ndarray) -> np.ndarray:
    """Grayscale image at :data:`FEATURE_LONG_SIDE` (resized copies are seen at one scale)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    s = FEATURE_LONG_SIDE / max(h, w)
    if abs(s - 1.0) > 1e-6:
        size = (max(1, round(w * s)), max(1, round(h * s)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    return gray


def small_gray(gray: np.ndarray, long_side: int = GRAY_LONG_SIDE) -> np.ndarray:
    h, w = gray.shape
    s = long_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def encode_tile(gray: np.ndarray) -> np.ndarray:
    """The detail tile of a (content) grayscale image: JPEG bytes as a uint8 array."""
    ok, buf = cv2.imencode(".jpg", small_gray(gray, TILE_LONG_SIDE), [cv2.IMWRITE_JPEG_QUALITY, TILE_QUALITY])
    if not ok:                       # never seen; a missing tile only skips the finer check
        return np.zeros(0, np.uint8)
    return np.asarray(buf, np.uint8).ravel()


def detail_tile(f: ImageFeatures) -> np.ndarray | None:
    """The decoded detail tile of ``f`` (None for features stored before it existed)."""
    data = f.extra.get("tile")
    if data is None or len(data) == 0:
        return None
    tile = cv2.imdecode(np.ascontiguousarray(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    return cast("np.ndarray | None", tile)


def lab_signature(rgb: np.ndarray) -> np.ndarray:
    small = cv2.resize(rgb, (8, 8), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2LAB)


def pixel_digest(rgb: np.ndarray, true_size: tuple[int, int] | None = None) -> np.ndarray:
    """Hash of the decoded working pixels and the true size: equal only for identical pixels."""
    h = hashlib.blake2b(digest_size=16)
    h.update(struct.pack("<II", rgb.shape[1], rgb.shape[0]))
    if true_size is not None:
        h.update(struct.pack("<II", *true_size))
    h.update(np.ascontiguousarray(rgb).tobytes())
    return np.frombuffer(h.digest(), dtype=np.uint8).copy()


def extract_features(rgb: np.ndarray, *, true_size: tuple[int, int] | None = None) -> ImageFeatures:
    """All features of a decoded RGB working image (see module docstring)."""
    gray = feature_gray(rgb)
    x0, y0, x1, y1 = content_box(gray)
    content = gray[y0:y1, x0:x1]
    pts, desc, mdesc = orb_features(content, mirrored=True)
    pts = pts + np.array([x0, y0], np.float32)           # back to working-image coordinates
    sx, sy = rgb.shape[1] / gray.shape[1], rgb.shape[0] / gray.shape[0]
    rgb_content = rgb[int(round(y0 * sy)):max(int(round(y1 * sy)), int(round(y0 * sy)) + 1),
                      int(round(x0 * sx)):max(int(round(x1 * sx)), int(round(x0 * sx)) + 1)]
    extra = {
        "gray": small_gray(content),
        "tile": encode_tile(content),
        "lab": lab_signature(rgb_content),
        "digest": pixel_digest(rgb, true_size),
        "content": np.array([x0, y0, x1, y1], dtype=np.uint16),
        "mdesc": mdesc,
    }
    if true_size is not None:
        extra["size"] = np.array(true_size, dtype=np.uint32)
    return ImageFeatures(
        phash=dihedral_phash(content), keypoints=np.ascontiguousarray(pts), descriptors=desc,
        working_size=(int(gray.shape[1]), int(gray.shape[0])), extra=extra,
    )


def content_box_of(f: ImageFeatures) -> tuple[int, int, int, int]:
    """The content box (inside uniform borders) of ``f`` in working-image pixels."""
    box = f.extra.get("content")
    if box is None:
        return 0, 0, int(f.working_size[0]), int(f.working_size[1])
    x0, y0, x1, y1 = (int(v) for v in box)
    return x0, y0, x1, y1

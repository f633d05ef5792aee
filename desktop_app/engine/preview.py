"""Display previews of images and of comparisons: imaging for the ui, with no Qt here.

The ui never opens image files itself: :func:`load_preview` decodes through the engine's decoder
(EXIF orientation applied, every failure a :class:`~desktop_app.errors.DecodeError` naming the
file), at a size suited to the screen. :func:`difference_map` shows where two images differ after
aligning the second onto the first with the comparison's verified transform, and
:func:`working_to_display` maps the engine's match points (working-image pixels) onto previews.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import cv2
import numpy as np
from skimage.metrics import structural_similarity

from desktop_app.engine.decode import DecodedImage, decode_file
from desktop_app.engine.similarity import as_3x3
from desktop_app.engine.types import ImageFeatures
from desktop_app.errors import LookalikeError

log = logging.getLogger(__name__)

PREVIEW_LONG_SIDE = 3072
"""Default long side of display previews: sharp at 1:1 on most screens, bounded in memory."""

DIFFERENCE_LONG_SIDE = 1024
"""The difference map is computed at this long side (SSIM cost grows with the pixel count)."""


def load_preview(path: str | os.PathLike[str], *, max_side: int = PREVIEW_LONG_SIDE) -> DecodedImage:
    """Decode the file at ``path`` for display: RGB ``uint8`` with long side <= ``max_side``
    (``.rgb``), plus its true size after EXIF orientation (``.width``, ``.height``) and format.

    Raises :class:`~desktop_app.errors.DecodeError` ("Couldn't read 'x.jpg': not an image") for
    missing, unreadable, corrupt or non-image files.
    """
    if max_side < 16:
        raise ValueError(f"max_side must be >= 16, got {max_side}")
    return decode_file(path, max_side=max_side)


def working_to_display(
    points: np.ndarray, working_size: tuple[int, int], display_size: tuple[int, int]
) -> np.ndarray:
    """Scale (N, 2) x/y points from working-image pixels to a display image of another size.

    Both sizes are (width, height) of the same picture (same orientation), so the scale is per
    axis; coordinates are pixel-centre based as OpenCV reports keypoints.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    ww, wh = working_size
    dw, dh = display_size
    if ww <= 0 or wh <= 0:
        raise ValueError(f"bad working size {working_size}")
    scale = np.array([dw / ww, dh / wh])
    return ((pts + 0.5) * scale - 0.5).astype(np.float32)


def display_transform(
    transform: np.ndarray,
    *,
    working_a: tuple[int, int],
    working_b: tuple[int, int],
    display_a: tuple[int, int],
    display_b: tuple[int, int],
) -> np.ndarray:
    """Re-express an a->b transform between working images as a 3x3 between display images."""

    def scale(src: tuple[int, int], dst: tuple[int, int]) -> np.ndarray:
        sx, sy = dst[0] / src[0], dst[1] / src[1]
        # Pixel centres: x' = (x + 0.5) * s - 0.5.
        return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])

    return scale(working_b, display_b) @ as_3x3(transform) @ np.linalg.inv(scale(working_a, display_a))


@dataclass(frozen=True)
class DifferenceMap:
    """Where b differs from a, drawn over a (in a's frame, at most DIFFERENCE_LONG_SIDE).

    ``rgb``: a in muted grey with differences in warm colours (yellow = most different) and
    areas b does not cover hatched; ``mean_ssim``: structural similarity (scikit-image SSIM on
    luminance) over the overlap (1 = same); ``aligned``: b was aligned with the verified
    transform (else only resized); ``coverage``: fraction of a that b covers after alignment;
    ``changed_fraction``: share of the overlap that clearly changed.
    """

    rgb: np.ndarray
    mean_ssim: float
    aligned: bool
    coverage: float
    changed_fraction: float = 0.0   # share of the overlap clearly changed (local SSIM < 0.75, or recoloured)
    slight_fraction: float = 0.0    # share of the overlap visibly tinted (dark red) but not clearly changed


#: Dissimilarity (0..1) above which the map is visibly tinted (dark red), and above which a
#: pixel is "clearly changed" (orange to yellow; recompression noise stays well below).
SLIGHT_CHANGE = 0.06 + 0.44 * (0.08 / 1.5)   # tint alpha >= 0.08: a red shift a viewer sees
CLEAR_CHANGE = 0.25
#: Where these thresholds fall on the colour ramp (0..1), for legends.
SLIGHT_ON_RAMP = (SLIGHT_CHANGE - 0.06) / 0.44
CLEAR_ON_RAMP = (CLEAR_CHANGE - 0.06) / 0.44


def _fit(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    s = max_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def heat_ramp(d: np.ndarray) -> np.ndarray:
    """The difference map's colours for values 0..1 as uint8 RGB (for legends)."""
    return np.clip(_heat(np.asarray(d, np.float32)), 0, 255).astype(np.uint8)


def _heat(d: np.ndarray) -> np.ndarray:
    """0..1 -> RGB ramp (dark red -> orange -> yellow), saturated so it never reads as grey."""
    stops = np.array([[0.0, 130, 0, 40], [0.35, 220, 40, 20], [0.7, 255, 150, 0], [1.0, 255, 235, 0]])
    out = np.empty(d.shape + (3,), np.float32)
    for c in range(3):
        out[..., c] = np.interp(d, stops[:, 0], stops[:, c + 1])
    return out


ECC_LONG_SIDE = 384
"""Alignment is refined (ECC) at this long side: the engine's transform was measured on 512 px
working images, so at display size it can be a pixel or two off, which would light up every edge."""


def _refine_alignment(a_grey: np.ndarray, warped_grey: np.ndarray, cover: np.ndarray) -> np.ndarray | None:
    """A small 3x3 correction W with warped(W p) ~ a(p), or None if ECC fails or wanders off.

    Accepted only if it stays close to the identity (a refinement, not a new alignment) and makes
    the two images correlate better."""
    h, w = a_grey.shape
    s = min(1.0, ECC_LONG_SIDE / max(h, w))
    size = (max(8, round(w * s)), max(8, round(h * s)))
    ta = cv2.resize(a_grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    tb = cv2.resize(warped_grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    mask = cv2.erode(cv2.resize(cover.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST),
                     np.ones((5, 5), np.uint8))
    if mask.sum() < 0.2 * mask.size:
        return None
    identity = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
    try:
        rho, warp = cv2.findTransformECC(ta, tb, identity, cv2.MOTION_AFFINE, criteria, mask, 3)
    except cv2.error:
        return None
    linear, shift = warp[:, :2], warp[:, 2] / s
    if not (np.abs(linear - np.eye(2)).max() < 0.05 and np.abs(shift).max() < 0.03 * max(h, w)):
        return None
    before = np.corrcoef(ta[mask > 0], tb[mask > 0])[0, 1]
    if not np.isfinite(rho) or (np.isfinite(before) and rho < before):
        return None
    out = np.eye(3)
    out[:2, :2] = linear
    out[:2, 2] = shift  # S^-1 W S for S = diag(s, s): same linear part, translation / s
    return out


def _warp_into(b: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """b pulled into a frame of ``size`` by m (a's pixels -> b's pixels), and the covered area."""
    wa, ha = size
    flags = cv2.INTER_AREA if b.shape[1] > 2 * wa else cv2.INTER_LINEAR
    # WARP_INVERSE_MAP: dst(p) = b(m p), m maps a's pixels into b.
    warped = cv2.warpPerspective(b, m, (wa, ha), flags=flags | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_REPLICATE)
    cover = cv2.warpPerspective(np.full(b.shape[:2], 255, np.uint8), m, (wa, ha),
                                flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=0) > 0
    return warped, cover


def difference_map(
    a_rgb: np.ndarray,
    b_rgb: np.ndarray,
    *,
    transform: np.ndarray | None = None,
    working_a: tuple[int, int] | None = None,
    working_b: tuple[int, int] | None = None,
    max_side: int = DIFFERENCE_LONG_SIDE,
) -> DifferenceMap:
    """Align ``b_rgb`` onto ``a_rgb`` and map their structural differences (SSIM on luminance,
    plus colour differences, so a grey or recoloured copy shows too).

    ``transform`` maps a's working-image pixels to b's (``Comparison.transform``), with the
    working sizes (``ImageFeatures.working_size``) it was measured at. Without it b is resized to
    a's frame. Inputs are not modified.
    """
    a = _fit(np.asarray(a_rgb), max_side)
    b = np.asarray(b_rgb)
    ha, wa = a.shape[:2]
    aligned = False
    if transform is not None and working_a is not None and working_b is not None:
        aligned = True
        m = display_transform(
            transform, working_a=working_a, working_b=working_b,
            display_a=(wa, ha), display_b=(b.shape[1], b.shape[0]),
        )
    else:  # plain resize to a's frame, as a matrix so it can be refined like a transform
        m = np.diag([b.shape[1] / wa, b.shape[0] / ha, 1.0])
    warped, cover = _warp_into(b, m, (wa, ha))
    grey_of = lambda rgb: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)  # noqa: E731
    correction = _refine_alignment(grey_of(a), grey_of(warped), cover)
    if correction is not None:
        warped, cover = _warp_into(b, m @ correction, (wa, ha))
    # Interpolated border pixels blend with what lies outside b: not a difference in the photo.
    cover = cv2.erode(cover.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0

    ya = cv2.cvtColor(a, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    yb = cv2.cvtColor(warped, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    win = 7 if min(ha, wa) >= 7 else (min(ha, wa) // 2) * 2 + 1
    if win >= 3:
        mean_ssim, ssim = structural_similarity(ya[..., 0], yb[..., 0], data_range=255.0, full=True, win_size=win)
    else:  # tiny images: SSIM is undefined, fall back to plain difference
        ssim = 1.0 - np.abs(ya[..., 0] - yb[..., 0]) / 255.0
    structural = np.clip(1.0 - ssim, 0.0, 1.0)
    colour = cv2.GaussianBlur(np.abs(ya[..., 1:] - yb[..., 1:]).max(axis=2), (0, 0), 2.0) / 40.0
    diff = np.clip(np.maximum(structural, colour), 0.0, 1.0)
    diff[~cover] = 0.0
    # Recompression noise stays below ~0.08 of SSIM dissimilarity: keep it dark, and reach full
    # heat at 0.5 (clearly changed content).
    d = np.clip((diff - 0.06) / 0.44, 0.0, 1.0)

    grey = 0.25 * ya[..., 0:1] + 40.0
    alpha = np.clip(d * 1.5, 0.0, 1.0)[..., None]
    out = grey * (1.0 - alpha) + _heat(d) * alpha
    if not cover.all():
        yy, xx = np.mgrid[0:ha, 0:wa]
        hatch = ((xx + yy) // 6) % 2 == 0
        out[~cover] = np.where(hatch[~cover, None], 70.0, 30.0)
    overlap = cover.mean()
    mean = float(ssim[cover].mean()) if cover.any() else 0.0
    # "Clearly changed": well above recompression noise (a quality-60 JPEG stays under ~2 %).
    changed = float((diff[cover] > CLEAR_CHANGE).mean()) if cover.any() else 0.0
    # Visibly tinted (alpha >= 0.08 above): what a viewer sees as red, to word it the same way.
    slight = float((diff[cover] > SLIGHT_CHANGE).mean()) - changed if cover.any() else 0.0
    return DifferenceMap(
        rgb=np.clip(out, 0, 255).astype(np.uint8), mean_ssim=mean, aligned=aligned, coverage=float(overlap),
        changed_fraction=changed, slight_fraction=max(0.0, slight),
    )


ASPECT_TOLERANCE = 0.03
"""Without a verified alignment, images whose aspect ratios differ more than this are framed
differently (cropped, rotated): a pixel map of them would show only misalignment."""


def file_difference(
    path_a: str | os.PathLike[str],
    path_b: str | os.PathLike[str],
    *,
    features_a: ImageFeatures | None = None,
    features_b: ImageFeatures | None = None,
    max_side: int = DIFFERENCE_LONG_SIDE,
) -> DifferenceMap:
    """The :func:`difference_map` of two files (b aligned onto a), for a review of near-identical
    copies. With both files' features (``SearchContext.features``) a crop or rotation is aligned
    with the engine's verified transform; without one, a copy framed differently is refused with
    a :class:`~desktop_app.errors.LookalikeError` saying so, rather than drawn as noise.
    Raises :class:`~desktop_app.errors.DecodeError` when a file can't be read."""
    a = load_preview(path_a, max_side=max_side).rgb
    b = load_preview(path_b, max_side=max_side).rgb
    transform = None
    if features_a is not None and features_b is not None:
        from desktop_app.engine.similarity import compare_features

        transform = compare_features(features_a, features_b).transform
    if transform is None:
        ratio_a, ratio_b = a.shape[1] / a.shape[0], b.shape[1] / b.shape[0]
        if abs(ratio_a - ratio_b) / ratio_a > ASPECT_TOLERANCE:
            raise LookalikeError(
                f"Can't map the differences of '{os.path.basename(os.fspath(path_b))}': it is framed "
                "differently from the original (cropped or rotated) and couldn't be aligned"
            )
        return difference_map(a, b, max_side=max_side)
    assert features_a is not None and features_b is not None
    return difference_map(a, b, transform=transform, working_a=features_a.working_size,
                          working_b=features_b.working_size, max_side=max_side)

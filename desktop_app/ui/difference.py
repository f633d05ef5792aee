"""Difference view of two near-identical images: an SSIM map (scikit-image) as a heat overlay.

Runs in a worker thread (no QPixmap here). Both images are decoded through the engine at a
bounded size, the second resized onto the first; images whose framing differs (crop, rotation)
are refused with a reason, since a pixel-wise map of misaligned images shows only noise.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QImage

from desktop_app.engine.decode import decode_file
from desktop_app.errors import LookalikeError
from desktop_app.ui.image_view import qimage_from_rgb

log = logging.getLogger(__name__)

MAX_SIDE = 1024
ASPECT_TOLERANCE = 0.03


@dataclass(frozen=True)
class DifferenceMap:
    ssim: float                  # mean structural similarity, 1.0 = same
    image: QImage                # the first image in gray with differences painted in red
    changed_fraction: float      # share of pixels whose local SSIM is below 0.9


def _gray(rgb: np.ndarray) -> np.ndarray:
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.float32) / 255.0


def _resize(gray: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from skimage.transform import resize

    return resize(gray, shape, order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)


def ssim_map(path_a: str, path_b: str, *, max_side: int = MAX_SIDE) -> DifferenceMap:
    """SSIM of ``path_b`` against ``path_a`` and its map. Raises LookalikeError when the framing
    differs too much to compare pixel by pixel, DecodeError when a file can't be read."""
    from skimage.metrics import structural_similarity

    a = decode_file(path_a, max_side=max_side).rgb
    b = decode_file(path_b, max_side=max_side).rgb
    ratio_a = a.shape[1] / a.shape[0]
    ratio_b = b.shape[1] / b.shape[0]
    if abs(ratio_a - ratio_b) / ratio_a > ASPECT_TOLERANCE:
        raise LookalikeError(
            f"Can't map differences of '{os.path.basename(path_b)}': it is framed differently from the original"
            " (cropped or rotated), so a pixel map would mislead"
        )
    ga = _gray(a)
    gb = _gray(b)
    if gb.shape != ga.shape:
        gb = _resize(gb, ga.shape)
    win = max(3, min(7, (min(ga.shape) // 2) * 2 - 1))
    score, full = structural_similarity(ga, gb, data_range=1.0, full=True, win_size=win)
    loss = np.clip(1.0 - full, 0.0, 1.0)
    # Heat overlay: gray base, red proportional to the local loss of similarity (x4, clipped,
    # so a recompression's faint differences are visible but do not drown the picture).
    strength = np.clip(loss * 4.0, 0.0, 1.0)
    base = ga * 0.6 + 0.2
    red = np.clip(base * (1 - strength) + strength, 0, 1)
    other = base * (1 - strength)
    rgb = (np.stack([red, other, other], axis=-1) * 255).astype(np.uint8)
    image = qimage_from_rgb(rgb)
    return DifferenceMap(ssim=float(score), image=image, changed_fraction=float((full < 0.9).mean()))


def decode_preview(path: str, *, max_side: int = 2400) -> tuple[QImage, int, int]:
    """Decode ``path`` through the engine for the review view: (image, true width, height)."""
    decoded = decode_file(path, max_side=max_side)
    return qimage_from_rgb(decoded.rgb), decoded.width, decoded.height

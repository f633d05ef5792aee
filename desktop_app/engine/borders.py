"""Uniform borders and letterbox bars: found so that features describe the picture, not its frame.

A frame added around a photo (a white passe-partout, black letterbox bars to fit 1:1 or 16:9)
changes every global feature of the image (the pHash, the thumbnail) and puts strong artificial
corners on its edges: a bordered copy would not be found by its hash, and two different photos
with the same white frame would share keypoints. The engine therefore computes its features on
the *content box*: the image without the uniform lines along each side.

A side's border is the run of outermost lines (rows or columns) whose pixels are nearly all one
colour (the colour of the outermost line). It counts only when it is at least
:data:`MIN_BORDER` of the side and leaves at least :data:`MIN_CONTENT` of the image; the soft
edge that resampling leaves between frame and picture is trimmed with it.
"""

from __future__ import annotations

import cv2
import numpy as np

TOLERANCE = 14           # grey levels a border pixel may differ from the border colour (JPEG noise)
UNIFORM_SHARE = 0.97     # share of a line's pixels within TOLERANCE for the line to be border
MIN_BORDER = 0.01        # thinner runs (of the side's length) are not a border (a dark first row)
MIN_CONTENT = 0.3        # at least this share of each dimension must stay
EDGE_MARGIN = 2          # lines of soft edge trimmed beyond the last uniform line

Box = tuple[int, int, int, int]     # x0, y0, x1, y1 (exclusive), in the image's pixels


def _uniform_run(lines: np.ndarray, limit: int) -> tuple[int, float]:
    """How many of the first lines (rows of ``lines``) are uniform in the first line's colour, and that colour."""
    colour = float(np.median(lines[0]))
    start, step = 0, 4                   # most images have no border: look at a few lines first
    while start < limit:
        stop = min(limit, start + step)
        near = np.abs(lines[start:stop].astype(np.int16) - int(round(colour))) <= TOLERANCE
        bad = np.flatnonzero(near.mean(axis=1) < UNIFORM_SHARE)
        if len(bad):
            return start + int(bad[0]), colour
        start, step = stop, step * 4
    return int(limit), colour


def content_box(gray: np.ndarray) -> Box:
    """The box of ``gray`` (2-D uint8) inside its uniform borders; the whole image when it has none."""
    h, w = gray.shape[:2]
    if h < 16 or w < 16:
        return 0, 0, w, h
    max_h = int(h * (1 - MIN_CONTENT))        # the two sides of one dimension together
    max_w = int(w * (1 - MIN_CONTENT))
    runs = {
        "top": _uniform_run(gray, max_h),
        "bottom": _uniform_run(gray[::-1], max_h),
        "left": _uniform_run(gray.T, max_w),
        "right": _uniform_run(gray.T[::-1], max_w),
    }
    found = {side: colour for side, (run, colour) in runs.items()
             if run >= max(2, MIN_BORDER * (h if side in ("top", "bottom") else w))}
    # A frame or letterbox has two or more sides of one colour; a single uniform side is most
    # likely the picture itself (a clear sky, a dark background) and stays.
    framed = {side for side, colour in found.items()
              if sum(1 for c in found.values() if abs(c - colour) <= 2 * TOLERANCE) >= 2}
    cut = {side: runs[side][0] + EDGE_MARGIN if side in framed else 0 for side in runs}
    x0, x1 = cut["left"], w - cut["right"]
    y0, y1 = cut["top"], h - cut["bottom"]
    if x1 - x0 < MIN_CONTENT * w:             # both sides "uniform": a flat image, not a frame
        x0, x1 = 0, w
    if y1 - y0 < MIN_CONTENT * h:
        y0, y1 = 0, h
    inner = gray[y0:y1, x0:x1]
    if inner.size == 0 or float(cv2.meanStdDev(inner)[1][0, 0]) < 2.0:  # only the border colour
        return 0, 0, w, h
    return int(x0), int(y0), int(x1), int(y1)


def border_shares(box: Box | np.ndarray, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) share of the frame that the border on each side takes."""
    x0, y0, x1, y1 = (int(v) for v in box)
    w, h = size
    return (x0 / w, y0 / h, (w - x1) / w, (h - y1) / h)

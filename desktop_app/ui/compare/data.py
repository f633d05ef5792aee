"""The background half of the compare page: decoding both sides for display, comparing them,
mapping the matches and the difference map (worker threads; no widgets here), and loading the
full-resolution rendition when the user zooms past a preview."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtGui import QImage

from desktop_app.context.pair import PairSide, compare_pair, relation_of, side_of
from desktop_app.context.protocols import SearchableContext
from desktop_app.engine.preview import difference_map, load_preview, working_to_display
from desktop_app.engine.progress import CancelToken
from desktop_app.engine.types import Comparison, ImageFeatures
from desktop_app.errors import LookalikeError
from desktop_app.ui.common.difference import difference_note
from desktop_app.ui.common.image_view import qimage_from_rgb
from desktop_app.ui.common.scale import format_bytes
from desktop_app.ui.compare.render import MatchLines

log = logging.getLogger(__name__)

#: Full-resolution renditions are capped here (8192 px long side: 45 MP at 3:2, ~180 MB as RGB32).
DETAIL_LONG_SIDE = 8192


@dataclass(frozen=True)
class Side:
    """One decoded image of the comparison (or why it could not be read)."""

    path: str
    image: QImage | None = None          # display preview (long side <= PREVIEW_LONG_SIDE)
    rgb: np.ndarray | None = None        # the same pixels, for the difference map
    width: int = 0                       # the file's true size after EXIF orientation
    height: int = 0
    format: str = ""
    file_size: int | None = None
    features: ImageFeatures | None = None
    in_library: bool = False
    error: str = ""
    known: PairSide | None = None        # what the comparison knows of the file (facts included)

    @property
    def ok(self) -> bool:
        return not self.error and self.image is not None and self.features is not None

    def details(self) -> str:
        if not self.ok:
            return ""
        size = f" · {format_bytes(self.file_size)}" if self.file_size else ""
        where = "in the library" if self.in_library else "not in the library"
        return f"{self.width} × {self.height} · {self.format}{size} · {where}"


@dataclass(frozen=True)
class CompareOutcome:
    a: Side
    b: Side
    comparison: Comparison | None = None
    relation: str = ""          # how the right image relates to the left: "rotated 90°"
    lines: MatchLines = MatchLines.empty()
    difference: QImage | None = None
    difference_note: str = ""
    seconds: float = 0.0


def load_side(context: SearchableContext | None, path: str) -> Side:
    """Decode ``path`` for display and get its features (worker thread)."""
    try:
        decoded = load_preview(path)
        known = side_of(context, path)
    except LookalikeError as err:
        return Side(path, error=str(err))
    return Side(path, qimage_from_rgb(decoded.rgb), decoded.rgb, decoded.width, decoded.height,
                decoded.format, known.file_size, known.features, known.in_library, known=known)


def run_compare(context: SearchableContext | None, path_a: str, path_b: str, known: dict[str, Side], cancel: CancelToken) -> CompareOutcome:
    """Load what is missing, compare, map the matches and the difference (worker thread)."""
    started = time.perf_counter()
    a = known.get(path_a) or load_side(context, path_a)
    cancel.check()
    b = (known.get(path_b) or load_side(context, path_b)) if path_b else Side("")
    if not (a.ok and b.ok):
        return CompareOutcome(a, b, seconds=time.perf_counter() - started)
    cancel.check()
    assert a.features is not None and b.features is not None and a.rgb is not None and b.rgb is not None
    # A LookalikeError here (a file that vanished since it was shown) reaches the page's banner.
    comparison = compare_pair(context, path_a, path_b, a.features, b.features)
    # How the right image relates to the left: "rotated 90°", not "cropped or reframed".
    relation = relation_of(a.known, b.known, comparison) if a.known and b.known else None
    # The points are in working-image coordinates of the same features (stored for library
    # files, analysed the same way otherwise), which the display sides carry for the mapping.
    lines = MatchLines(
        working_to_display(comparison.points_a, a.features.working_size, (a.rgb.shape[1], a.rgb.shape[0])),
        working_to_display(comparison.points_b, b.features.working_size, (b.rgb.shape[1], b.rgb.shape[0])),
        np.asarray(comparison.inlier_mask, bool).reshape(-1),
    )
    cancel.check()
    diff = difference_map(a.rgb, b.rgb, transform=comparison.transform,
                          working_a=a.features.working_size, working_b=b.features.working_size)
    # Words measured on what is drawn, in the same terms as the review (no SSIM figure).
    note = difference_note(diff, score=comparison.score)
    return CompareOutcome(a, b, comparison, relation.label if relation else "", lines, qimage_from_rgb(diff.rgb), note,
                          time.perf_counter() - started)


def load_detail(path: str, long_side: int) -> tuple[str, QImage]:
    """The file at (up to :data:`DETAIL_LONG_SIDE`) full resolution, for 1:1 inspection."""
    decoded = load_preview(path, max_side=max(16, min(long_side, DETAIL_LONG_SIDE)))
    return path, qimage_from_rgb(decoded.rgb)

"""The background half of a find-similar search: what is asked, what comes back, and the search
itself (worker thread; no widgets touched here)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from PySide6.QtGui import QImage

from desktop_app.engine.preview import load_preview
from desktop_app.context.protocols import SearchableContext
from desktop_app.context.types import ImageRecord, SimilarResult
from desktop_app.engine.progress import CancelToken
from desktop_app.ui.common.image_view import qimage_from_rgb

#: The reference preview's side on the page (decoded at twice that for sharp HiDPI display).
REFERENCE_SIDE = 280



@dataclass(frozen=True)
class SearchRequest:
    reference: str
    threshold: int
    max_count: int
    with_preview: bool


@dataclass(frozen=True)
class SearchOutcome:
    request: SearchRequest
    results: tuple[SimilarResult, ...]
    reference_record: ImageRecord | None
    preview: QImage | None
    source_size: tuple[int, int] | None
    seconds: float


def run_search(context: SearchableContext | None, request: SearchRequest, cancel: CancelToken) -> SearchOutcome:
    """The background half of a search (worker thread; no widgets touched here)."""
    started = time.perf_counter()
    preview: QImage | None = None
    size: tuple[int, int] | None = None
    if request.with_preview:
        # Decoding first also turns a missing or corrupt reference into one clear DecodeError.
        decoded = load_preview(request.reference, max_side=REFERENCE_SIDE * 2)
        preview = qimage_from_rgb(decoded.rgb)
        size = (decoded.width, decoded.height)
    cancel.check()
    record = None
    results: list[SimilarResult] = []
    if context is not None:
        record = context.image_by_path(request.reference)
        found = context.find_similar(request.reference, threshold=request.threshold, max_count=request.max_count)
        own = os.path.normcase(os.path.abspath(request.reference))
        results = [r for r in found if os.path.normcase(r.image.path) != own]
        results.sort(key=lambda r: -r.similarity)  # best first, whatever the backend's order
    return SearchOutcome(request, tuple(results), record, preview, size, time.perf_counter() - started)

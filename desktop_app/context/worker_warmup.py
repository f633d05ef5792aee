"""Preloaded by the worker server (see :mod:`desktop_app.context.pool`): import and warm up.

Importing this module imports what the context's worker jobs run (analysis of files,
verification of pairs) and analyses one tiny in-memory JPEG, so that the one-time costs — the
imports (~0.15 s), OpenCV's colour-conversion tables (~70 ms on the first Lab conversion),
Pillow's lazily loaded plugins — are paid once, in the server, and every worker forked from it
starts warm. It never raises: a failed warm-up only means colder workers.
"""

from __future__ import annotations

import io
import logging

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Run one analysis of a tiny synthetic JPEG through the engine."""
    import numpy as np
    from PIL import Image

    from desktop_app.context import analysis, verify  # noqa: F401  (imported to be inherited)
    from desktop_app.engine.analyze import analyze_bytes

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=90)
    analyze_bytes(buf.getvalue(), "warm-up.jpg")


try:
    warm_up()
except Exception:  # pragma: no cover - never seen; the workers then warm up on their first file
    log.debug("worker warm-up failed", exc_info=True)

"""Worker side of indexing: analyse one file into a picklable :class:`Outcome`.

:func:`analyze_job` is what the context's worker processes run for each file (see
:mod:`desktop_app.context.pool`); it never raises for a bad file: an unreadable, vanished or
undecodable file becomes a ``skip`` or ``gone`` outcome with a one-line reason. Checks that must
run before a file is read (file type, size, a timeout for special files) belong here, in
:func:`analyze_job`, so every caller gets them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from desktop_app.context.file_guard import FileTimeout, file_deadline
from desktop_app.engine.types import AnalyzedImage, ImageFacts, ImageFeatures
from desktop_app.errors import DecodeError

log = logging.getLogger(__name__)

CRASH_REASON = "the image decoder crashed on this file"


@dataclass(frozen=True)
class Outcome:
    """Result of analysing one file, sent back from a worker process."""

    path: str
    kind: str                                  # "ok" | "skip" | "gone"
    reason: str = ""
    transient: bool = False                    # a skip that may go away with the file unchanged
    content_hash: str = ""
    facts: ImageFacts | None = None
    features_blob: bytes = b""
    index_blob: bytes = b""                    # see index_view()
    thumbnail: bytes = b""


def index_view(features: ImageFeatures) -> ImageFeatures:
    """The part of ``features`` the engine's SimilarityIndex reads (pHash + first descriptors).

    ``SimilarityIndex.add`` uses the pHash and the first ``INDEX_KEYPOINTS`` descriptors (the
    strongest, see engine.features); storing just that slice keeps index building cheap.
    """
    from desktop_app.engine import index as index_module

    keep = getattr(index_module, "INDEX_KEYPOINTS", None)
    if keep is None:  # the engine didn't say what it needs: keep everything but extras
        keep = len(features.descriptors)
    return ImageFeatures(phash=features.phash, keypoints=features.keypoints[:keep],
                         descriptors=features.descriptors[:keep],
                         working_size=features.working_size)


def analyze_job(path: str) -> Outcome:
    """Analyse one file; never raises for a bad file (it becomes a skip)."""
    from desktop_app.engine import analyze as analyze_module  # looked up per call: patchable

    from desktop_app.engine.file_read import TransientDecodeError

    try:
        with file_deadline():  # one file never hangs the run (a dead share, a stuck decoder)
            analyzed: AnalyzedImage = analyze_module.analyze_file(path)
    except FileTimeout as err:
        return Outcome(path, "skip", reason=str(err), transient=True)
    except DecodeError as err:
        if not os.path.exists(path):
            return Outcome(path, "gone")
        # permission denied, I/O errors, low memory: retried on the next index (see _Writer)
        return Outcome(path, "skip", reason=err.reason,
                       transient=isinstance(err, TransientDecodeError))
    except FileNotFoundError:
        return Outcome(path, "gone")
    except OSError as err:
        return Outcome(path, "skip", reason=err.strerror or str(err), transient=True)
    except MemoryError:
        return Outcome(path, "skip", reason="not enough memory to decode the image", transient=True)
    except Exception as err:  # a decoder bug must not stop a 100,000-file scan
        log.exception("unexpected error analysing %r", path)
        return Outcome(path, "skip", reason=f"unexpected decoder error ({type(err).__name__})")
    return Outcome(
        path,
        "ok",
        content_hash=analyzed.content_hash,
        facts=analyzed.facts,
        features_blob=analyzed.features.to_bytes(),
        index_blob=index_view(analyzed.features).to_bytes(),
        thumbnail=analyzed.thumbnail_jpeg,
    )


def file_content_hash(path: str) -> str:
    """The content hash the engine stores for ``path`` (the engine's own function, same bytes)."""
    from desktop_app.engine import analyze as analyze_module

    return str(analyze_module.content_hash_file(path))  # in bounded chunks, regular files only



def crashed(path: str) -> Outcome:
    """The outcome of a file whose analysis killed the worker process (not retried)."""
    return Outcome(path, "skip", reason=CRASH_REASON)

"""Worker side of pair scoring: verify a chunk of candidate pairs from their stored features.

A job is ``(database path, pairs (k, 2) int64)``: the worker reads the features the chunk needs
itself, through its own read-only connection, so only ids and scores cross process boundaries.
The same job runs in this process when there are no worker processes.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

from desktop_app.context.blobs import blobs_by_id
from desktop_app.engine.types import ImageFeatures

VerifyJob = tuple[str, np.ndarray]

_connections: dict[tuple[str, int], sqlite3.Connection] = {}


def _read_only(db_path: str) -> sqlite3.Connection:
    """One read-only connection per database and thread (workers keep theirs for the run)."""
    key = (db_path, threading.get_ident())
    conn = _connections.get(key)
    if conn is None:
        conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True, timeout=60)
        _connections[key] = conn
    return conn


def score_pair(fa: ImageFeatures, fb: ImageFeatures) -> float:
    """The engine's 0-100 score of two images' features."""
    from desktop_app.engine import similarity

    return float(similarity.compare_features(fa, fb).score)


def verify_chunk_job(job: VerifyJob) -> np.ndarray:
    """Scores ``float32 (k,)`` of a chunk of pairs; 0 for an image deleted meanwhile."""
    db_path, pairs = job
    ids = np.unique(pairs).tolist()
    feats = {image_id: ImageFeatures.from_bytes(blob)
             for image_id, blob in blobs_by_id(_read_only(db_path), "features", ids).items()}
    out = np.zeros(len(pairs), np.float32)
    for k, (x, y) in enumerate(pairs.tolist()):
        fx, fy = feats.get(x), feats.get(y)
        if fx is not None and fy is not None:
            out[k] = score_pair(fx, fy)
    return out


def lost_chunk(job: VerifyJob) -> np.ndarray:
    """Scores of a chunk whose verification killed the worker twice: all unknown (0)."""
    return np.zeros(len(job[1]), np.float32)

"""Compact in-memory candidate index over many images (no all-pairs ORB).

Two sources of candidates, both vectorised numpy:

* **Dihedral pHash** - ``(N, 8) uint64``; the Hamming distance to every image is computed with
  ``np.bitwise_count`` over blocks (bounded memory). Finds resized, recompressed, recoloured,
  rotated-by-90 and mirrored copies.
* **ORB LSH buckets** - the first :data:`INDEX_KEYPOINTS` descriptors of each image (strong and
  spread over the image, see ``features.orb_features``) are hashed into :data:`TABLES` tables
  of 16-bit keys taken from fixed descriptor bits (ORB's first tests are its most informative and
  least correlated). An inverted index (CSR: postings sorted by key) lets a query vote for
  images sharing keys. Finds crops, small rotations, reframing and other viewpoints, whose
  pHash differs. Oversized buckets (common, uninformative keys) are ignored.

Memory per image: 64 B of hashes + ``INDEX_KEYPOINTS * TABLES * (2 + 4)`` B of keys and
postings (~2.3 KB with the defaults; ~2.8 KB with growth slack), i.e. ~270 MB for 100,000
images (``tests/benchmarks/bench_scale.py``). 128 indexed keypoints instead of 96 cost 30 %
more memory and lift the recall of 50 %-area crops among the top-60 candidates at 100,000
images from 0.96 to 0.99.

Additions go to a small *pending* area scanned linearly; the inverted index is rebuilt lazily
when the pending area grows (amortised O(1) per addition).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from desktop_app.engine.types import ImageFeatures

log = logging.getLogger(__name__)

INDEX_KEYPOINTS = 128
TABLES = 3
_KEY_BYTES = ((0, 1), (2, 3), (4, 5))
PHASH_CANDIDATE_DISTANCE = 14   # beyond this the pHash says little (unrelated: mean ~32, 1 % <= 20)
MIN_VOTES = 3.5                 # IDF-weighted ORB key votes needed to be a candidate (neg. p99 ~4)
STRONG_PHASH = 8                # evidence so strong that candidate_pairs keeps the pair beyond
STRONG_VOTES = 20.0             #   limit_per_image (many copies of one photo), up to STRONG_CAP
STRONG_CAP = 64
PAIR_MIN_VOTES = 5.5            # candidate_pairs is stricter than candidates(): every pair it
PAIR_PHASH_DISTANCE = 12        #   returns is verified, for all images of a library
_NKEYS = 1 << 16
_BLOCK = 2048                   # rows per block in all-pairs pHash distances


def descriptor_keys(descriptors: np.ndarray, *, count: int = INDEX_KEYPOINTS) -> np.ndarray:
    """LSH keys ``(n, TABLES) uint16`` of the first ``count`` descriptors."""
    d = np.asarray(descriptors[:count], dtype=np.uint16)
    if d.size == 0:
        return np.zeros((0, TABLES), np.uint16)
    cols = [(d[:, hi] << 8) | d[:, lo] for hi, lo in _KEY_BYTES[:TABLES]]
    return np.stack(cols, axis=1).astype(np.uint16)


def _strength(dist: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """Candidate strength in [0, 1] from pHash distance and ORB votes (ranking only)."""
    e_hash = np.clip((PHASH_CANDIDATE_DISTANCE + 4 - dist.astype(np.float32)) / (PHASH_CANDIDATE_DISTANCE + 4), 0, 1)
    e_votes = np.clip((votes.astype(np.float32) - (MIN_VOTES - 1)) / 20.0, 0, 1)
    return np.maximum(e_hash, e_votes)


class SimilarityIndex:
    """Candidate index: ``add``/``remove`` images, ask for likely matches, never verifies.

    Verification (``similarity.compare_features``) is the caller's job: candidates are cheap
    to produce and ranked best first, so the caller verifies a bounded number.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cap = 0
        self._n = 0                                    # rows used (alive or dead)
        self._ids = np.zeros(0, np.int64)
        self._alive = np.zeros(0, bool)
        self._phash = np.zeros((0, 8), np.uint64)
        self._keys = np.zeros((0, INDEX_KEYPOINTS, TABLES), np.uint16)
        self._nkeys = np.zeros(0, np.uint16)
        self._row_of: dict[int, int] = {}
        self._built = 0                                # rows covered by the inverted index
        self._post_rows: list[np.ndarray] = []
        self._bucket_start: list[np.ndarray] = []
        self._stop = np.zeros((TABLES, _NKEYS), bool)

    # -- maintenance -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, image_id: object) -> bool:
        return image_id in self._row_of

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, 1024, int(self._cap * 1.5))

        def grow(a: np.ndarray) -> np.ndarray:
            out = np.zeros((cap,) + a.shape[1:], a.dtype)
            out[: self._n] = a[: self._n]
            return out

        self._ids, self._alive, self._phash = grow(self._ids), grow(self._alive), grow(self._phash)
        self._keys, self._nkeys = grow(self._keys), grow(self._nkeys)
        self._cap = cap

    def add(self, image_id: int, features: ImageFeatures) -> None:
        """Add (or replace) an image."""
        image_id = int(image_id)
        keys = descriptor_keys(features.descriptors)
        with self._lock:
            if image_id in self._row_of:
                self.remove(image_id)
            self._grow(self._n + 1)
            r = self._n
            self._ids[r] = image_id
            self._alive[r] = True
            self._phash[r] = np.asarray(features.phash, np.uint64)
            self._keys[r, : len(keys)] = keys
            self._nkeys[r] = len(keys)
            self._row_of[image_id] = r
            self._n += 1

    def remove(self, image_id: int) -> None:
        """Forget an image (no error if unknown)."""
        with self._lock:
            r = self._row_of.pop(int(image_id), None)
            if r is None:
                return
            self._alive[r] = False
            dead = self._n - len(self._row_of)
            if dead > 1024 and dead > self._n // 4:
                self._compact()

    def _compact(self) -> None:
        rows = np.flatnonzero(self._alive[: self._n])
        n = len(rows)
        self._ids[:n] = self._ids[rows]
        self._phash[:n] = self._phash[rows]
        self._keys[:n] = self._keys[rows]
        self._nkeys[:n] = self._nkeys[rows]
        self._alive[:n] = True
        self._alive[n:] = False
        self._n = n
        self._row_of = {int(i): r for r, i in enumerate(self._ids[:n])}
        self._built = 0
        self._post_rows = []

    def _build(self) -> None:
        """(Re)build the CSR inverted index over all rows."""
        n = self._n
        k = np.arange(INDEX_KEYPOINTS)[None, :] < self._nkeys[:n, None]      # valid key slots
        rows = np.broadcast_to(np.arange(n, dtype=np.uint32)[:, None], (n, INDEX_KEYPOINTS))[k]
        self._post_rows, self._bucket_start = [], []
        for t in range(TABLES):
            keys = self._keys[:n, :, t][k]
            order = np.argsort(keys, kind="stable")
            self._post_rows.append(rows[order])
            counts = np.bincount(keys, minlength=_NKEYS)
            start = np.zeros(_NKEYS + 1, np.int64)
            np.cumsum(counts, out=start[1:])
            self._bucket_start.append(start)
            mean = max(1.0, len(keys) / _NKEYS)
            # a key shared by far more images than chance is a stop word (flat/noisy patches)
            self._stop[t] = counts > max(64.0, 24.0 * mean)
        self._built = n

    def _ensure_built(self) -> None:
        pending = self._n - self._built
        if not self._post_rows or pending > max(512, self._built // 16):
            self._build()

    # -- queries -----------------------------------------------------------------------------

    def _phash_dist(self, phash: np.ndarray, lo: int = 0, hi: int | None = None) -> np.ndarray:
        hi = self._n if hi is None else hi
        q = np.uint64(np.asarray(phash, np.uint64)[0])
        block = self._phash[lo:hi]
        return np.bitwise_count(np.bitwise_xor(block, q)).min(axis=1)

    def _votes(self, keys: np.ndarray) -> np.ndarray:
        """IDF-weighted ORB key votes for every row (dead rows included; callers mask).

        A shared key counts ``log(N / df) / log(N)`` (1 for a key only this pair shares, ~0 for
        a key every image has): common patches (straight edges, flat areas, text strokes) no
        longer make unrelated images look alike. Each query key counts once per table.
        """
        votes = np.zeros(self._n, np.float32)
        if len(keys) == 0 or not self._post_rows:
            return votes
        n_log = float(np.log(max(self._built, 2)))
        for t in range(TABLES):
            kt = np.unique(keys[:, t].astype(np.int64))
            kt = kt[~self._stop[t][kt]]
            if len(kt) == 0:
                continue
            start = self._bucket_start[t][kt]
            length = self._bucket_start[t][kt + 1] - start
            weight = np.maximum(np.log(max(self._built, 2) / np.maximum(length, 1)) / n_log, 0.0)
            total = int(length.sum())
            if total:
                offs = np.repeat(start - np.cumsum(length) + length, length) + np.arange(total)
                w = np.repeat(weight, length)
                votes[: self._built] += np.bincount(self._post_rows[t][offs], weights=w,
                                                    minlength=self._built)[: self._built].astype(np.float32)
            if self._built < self._n:                   # pending rows: direct comparison
                pk = self._keys[self._built: self._n, :, t]
                valid = np.arange(INDEX_KEYPOINTS)[None, :] < self._nkeys[self._built: self._n, None]
                pos = np.searchsorted(kt, pk)
                pos = np.minimum(pos, len(kt) - 1)
                hit = (kt[pos] == pk) & valid
                votes[self._built:] += np.where(hit, weight[pos], 0.0).sum(axis=1).astype(np.float32)
        return votes

    def candidates(self, features: ImageFeatures, *, limit: int = 50,
                   exclude: int | None = None) -> list[tuple[int, float]]:
        """Images likely similar to ``features``: ``[(image_id, strength 0..1)]``, best first.

        Only images with real evidence (close pHash or enough shared ORB keys) are returned,
        at most ``limit``. ``exclude`` drops one id (the query itself, when it is indexed).
        """
        with self._lock:
            if self._n == 0 or limit <= 0:
                return []
            self._ensure_built()
            dist = self._phash_dist(features.phash)
            votes = self._votes(descriptor_keys(features.descriptors))
            ok = self._alive[: self._n] & ((dist <= PHASH_CANDIDATE_DISTANCE) | (votes >= MIN_VOTES))
            if exclude is not None and int(exclude) in self._row_of:
                ok[self._row_of[int(exclude)]] = False
            rows = np.flatnonzero(ok)
            if len(rows) == 0:
                return []
            s = _strength(dist[rows], votes[rows])
            order = np.lexsort((dist[rows], -votes[rows], -s))[:limit]
            return [(int(self._ids[rows[i]]), float(s[i])) for i in order]

    def candidate_pairs(self, *, limit_per_image: int = 10) -> np.ndarray:
        """Candidate pairs over the whole index: ``(K, 2) int64`` image ids, ``a < b``, unique.

        Each image contributes every partner with overwhelming evidence (near-identical pHash or
        very many shared ORB keys, up to :data:`STRONG_CAP`) and its ``limit_per_image``
        strongest other partners; partners of an image's near-copies are paired too (two hops),
        so a photo with 30 copies keeps all of its pairs whichever copy ends up the original.
        Noise rarely reaches the strong bar, so for ordinary libraries this stays about
        ``limit_per_image`` pairs per image.
        """
        with self._lock:
            n = self._n
            if n < 2:
                return np.zeros((0, 2), np.int64)
            self._build()
            alive = self._alive[:n]
            out: list[np.ndarray] = []
            for lo in range(0, n, _BLOCK):
                hi = min(n, lo + _BLOCK)
                # pHash distances block x all, min over the 8 variants of the other image
                q = self._phash[lo:hi, 0][:, None]
                dist = np.full((hi - lo, n), 64, np.uint8)
                for k in range(8):
                    np.minimum(dist, np.bitwise_count(np.bitwise_xor(q, self._phash[:n, k][None, :])), out=dist)
                for r in range(lo, hi):
                    if not alive[r]:
                        continue
                    votes = self._votes(self._keys[r, : self._nkeys[r]])
                    d = dist[r - lo]
                    ok = alive & ((d <= PAIR_PHASH_DISTANCE) | (votes >= PAIR_MIN_VOTES))
                    ok[r] = False
                    cols = np.flatnonzero(ok)
                    if len(cols) == 0:
                        continue
                    strong = (d[cols] <= STRONG_PHASH) | (votes[cols] >= STRONG_VOTES)
                    s = _strength(d[cols], votes[cols])
                    strong_cols = cols[strong][np.argsort(-s[strong], kind="stable")[:STRONG_CAP]]
                    weak_cols = cols[~strong][np.argsort(-s[~strong], kind="stable")[:limit_per_image]]
                    mine = np.concatenate([strong_cols, weak_cols])
                    out.append(np.stack([np.full(len(mine), r), mine], axis=1))
                    if len(strong_cols):
                        # Two hops through this image: its near-copies are paired with each other
                        # and with its other partners, so a cluster's best copy (whichever it is)
                        # has its pairs even when its own list was full.
                        aa, bb = np.meshgrid(strong_cols, mine, indexing="ij")
                        hop = np.stack([aa.ravel(), bb.ravel()], axis=1)
                        out.append(hop[hop[:, 0] != hop[:, 1]])
            if not out:
                return np.zeros((0, 2), np.int64)
            rows = np.concatenate(out)
            ids = self._ids[rows]
            pairs = np.sort(ids, axis=1)
            return np.unique(pairs, axis=0).astype(np.int64)

    def memory_bytes(self) -> int:
        """Approximate memory held by the index arrays."""
        arrays = [self._ids, self._alive, self._phash, self._keys, self._nkeys, self._stop,
                  *self._post_rows, *self._bucket_start]
        return int(sum(a.nbytes for a in arrays)) + 100 * len(self._row_of)

"""Compact in-memory candidate index over many images (no all-pairs work anywhere).

Two sources of candidates, both vectorised numpy:

* **Dihedral pHash** - ``(N, 8) uint64``. A single query (``candidates``) scans all N hashes
  (a few ms at 100,000 images); the all-pairs search (``candidate_pairs``) uses exact
  multi-index hashing (:mod:`desktop_app.engine.hamming`). Finds resized, recompressed,
  recoloured, blurred, rotated-by-90 and mirrored copies.
* **ORB LSH buckets** - the first :data:`INDEX_KEYPOINTS` descriptors of each image (strong and
  spread over the image, see ``features.orb_features``) give :data:`TABLES` keys each, taken from
  fixed descriptor bits (ORB's first tests are its most informative and least correlated). An
  inverted index (CSR: postings sorted by key) lets a query vote for images sharing keys, each
  shared key weighted by its rarity (IDF). Finds crops, small rotations, reframing and other
  viewpoints, whose pHash differs.

**Key length grows with the library** (:func:`key_bits`): 16 bits up to a few thousand images,
one more bit per doubling, up to 22. A query's work is (keys x bucket size), and the bucket size
stays near :data:`TARGET_BUCKET` instead of growing with N, so all-pairs candidate generation is
near-linear (with fixed 16-bit keys a 100,000-image library had ~200 postings per key: 7.5e9
postings visited, 799 s). Longer keys also make chance collisions rarer, which is why the vote
thresholds can be low. Oversized buckets (common, uninformative keys) are ignored.

Memory per image: 64 B of hashes + ``INDEX_KEYPOINTS * TABLES * (4 + 4)`` B of keys and postings
(~3 KB), i.e. ~310 MB for 100,000 images (``tests/benchmarks/bench_scale.py``).

Additions go to a small *pending* area scanned linearly; the inverted index is rebuilt lazily
when the pending area grows (amortised O(1) per addition).
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Callable, Generator

import numpy as np

from desktop_app.engine.hamming import HashTable
from desktop_app.engine.types import ImageFeatures

log = logging.getLogger(__name__)

INDEX_KEYPOINTS = 128
TABLES = 3
SOURCE_BITS = 24                # stored key per descriptor and table: 3 descriptor bytes
MIN_KEY_BITS, MAX_KEY_BITS = 16, 22
TARGET_BUCKET = 12              # mean postings per key the key length aims at
SIMILAR_KEY_BITS = 16           # candidates() votes with 16-bit key prefixes at any size: one
#                                 query can afford big buckets, and short keys find hard crops
PHASH_CANDIDATE_DISTANCE = 14   # beyond this the pHash says little (unrelated: mean ~32, 1 % <= 20)
MIN_VOTES = 2.5                 # IDF-weighted ORB key votes needed to be a candidate (ranked after)
STRONG_PHASH = 8                # evidence so strong that candidate_pairs keeps the pair beyond
STRONG_CAP = 64                 #   limit_per_image (many copies of one photo), up to STRONG_CAP
PAIR_PHASH_DISTANCE = 10        # candidate_pairs' pHash radius. Copies ORB misses (blur, sharpen,
#                                 squeeze, mirror, 25 % resize) are within 8 (bench_accuracy)
_WEIGHT_STEPS = 15               # key weights quantised to 4 bits in candidate_pairs
PAIR_BLOCK = 128                # query rows per block in candidate_pairs (bounded memory)

RowsProgress = Callable[[int, int], None]   # (rows done, rows total); may raise to cancel


def descriptor_keys(descriptors: np.ndarray, *, count: int = INDEX_KEYPOINTS) -> np.ndarray:
    """24-bit LSH keys ``(n, TABLES) uint32`` of the first ``count`` descriptors.

    Table ``t`` reads descriptor bytes ``2t, 2t + 1`` (its 16-bit prefix, what ``candidates``
    votes with) then byte ``2 * TABLES + t`` (the longer keys of big libraries).
    """
    d = np.asarray(descriptors[:count], dtype=np.uint32)
    if d.size == 0:
        return np.zeros((0, TABLES), np.uint32)
    cols = [(d[:, 2 * t] << 16) | (d[:, 2 * t + 1] << 8) | d[:, 2 * TABLES + t]
            for t in range(TABLES)]
    return np.stack(cols, axis=1).astype(np.uint32)


def key_bits(postings_per_table: int) -> int:
    """Key length that keeps the mean bucket near :data:`TARGET_BUCKET` postings."""
    want = math.log2(max(postings_per_table, 1) / TARGET_BUCKET)
    return int(min(MAX_KEY_BITS, max(MIN_KEY_BITS, round(want))))


def pair_min_votes(bits: int) -> float:
    """Votes candidate_pairs needs at this key length (every pair it returns is verified).

    With 16-bit keys (small libraries) unrelated photos share a few keys by chance, and 5.5
    keeps them out; each more bit halves the chance collisions but keeps ~88 % of a true
    match's shared keys, so longer keys can ask for less: 3.0 at 18 bits (25,000 images: 2.5
    verified ~3.7 pairs per image, most of them chance), 2.5 from 19 bits on.
    """
    return max(2.5, 5.5 - 1.25 * (bits - MIN_KEY_BITS))


def strong_votes(bits: int) -> float:
    """Votes so many that candidate_pairs keeps the pair beyond ``limit_per_image``."""
    return max(12.0, 20.0 - 2.0 * (bits - MIN_KEY_BITS))


def _strength(dist: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """Candidate strength in [0, 1] from pHash distance and ORB votes (ranking only)."""
    e_hash = np.clip((PHASH_CANDIDATE_DISTANCE + 4 - dist.astype(np.float32)) / (PHASH_CANDIDATE_DISTANCE + 4), 0, 1)
    e_votes = np.clip((votes.astype(np.float32) - (MIN_VOTES - 1)) / 20.0, 0, 1)
    return np.maximum(e_hash, e_votes)


def _gather(start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start[i], start[i] + length[i])`` (postings of several buckets)."""
    total = int(length.sum())
    return np.repeat(start - np.cumsum(length) + length, length) + np.arange(total)


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
        self._keys = np.zeros((0, INDEX_KEYPOINTS, TABLES), np.uint32)
        self._nkeys = np.zeros(0, np.uint16)
        self._row_of: dict[int, int] = {}
        self._built = 0                                # rows covered by the inverted index
        self._bits = MIN_KEY_BITS
        self._post_rows: list[np.ndarray] = []
        self._bucket_start: list[np.ndarray] = []

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

    def reserve(self, count: int) -> None:
        """Make room for ``count`` images at once (no regrowth copies while streaming a library)."""
        with self._lock:
            self._grow(count)

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

    def _valid(self, lo: int, hi: int) -> np.ndarray:
        return np.arange(INDEX_KEYPOINTS)[None, :] < self._nkeys[lo:hi, None]

    def _build(self) -> None:
        """(Re)build the CSR inverted index over all rows, with a key length fit for their count."""
        n = self._n
        valid = self._valid(0, n)
        self._bits = key_bits(int(valid.sum()))
        shift = np.uint32(SOURCE_BITS - self._bits)
        nkeys = 1 << self._bits
        self._post_rows, self._bucket_start = [], []
        rows = np.nonzero(valid)[0].astype(np.uint64)
        for t in range(TABLES):
            # one plain sort of (key, row) codes: 10x faster than an argsort, half its memory
            code = (self._keys[:n, :, t][valid] >> shift).astype(np.uint64) << np.uint64(32)
            code |= rows
            code.sort()
            counts = np.bincount((code >> np.uint64(32)).astype(np.int64), minlength=nkeys)
            self._post_rows.append((code & np.uint64(0xFFFFFFFF)).astype(np.uint32))
            del code
            start = np.zeros(nkeys + 1, np.int64)
            np.cumsum(counts, out=start[1:])
            self._bucket_start.append(start)
        self._built = n

    def _lookup(self, t: int, keys: np.ndarray, bits: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posting ranges ``(start, length, stop)`` of 24-bit ``keys`` in table ``t`` at ``bits`` bits.

        ``bits`` may be shorter than the index's keys: a shorter key is a prefix, its postings a
        contiguous run of buckets. Stop words (keys shared by far more images than chance: flat
        or noisy patches) come back empty and flagged in ``stop``.
        """
        bits = min(bits, self._bits)
        k = (keys >> np.uint32(SOURCE_BITS - bits)).astype(np.int64) << (self._bits - bits)
        start = self._bucket_start[t][k]
        length = self._bucket_start[t][k + (1 << (self._bits - bits))] - start
        mean = max(1.0, len(self._post_rows[t]) / (1 << bits))
        stop = length > max(64.0, 24.0 * mean)
        length[stop] = 0
        return start, length, stop

    def _ensure_built(self) -> None:
        pending = self._n - self._built
        if not self._post_rows or pending > max(512, self._built // 16):
            self._build()

    def _idf(self, df: np.ndarray) -> np.ndarray:
        """Weight of a key shared by ``df`` images: 1 for a key only a pair shares, ~0 for all."""
        n_log = float(np.log(max(self._built, 2)))
        return np.maximum(np.log(max(self._built, 2) / np.maximum(df, 1)) / n_log, 0.0)

    # -- queries -----------------------------------------------------------------------------

    def _phash_dist(self, phash: np.ndarray) -> np.ndarray:
        q = np.uint64(np.asarray(phash, np.uint64)[0])
        return np.bitwise_count(np.bitwise_xor(self._phash[: self._n], q)).min(axis=1)

    def _votes(self, keys: np.ndarray, bits: int) -> np.ndarray:
        """IDF-weighted ORB key votes of 24-bit ``keys`` for every row (dead rows included)."""
        votes = np.zeros(self._n, np.float32)
        if len(keys) == 0 or not self._post_rows:
            return votes
        bits = min(bits, self._bits)
        shift = np.uint32(SOURCE_BITS - bits)
        for t in range(TABLES):
            kt = np.unique(keys[:, t] >> shift).astype(np.uint32)
            start, length, stop = self._lookup(t, kt << shift, bits)
            weight = self._idf(length)
            if int(length.sum()):
                rows = self._post_rows[t][_gather(start, length)]
                votes[: self._built] += np.bincount(rows, weights=np.repeat(weight, length),
                                                    minlength=self._built)[: self._built].astype(np.float32)
            if self._built < self._n:                   # pending rows: direct comparison
                weight[stop] = 0.0                      # stop words count for nobody
                pk = self._keys[self._built: self._n, :, t] >> shift
                pos = np.minimum(np.searchsorted(kt, pk), len(kt) - 1)
                hit = (kt[pos] == pk) & self._valid(self._built, self._n)
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
            votes = self._votes(descriptor_keys(features.descriptors), SIMILAR_KEY_BITS)
            mirrored = features.extra.get("mdesc")
            if mirrored is not None and len(mirrored):
                # the query's corners described mirrored find its mirrored copies (also cropped)
                votes = np.maximum(votes, self._votes(descriptor_keys(mirrored), SIMILAR_KEY_BITS))
            ok = self._alive[: self._n] & ((dist <= PHASH_CANDIDATE_DISTANCE) | (votes >= MIN_VOTES))
            if exclude is not None and int(exclude) in self._row_of:
                ok[self._row_of[int(exclude)]] = False
            rows = np.flatnonzero(ok)
            if len(rows) == 0:
                return []
            s = _strength(dist[rows], votes[rows])
            order = np.lexsort((dist[rows], -votes[rows], -s))[:limit]
            return [(int(self._ids[rows[i]]), float(s[i])) for i in order]

    # -- all pairs ---------------------------------------------------------------------------

    def _block_votes(self, qrows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sparse ORB votes of rows ``qrows`` against every row: ``(code, votes)``, code = q*n+row.

        Every posting becomes one integer ``(q * n + row) << 4 | weight``: one plain sort (10x
        faster than an argsort) groups the pairs and carries the key weights along, in 32 bits
        while they fit (half the memory traffic).
        """
        n = self._n
        dtype = np.uint32 if len(qrows) * n * 16 < 2**32 else np.uint64
        codes = []
        for t in range(TABLES):
            valid = np.arange(INDEX_KEYPOINTS)[None, :] < self._nkeys[qrows, None]
            k = np.where(valid, self._keys[qrows, :, t], np.uint32(1 << SOURCE_BITS))
            k.sort(axis=1)
            ok = valid.copy()   # sorted rows keep their valid keys first
            prefix = k >> np.uint32(SOURCE_BITS - self._bits)
            ok[:, 1:] &= prefix[:, 1:] != prefix[:, :-1]        # each key once per query
            qi = np.nonzero(ok)[0]
            start, length, _ = self._lookup(t, k[ok], self._bits)
            weight = np.rint(self._idf(length) * _WEIGHT_STEPS).astype(np.int64)
            base = ((qi.astype(np.int64) * n) << 4 | weight).astype(dtype)   # per key
            rows = self._post_rows[t][_gather(start, length)].astype(dtype)
            rows <<= dtype(4)
            rows += np.repeat(base, length)
            codes.append(rows)
        code = np.concatenate(codes)
        code.sort()
        pair = (code >> dtype(4)).astype(np.int64)
        last = np.flatnonzero(np.r_[pair[1:] != pair[:-1], True]) if len(pair) else pair
        total = np.cumsum(code & dtype(15), dtype=np.int64)[last]
        votes = np.diff(total, prepend=0).astype(np.float32) / _WEIGHT_STEPS
        return pair[last], votes

    def _block_pairs(self, qrows: np.ndarray, hashes: HashTable, limit: int) -> np.ndarray:
        """Candidate row pairs ``(K, 2)`` chosen by the rows ``qrows`` (see candidate_pairs)."""
        n = self._n
        vcode, votes = self._block_votes(qrows)
        enough = votes >= pair_min_votes(self._bits)
        vcode, votes = vcode[enough], votes[enough]
        hq, hrow, hdist = hashes.search(self._phash[qrows, 0], PAIR_PHASH_DISTANCE)
        code = np.union1d(vcode, hq * n + hrow)
        qi, other = code // n, code % n
        ok = (qrows[qi] != other) & self._alive[other]
        code, qi, other = code[ok], qi[ok], other[ok]
        if len(code) == 0:
            return np.zeros((0, 2), np.int64)
        v = np.zeros(len(code), np.float32)
        if len(vcode):
            pos = np.minimum(np.searchsorted(vcode, code), len(vcode) - 1)
            hit = vcode[pos] == code
            v[hit] = votes[pos[hit]]
        q0 = self._phash[qrows[qi], 0]
        d = np.bitwise_count(self._phash[other] ^ q0[:, None]).min(axis=1).astype(np.int64)
        s = _strength(d, v)
        strong = (d <= STRONG_PHASH) | (v >= strong_votes(self._bits))
        # rank each query row's partners, strong ones and weak ones separately, best first
        order = np.lexsort((-s, ~strong, qi))
        qi, other, strong = qi[order], other[order], strong[order]
        group = np.r_[True, (qi[1:] != qi[:-1]) | (strong[1:] != strong[:-1])]
        starts = np.flatnonzero(group)
        rank = np.arange(len(qi)) - np.repeat(starts, np.diff(np.r_[starts, len(qi)]))
        keep = np.where(strong, rank < STRONG_CAP, rank < limit)
        qi, other, strong = qi[keep], other[keep], strong[keep]
        out = [np.stack([qrows[qi], other], axis=1)]
        # Two hops through a row: its near-copies are paired with each other and with its other
        # partners, so a cluster's best copy (whichever it is) has its pairs even when its own
        # list was full.
        for q in np.unique(qi[strong]):
            mine = other[qi == q]
            near = other[(qi == q) & strong]
            aa, bb = np.meshgrid(near, mine, indexing="ij")
            hop = np.stack([aa.ravel(), bb.ravel()], axis=1)
            out.append(hop[hop[:, 0] != hop[:, 1]])
        return np.concatenate(out)

    def iter_candidate_pairs(self, *, limit_per_image: int = 10,
                             among: np.ndarray | None = None
                             ) -> Generator[tuple[int, int, np.ndarray], None, None]:
        """:meth:`candidate_pairs` block by block: ``(rows done, rows total, pairs)``.

        ``pairs`` are the ``(k, 2) int64`` image ids (``a < b``, unique within the block) the
        block's rows chose; a pair may come again in a later block (chosen from both sides).
        A consumer can verify the first blocks while the next ones are being found. The index
        is locked block by block, so ``candidates`` queries (find_similar) are answered between
        blocks; rows added meanwhile wait for the next run.
        """
        with self._lock:
            n = self._n
            if n < 2:
                return
            if self._built != n or not self._post_rows:
                self._build()
            if among is None:
                rows = np.flatnonzero(self._alive[:n])
            else:
                rows = np.asarray(sorted({self._row_of[int(i)] for i in np.asarray(among).ravel()
                                          if int(i) in self._row_of}), np.int64)
            hashes = HashTable(self._phash[:n])
            layout = (n, self._bits, len(self._post_rows[0]))
        for start in range(0, len(rows), PAIR_BLOCK):
            with self._lock:
                if (self._n, self._bits, len(self._post_rows[0]) if self._post_rows else 0) != layout:
                    raise RuntimeError("the similarity index changed during candidate_pairs")
                block = rows[start:start + PAIR_BLOCK]
                part = np.sort(self._block_pairs(block, hashes, limit_per_image), axis=1)
                code = np.unique(part[:, 0] * n + part[:, 1])
                ids = np.sort(self._ids[np.stack([code // n, code % n], axis=1)], axis=1)
            yield start + len(block), len(rows), ids.astype(np.int64)

    def candidate_pairs(self, *, limit_per_image: int = 10, among: np.ndarray | None = None,
                        progress: RowsProgress | None = None) -> np.ndarray:
        """Candidate pairs: ``(K, 2) int64`` image ids, ``a < b``, unique, sorted.

        Each image contributes every partner with overwhelming evidence (near-identical pHash or
        very many shared ORB keys, up to :data:`STRONG_CAP`) and its ``limit_per_image``
        strongest other partners; partners of an image's near-copies are paired too (two hops),
        so a photo with 30 copies keeps all of its pairs whichever copy ends up the original.

        ``among`` (image ids): only the pairs these images choose - what an incremental run
        needs when a few images were added to a scored library. ``progress(done, total)`` is
        called after each block of rows and may raise to stop.
        """
        found: list[np.ndarray] = []
        for done, total, pairs in self.iter_candidate_pairs(limit_per_image=limit_per_image,
                                                            among=among):
            found.append(pairs)
            if progress is not None:
                progress(done, total)
        if not found:
            return np.zeros((0, 2), np.int64)
        return np.unique(np.concatenate(found), axis=0)

    def memory_bytes(self) -> int:
        """Approximate memory held by the index arrays."""
        arrays = [self._ids, self._alive, self._phash, self._keys, self._nkeys,
                  *self._post_rows, *self._bucket_start]
        return int(sum(a.nbytes for a in arrays)) + 100 * len(self._row_of)

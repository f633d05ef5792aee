"""Group scored pairs into duplicate clusters, each around its best copy (the "original").

Pure numpy/python, no I/O: the search context hands over the cached pair scores and a rank
per image; regrouping at any threshold above the cache floor is in-memory work (< 100 ms for
10,000 images, see ``tests/benchmarks/bench_grouping.py``).

Rules
-----
* **Processing order** by :func:`original_rank_key`, what the facts alone say of the documented
  original rule (:mod:`desktop_app.engine.provenance`): camera metadata, then most pixels, then
  the earliest capture / oldest file, then more metadata, then the path (a stable choice).
* **The original is the source**, not the first in that order: with ``choose_centre`` the caller
  (the search context, which has the pair evidence) picks the original among the first image
  and its unassigned neighbours by the provenance rule, and the group forms around *that* image:
  every member scoring at or above the threshold against the true source is in one group, even
  when a derivative (a letterboxed export, a thumbnail) was first in the order.
* **No chaining.** Every member's similarity is its score *to the original* and meets the
  threshold. Greedy: the first image in the order that still has an unassigned neighbour at or
  above the threshold gives a centre, which takes all its unassigned neighbours; repeat;
  singletons dropped. So A~B and B~C with A not like C never puts A and C in one group.
* Pairs the user declared "not duplicates" are removed by the caller before grouping (``exclude``
  here, as pairs of ids).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from desktop_app.engine.provenance import camera_score, exif_epoch
from desktop_app.engine.types import ImageFacts

log = logging.getLogger(__name__)

Cluster = list[tuple[int, float]]


def original_rank_key(
    facts: ImageFacts, *, size: int, mtime_ns: int, path: str = ""
) -> tuple[Any, ...]:
    """Sort key of the facts-only part of the original rule; the smallest key is tried first.

    Camera metadata (make/model, date taken) over none, then most pixels, then the earliest
    capture (EXIF DateTimeOriginal, else the file's modification time), then the oldest file,
    then more metadata, then a lossless format and the larger file, then the path. Content
    (borders, crops) needs pair evidence: see :mod:`desktop_app.engine.provenance`.
    """
    taken = exif_epoch(facts.date_taken)
    when = taken if taken is not None else mtime_ns / 1e9
    return (-camera_score(facts), -facts.pixels, when, mtime_ns, -facts.metadata_count,
            0 if facts.lossless else 1, -size, path)


#: ``choose_centre(first_id, candidate_ids)``: the original among the first image of the order
#: and its unassigned neighbours at the threshold (``candidate_ids[0] == first_id``).
CentreChooser = Callable[[int, Sequence[int]], int]
CENTRE_ROUNDS = 3     # a new centre's neighbourhood is checked again, at most this often


def group_duplicates(
    a: Sequence[int] | np.ndarray,
    b: Sequence[int] | np.ndarray,
    score: Sequence[float] | np.ndarray,
    *,
    threshold: float,
    rank: Mapping[int, Any] | None = None,
    exclude: Iterable[tuple[int, int]] = (),
    choose_centre: CentreChooser | None = None,
) -> list[Cluster]:
    """Cluster image ids linked by pair scores at or above ``threshold``, without chaining.

    Parameters
    ----------
    a, b, score
        Parallel arrays: pair ``i`` links images ``a[i]`` and ``b[i]`` with ``score[i]`` (0-100).
        Order within a pair does not matter; duplicate pairs keep their best score.
    threshold
        Minimum similarity of a member to its group's original.
    rank
        Sort key per image id (smaller = better copy, e.g. :func:`original_rank_key`). Ids
        missing from ``rank`` rank after all ranked ids, by id.
    exclude
        Pairs of ids that must never be grouped together (user "not duplicates" decisions).
    choose_centre
        Picks the original among an image and its unassigned neighbours (see
        :data:`CentreChooser`); the group forms around it. Without it, the first image in the
        rank order is the original.

    Returns
    -------
    list of clusters
        Each cluster is ``[(original_id, 100.0), (member_id, similarity_to_original), ...]``,
        members sorted by similarity (best first). Clusters are ordered by their original's rank.
    """
    a_arr = np.asarray(a, dtype=np.int64).ravel()
    b_arr = np.asarray(b, dtype=np.int64).ravel()
    s_arr = np.asarray(score, dtype=np.float32).ravel()
    if not (a_arr.shape == b_arr.shape == s_arr.shape):
        raise ValueError("a, b and score must have the same length")
    keep = (s_arr >= np.float32(threshold)) & (a_arr != b_arr)
    a_arr, b_arr, s_arr = a_arr[keep], b_arr[keep], s_arr[keep]
    excluded = list(exclude)
    if excluded and a_arr.size:
        ex = np.asarray(excluded, dtype=np.int64).reshape(-1, 2)
        lo_ex, hi_ex = np.minimum(ex[:, 0], ex[:, 1]), np.maximum(ex[:, 0], ex[:, 1])
        lo, hi = np.minimum(a_arr, b_arr), np.maximum(a_arr, b_arr)
        hit = np.isin(_pair_key(lo, hi), _pair_key(lo_ex, hi_ex))
        a_arr, b_arr, s_arr = a_arr[~hit], b_arr[~hit], s_arr[~hit]
    if a_arr.size == 0:
        return []

    # Compact ids 0..n-1 (a lookup table when ids are dense enough, else a sort).
    both = np.concatenate([a_arr, b_arr])
    lo_id, hi_id = int(both.min()), int(both.max())
    if lo_id >= 0 and hi_id < max(4 * both.size, 1 << 20):
        present = np.zeros(hi_id + 1, dtype=bool)
        present[both] = True
        ids = np.flatnonzero(present)
        lut = np.empty(hi_id + 1, dtype=np.int64)
        lut[ids] = np.arange(ids.size, dtype=np.int64)
        inverse = lut[both]
    else:
        ids, inverse = np.unique(both, return_inverse=True)
    n = ids.size
    ids_list: list[int] = ids.tolist()
    if rank is None:
        order = np.arange(n, dtype=np.int64)
    else:
        order = _rank_order(ids_list, rank)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n, dtype=np.int64)
    by_position: list[int] = ids[order].tolist()

    # Directed edges from the better-ranked end only. When the greedy pass reaches an image
    # still unassigned, all its better-ranked neighbours are already assigned (otherwise one of
    # them would have taken it), so backward edges never matter.
    m = a_arr.size
    pu = position[inverse[:m]]
    pv = position[inverse[m:]]
    src = np.minimum(pu, pv)
    dst = np.maximum(pu, pv)
    key = src * n + dst
    sort = np.argsort(key, kind="stable")
    key, s_sorted = key[sort], s_arr[sort]
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts_idx = np.flatnonzero(first)
    best = np.maximum.reduceat(s_sorted, starts_idx)  # a pair listed twice keeps its best score
    key = key[starts_idx]
    src, dst = key // n, key % n
    if choose_centre is not None:
        # Both directions: the chosen centre may be anywhere in the order.
        both_src, both_dst = np.concatenate([src, dst]), np.concatenate([dst, src])
        both_sc = np.round(np.concatenate([best, best]).astype(np.float64), 2)
        order_both = np.lexsort((both_dst, both_src))
        return _group_around_sources(
            np.searchsorted(both_src[order_both], np.arange(n + 1)).tolist(),
            both_dst[order_both].tolist(), both_sc[order_both].tolist(), n, by_position,
            choose_centre)
    starts = np.searchsorted(src, np.arange(n + 1)).tolist()
    dst_list: list[int] = dst.tolist()
    sc_list: list[float] = np.round(best.astype(np.float64), 2).tolist()
    assigned = bytearray(n)
    clusters: list[Cluster] = []
    for p in range(n):  # best-ranked first
        lo, hi = starts[p], starts[p + 1]
        if lo == hi or assigned[p]:
            continue
        members = [(q, sc) for q, sc in zip(dst_list[lo:hi], sc_list[lo:hi]) if not assigned[q]]
        if not members:
            continue
        assigned[p] = 1
        for q, _ in members:
            assigned[q] = 1
        # Best similarity first; equal scores by rank (the better copy first).
        members.sort(key=lambda item: (-item[1], item[0]))
        clusters.append(
            [(by_position[p], 100.0)] + [(by_position[q], s) for q, s in members]
        )
    return clusters


def _group_around_sources(starts: list[int], dst_list: list[int], sc_list: list[float], n: int,
                          by_position: list[int], choose_centre: CentreChooser) -> list[Cluster]:
    """The greedy pass when the caller picks each group's original (see ``choose_centre``).

    ``starts``/``dst_list``/``sc_list``: every image's neighbours in both directions (CSR, by
    position, so each list is in the rank order)."""
    position_of = {image_id: pos for pos, image_id in enumerate(by_position)}
    assigned = bytearray(n)
    clusters: list[Cluster] = []
    for p in range(n):
        if assigned[p] or starts[p] == starts[p + 1]:
            continue
        centre = p
        tried: set[int] = set()
        for _ in range(CENTRE_ROUNDS):
            tried.add(centre)
            free = [q for q in dst_list[starts[centre]:starts[centre + 1]] if not assigned[q]]
            if not free:
                break
            # In the rank order: the chooser sees the likeliest source first.
            chosen = choose_centre(by_position[centre], [by_position[centre]] +
                                   [by_position[q] for q in free])
            nxt = position_of.get(chosen, centre)
            if nxt == centre or nxt in tried or assigned[nxt]:
                break
            centre = nxt
        lo, hi = starts[centre], starts[centre + 1]
        members = [(q, sc) for q, sc in zip(dst_list[lo:hi], sc_list[lo:hi]) if not assigned[q]]
        if not members:
            continue
        assigned[centre] = 1
        for q, _ in members:
            assigned[q] = 1
        members.sort(key=lambda item: (-item[1], item[0]))
        clusters.append([(by_position[centre], 100.0)] + [(by_position[q], s) for q, s in members])
    return clusters


def _rank_order(ids_list: list[int], rank: Mapping[int, Any]) -> np.ndarray:
    """Compact indices sorted by rank (then id); unranked ids after every ranked one."""
    get = rank.get
    values = [get(i) for i in ids_list]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        # Numeric ranks (e.g. precomputed positions): one vectorised sort.
        arr = np.asarray(values, dtype=np.float64)
        return np.lexsort((np.asarray(ids_list, dtype=np.int64), arr)).astype(np.int64)
    # The first tuple item differs between ranked and unranked ids, so their keys are never
    # compared with each other.
    keys = [(0, v, i) if v is not None else (1, i) for v, i in zip(values, ids_list)]
    return np.asarray(sorted(range(len(ids_list)), key=keys.__getitem__), dtype=np.int64)


def rank_positions(keys: Mapping[int, Any]) -> dict[int, int]:
    """Turn sort keys per id into integer positions (0 = best): cache them, regroup faster."""
    return {image_id: pos for pos, image_id in enumerate(sorted(keys, key=lambda i: (keys[i], i)))}


def _pair_key(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One int per unordered pair (ids < 2**31), for fast set membership with ``np.isin``."""
    return (lo.astype(np.int64) << np.int64(32)) | hi.astype(np.int64)

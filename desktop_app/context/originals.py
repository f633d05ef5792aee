"""Originals and relation labels for a context's duplicate groups.

The engine's grouping asks :meth:`Originals.choose_centre` which image a group forms around
(the provenance rule of :mod:`desktop_app.engine.provenance`, judged on pair relations), and
:meth:`Originals.clusters` labels every member relative to its group's original.

Relations depend only on the two files' contents, so they are cached per pair of content
hashes for the life of the context's cache (regrouping at another threshold reuses them).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Sequence

from desktop_app.context.types import DuplicateCluster, ImageRecord, SimilarResult
from desktop_app.engine.provenance import Candidate, OriginalChoice, choose_original, explain
from desktop_app.engine.relation import EXACT_COPY, ORIGINAL, UNKNOWN, Relation, relate
from desktop_app.engine.types import Comparison, ImageFeatures
from desktop_app.errors import ContextError, DecodeError

if TYPE_CHECKING:  # pragma: no cover
    from desktop_app.context.cache import IndexedContext

log = logging.getLogger(__name__)

RELATION_CACHE_SIZE = 200_000
FEATURE_CACHE_SIZE = 512

_relation_caches: "weakref.WeakKeyDictionary[object, OrderedDict[tuple[str, str], Relation]]" = (
    weakref.WeakKeyDictionary())
_lock = threading.Lock()      # regrouping may run on several worker threads at once


def _relation_cache(owner: object) -> "OrderedDict[tuple[str, str], Relation]":
    with _lock:
        cache = _relation_caches.get(owner)
        if cache is None:
            cache = OrderedDict()
            _relation_caches[owner] = cache
        return cache


class Originals:
    """Picks originals and labels members for one regrouping of ``ctx``."""

    def __init__(self, ctx: "IndexedContext", records: dict[int, ImageRecord]) -> None:
        self.ctx = ctx
        self.records = records
        self._relations = _relation_cache(ctx.cache)
        self._features: OrderedDict[int, ImageFeatures] = OrderedDict()

    # --- evidence --------------------------------------------------------------------------
    def _feats(self, image_id: int) -> ImageFeatures:
        feats = self._features.get(image_id)
        if feats is None:
            feats = self.ctx.features(image_id)
            self._features[image_id] = feats
            if len(self._features) > FEATURE_CACHE_SIZE:
                self._features.popitem(last=False)
        return feats

    def relation(self, a_id: int, b_id: int) -> Relation:
        """``b`` relative to ``a`` (cached by content)."""
        if a_id == b_id:
            return ORIGINAL
        ra, rb = self.records[a_id], self.records[b_id]
        key = (ra.content_hash, rb.content_hash)
        with _lock:
            rel = self._relations.get(key)
        if rel is not None:
            return rel
        if ra.content_hash == rb.content_hash:
            rel = EXACT_COPY
        else:
            from desktop_app.engine import similarity

            try:
                fa, fb = self._feats(a_id), self._feats(b_id)
            except ContextError:  # removed meanwhile: say nothing rather than guess
                return UNKNOWN
            rel = relate(ra.facts, fa, rb.facts, fb, similarity.compare_features(fa, fb),
                         size_a=ra.size, size_b=rb.size)
        with _lock:
            self._relations[key] = rel
            if len(self._relations) > RELATION_CACHE_SIZE:
                self._relations.popitem(last=False)
        return rel

    def _candidate(self, image_id: int) -> Candidate:
        r = self.records[image_id]
        return Candidate(image_id, r.facts, size=r.size, mtime_ns=r.mtime_ns, path=r.path)

    # --- grouping --------------------------------------------------------------------------
    def choose_centre(self, first: int, candidates: Sequence[int]) -> int:
        """The engine grouping's ``choose_centre``: the original by the provenance rule."""
        cands = [self._candidate(i) for i in candidates if i in self.records]
        if len(cands) < 2:
            return first
        return choose_original(cands, self.relation).original

    def clusters(self, clusters: Sequence[list[tuple[int, float]]]) -> list[DuplicateCluster]:
        """Context clusters with every member's relation and the original's reason."""
        out = []
        for cluster in clusters:
            ids = [i for i, _ in cluster]
            choice: OriginalChoice = explain(self._candidate(ids[0]),
                                             [self._candidate(i) for i in ids[1:]], self.relation)
            out.append(DuplicateCluster(
                tuple(SimilarResult(self.records[i], float(score)) for i, score in cluster),
                relations=tuple(choice.relations.get(i, ORIGINAL) for i in ids),
                reason=choice.reason))
        return out

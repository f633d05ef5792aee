"""Two photos compared as the rest of the app compares them, with or without a library open.

The Compare page shows any two files: library files use their stored features and the library's
own ``compare`` (so the score is the one the Duplicates and Find Similar pages give the same two
photos); outside files are analysed on the spot and never stored; with no library open at all,
the engine compares the analysed features directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.context.protocols import SearchableContext
from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.relation import Relation, relate
from desktop_app.engine.similarity import compare_features
from desktop_app.engine.types import Comparison, ImageFacts, ImageFeatures


@dataclass(frozen=True)
class PairSide:
    """What the comparison knows of one file: its features, its size, whether it is indexed."""

    features: ImageFeatures
    file_size: int
    in_library: bool
    facts: ImageFacts | None = None     # for the relation of one file to the other
    content_hash: str = ""


def side_of(context: SearchableContext | None, path: str) -> PairSide:
    """The stored features of a library file, or those of an outside file analysed now (not
    stored: an outside file stays outside). Raises DecodeError naming the file."""
    record = context.image_by_path(path) if context is not None else None
    if context is not None and record is not None:
        return PairSide(context.features(record.id), record.size, True, record.facts,
                        record.content_hash)
    analysed = analyze_file(path)
    return PairSide(analysed.features, analysed.size, False, analysed.facts, analysed.content_hash)


def compare_pair(context: SearchableContext | None, path_a: str, path_b: str,
               a: ImageFeatures, b: ImageFeatures) -> Comparison:
    """The comparison of two files: the library's ``compare`` (ids, indexed paths or outside
    files) when one is open, else the engine on the features ``a`` and ``b`` analysed for them."""
    if context is not None:
        return context.compare(path_a, path_b)
    return compare_features(a, b)


def relation_of(a: PairSide, b: PairSide, comparison: Comparison) -> Relation | None:
    """How ``b`` relates to ``a`` ("rotated 90°", "resized to 25 %"), from the pair's
    ``comparison``; None when a side's facts are unknown."""
    if a.facts is None or b.facts is None:
        return None
    return relate(a.facts, a.features, b.facts, b.features, comparison,
                  same_bytes=bool(a.content_hash) and a.content_hash == b.content_hash,
                  size_a=a.file_size, size_b=b.file_size)


def compare_with_relation(context: SearchableContext | None, path_a: str,
                          path_b: str) -> tuple[Comparison, Relation | None]:
    """:func:`compare_pair` of two files and how ``path_b`` relates to ``path_a`` ("rotated
    90°", not "cropped or reframed"): what ``lookalike-cli compare`` says."""
    a, b = side_of(context, path_a), side_of(context, path_b)
    comparison = compare_pair(context, path_a, path_b, a.features, b.features)
    return comparison, relation_of(a, b, comparison)

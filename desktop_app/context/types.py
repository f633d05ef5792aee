"""Plain dataclasses the search context returns (contract for workflow and ui)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from desktop_app.engine.relation import Relation
from desktop_app.engine.types import ImageFacts


@dataclass(frozen=True)
class Folder:
    path: str                   # absolute, as the user chose it (a library root)
    protected: bool = False     # "reference" folder: its files are never proposed for archiving


@dataclass(frozen=True)
class ContextInfo:
    name: str
    folders: tuple[Folder, ...]
    image_count: int
    created: str                # ISO 8601
    last_indexed: str | None


@dataclass(frozen=True)
class ImageRecord:
    id: int
    path: str                   # absolute
    root: str                   # the context folder (library root) it was found under
    size: int
    mtime_ns: int
    content_hash: str
    facts: ImageFacts

    @property
    def name(self) -> str:
        import os

        return os.path.basename(self.path)


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str                 # user-facing: "file is truncated", "not an image", ...


@dataclass(frozen=True)
class IndexReport:
    added: int = 0
    updated: int = 0            # changed size/mtime -> re-decoded
    moved: int = 0              # recognised by content hash at a new path, not re-decoded
    removed: int = 0            # vanished from disk, dropped from the index
    unchanged: int = 0
    skipped: tuple[SkippedFile, ...] = ()
    cancelled: bool = False
    seconds: float = 0.0
    offline_folders: tuple[str, ...] = ()   # folders missing at scan time (unplugged drive):
                                            # their images were kept, not dropped

    @property
    def changed(self) -> bool:
        """True when the run added, updated, moved or removed anything."""
        return bool(self.added or self.updated or self.moved or self.removed)


@dataclass(frozen=True)
class SimilarResult:
    image: ImageRecord
    similarity: float           # 0-100


@dataclass(frozen=True)
class DuplicateCluster:
    """members[0] is the original (best copy, similarity 100.0); every other member's
    similarity is to the original and meets the threshold (no chaining).

    ``relations[i]`` says how member ``i`` relates to the original ("resized to 25 %",
    "rotated 90°"; ``relations[0]`` is the original itself) and ``reason`` why the original was
    chosen ("camera file, earliest capture, full frame"); both empty when not computed."""

    members: tuple[SimilarResult, ...]
    relations: tuple[Relation, ...] = ()
    reason: str = ""

    @property
    def original(self) -> ImageRecord:
        return self.members[0].image


@dataclass(frozen=True)
class DistinctDecision:
    """The user said these two files are not duplicates. Keyed by content hash so a rename or
    re-scan does not bring the pair back."""

    hash_a: str
    hash_b: str
    path_a: str                 # paths when decided, for display in the list of decisions
    path_b: str
    decided_at: str             # ISO 8601


@dataclass(frozen=True)
class ScoredPairs:
    """Every pair scored at or above ``floor``: arrays of image ids and scores (cached)."""

    a: np.ndarray               # int64 image ids
    b: np.ndarray               # int64 image ids
    score: np.ndarray           # float32 similarity 0-100
    floor: float = 50.0
    extra: dict[str, object] = field(default_factory=dict)  # e.g. "generation" of the records

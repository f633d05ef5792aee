"""Test helpers for the workflow: a content ledger (nothing lost, nothing duplicated), file and
member factories, and a small in-memory stand-in for SearchContext."""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from desktop_app.context.protocols import LibraryContext
from desktop_app.context.types import (
    DistinctDecision, DuplicateCluster, Folder, ImageRecord, ScoredPairs, SimilarResult,
)
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.engine.types import ImageFacts
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member
from desktop_app.workflow.paths import ARCHIVE_MARKER


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def indexed_hash(path: Path) -> str:
    """The engine's content hash (BLAKE2b-160 of the bytes)."""
    return hashlib.blake2b(path.read_bytes(), digest_size=20).hexdigest()


def content_multiset(*roots: Path) -> Counter[str]:
    """SHA-256 of every regular file under ``roots`` (symlinks are not followed or counted)."""
    found: Counter[str] = Counter()
    for root in roots:
        if not root.exists():
            continue
        for folder, _dirs, files in os.walk(root, followlinks=False):
            for name in files:
                if name == ARCHIVE_MARKER:
                    continue  # the archive folder's note to scanners, not a photo
                p = Path(folder) / name
                if stat.S_ISREG(os.lstat(p).st_mode):
                    found[sha(p.read_bytes())] += 1
    return found


@dataclass
class Vault:
    """A library, an archive folder, a trash and a data dir under one tmp dir, with a ledger:
    after ``seal()``, the fixture's teardown asserts the multiset of file contents across
    library + archive + trash is exactly the sealed one."""

    base: Path
    library: Path = field(init=False)
    archive: Path = field(init=False)
    trash: Path = field(init=False)
    data: Path = field(init=False)
    extra_roots: list[Path] = field(default_factory=list)
    expected: Counter[str] | None = None
    _n: int = 0

    def __post_init__(self) -> None:
        self.library = self.base / "library"
        self.archive = self.base / "archive"
        self.trash = self.base / "trash"
        self.data = self.base / "data"
        for d in (self.library, self.archive, self.data):
            d.mkdir(parents=True, exist_ok=True)

    def make(self, rel: str, data: bytes | None = None, *, root: Path | None = None) -> Path:
        path = (root or self.library) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self._n += 1
        path.write_bytes(data if data is not None else f"photo #{self._n} {rel}".encode("utf-8", "surrogateescape") * 50)
        return path

    def roots(self) -> list[Path]:
        return [self.library, self.archive, self.trash / "files", *self.extra_roots]

    def contents(self) -> Counter[str]:
        return content_multiset(*self.roots())

    def seal(self) -> None:
        self.expected = self.contents()

    def replaced(self, old: bytes, new: bytes) -> None:
        """The test itself changed a file's bytes (a user edit): adjust the ledger."""
        assert self.expected is not None
        self.expected[sha(old)] -= 1
        self.expected[sha(new)] += 1
        self.expected += Counter()  # drop zero counts

    def check(self) -> None:
        assert self.expected is not None, "the test never sealed the vault"
        assert self.contents() == self.expected, "files were lost or duplicated"


def member(path: Path, root: Path, **kw: Any) -> Member:
    """A Member with the file's real size, mtime and indexed hash."""
    st = path.stat()
    defaults: dict[str, Any] = dict(
        path=str(path), root=str(root), size=st.st_size, mtime_ns=st.st_mtime_ns,
        content_hash=indexed_hash(path), width=100, height=100, format="JPEG",
    )
    defaults.update(kw)
    return Member(**defaults)


def group(*members: Member, archive: Sequence[int] = (), index: int = 0) -> DuplicateGroup:
    g = DuplicateGroup(tuple(members), index=index)
    if archive:
        g.set_marks({g.members[i].path: Mark.ARCHIVE for i in archive})
    return g


def record(image_id: int, path: Path, root: Path, **facts: Any) -> ImageRecord:
    st = path.stat()
    f: dict[str, Any] = dict(width=100, height=100, format="JPEG", lossless=False)
    f.update(facts)
    return ImageRecord(
        id=image_id, path=str(path), root=str(root), size=st.st_size, mtime_ns=st.st_mtime_ns,
        content_hash=indexed_hash(path), facts=ImageFacts(**f),
    )


class FakeContext(LibraryContext):
    """The workflow's part of SearchContext (the LibraryContext Protocol), in memory: clusters given as
    ``[(path, similarity), ...]`` per cluster (first = original); threshold filtering, distinct
    decisions and forgetting behave like the real thing."""

    def __init__(self, data_dir: Path, folders: Iterable[Folder], records: Iterable[ImageRecord],
                 clusters: Sequence[Sequence[tuple[str, float]]]) -> None:
        self._data_dir = data_dir
        self._folders = list(folders)
        self.records = {r.path: r for r in records}
        self.clusters = [list(c) for c in clusters]
        self.marks: dict[str, str] = {}
        self.distinct: list[DistinctDecision] = []
        self.forgotten: list[str] = []
        self.added: list[str] = []
        self._settings: dict[str, Any] = {}

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    def folders(self) -> list[Folder]:
        return list(self._folders)

    def _rec(self, x: int | str) -> ImageRecord:
        if isinstance(x, int):
            return next(r for r in self.records.values() if r.id == x)
        return self.records[str(x)]

    def find_duplicates(self, *, threshold: float = 90.0, pairs: ScoredPairs | None = None,
                        progress: ProgressFn | None = None,
                        cancel: CancelToken | None = None) -> list[DuplicateCluster]:
        out = []
        blocked = {frozenset((d.hash_a, d.hash_b)) for d in self.distinct}
        for cluster in self.clusters:
            live = [(p, s) for p, s in cluster if p in self.records]
            if not live:
                continue
            orig = self.records[live[0][0]]
            members = [SimilarResult(orig, 100.0)]
            for p, s in live[1:]:
                r = self.records[p]
                if s >= threshold and frozenset((orig.content_hash, r.content_hash)) not in blocked:
                    members.append(SimilarResult(r, s))
            if len(members) >= 2:
                out.append(DuplicateCluster(tuple(members)))
        return out

    def mark_distinct(self, pairs: Iterable[tuple[int | str, int | str]]) -> list[DistinctDecision]:
        new = []
        for a, b in pairs:
            ra, rb = self._rec(a), self._rec(b)
            new.append(DistinctDecision(ra.content_hash, rb.content_hash, ra.path, rb.path, "now"))
        self.distinct.extend(new)
        return new

    def unmark_distinct(self, decisions: Iterable[DistinctDecision]) -> None:
        gone = {(d.hash_a, d.hash_b) for d in decisions}
        self.distinct = [d for d in self.distinct if (d.hash_a, d.hash_b) not in gone]

    def distinct_decisions(self) -> list[DistinctDecision]:
        return list(self.distinct)

    def save_marks(self, marks: Mapping[str, str | None]) -> None:
        for p, m in marks.items():
            if m:
                self.marks[p] = m
            else:
                self.marks.pop(p, None)

    def load_marks(self) -> dict[str, str]:
        return dict(self.marks)

    def settings(self) -> dict[str, Any]:
        return dict(self._settings)

    def update_settings(self, values: Mapping[str, Any]) -> dict[str, Any]:
        for key, value in values.items():
            if value is None:
                self._settings.pop(key, None)
            else:
                self._settings[key] = value
        return dict(self._settings)

    def forget(self, paths: Iterable[str]) -> int:
        paths = list(paths)
        self.forgotten.extend(paths)
        for p in paths:
            self.records.pop(p, None)
        return len(paths)

    def add_image(self, path: str) -> ImageRecord:
        self.added.append(path)
        root = next((f.path for f in self._folders if path.startswith(f.path + os.sep)), os.path.dirname(path))
        rec = record(1000 + len(self.added), Path(path), Path(root))
        self.records[path] = rec
        return rec

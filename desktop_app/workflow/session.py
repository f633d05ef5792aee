"""A review of one search context's duplicates: groups at a threshold, marks, rules, "not
duplicates" decisions, and the archive/undo actions — what the GUI and the CLI drive.

Marks set by hand or by a rule are saved with the context (``save_marks``) as soon as they
change, so a review resumes tomorrow, and they are re-applied when the groups are rebuilt at
another threshold wherever the same files are still together.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable, Sequence

from desktop_app.context.protocols import LibraryContext
from desktop_app.context.types import DistinctDecision, DuplicateCluster, ScoredPairs, SimilarResult
from desktop_app.engine.progress import CancelToken, ProgressFn
from desktop_app.workflow.archive import ArchivePlan, ArchiveResult, Destination, Trash, execute, plan_archive
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member, SelectionError, default_marks
from desktop_app.workflow.journal import ArchiveLog, Operation
from desktop_app.workflow.paths import FolderMatcher
from desktop_app.workflow.recovery import RecoveryReport, UndoResult, recover, undo
from desktop_app.workflow.rules import Rule, RulesOutcome, apply_rules_outcome
from desktop_app.workflow.trash import TrashBackend

log = logging.getLogger(__name__)

ORIGINS_FILE = "marks-origin.jsonl"
COMPACT_AFTER = 500  # lines


@dataclass(frozen=True)
class SelectionSummary:
    groups: int
    files: int                  # members in all groups
    to_archive: int
    bytes_to_free: int
    kept: int


@dataclass(frozen=True)
class ArchiveTotals:
    """What Archive would move now, counted as its plan counts it: the photos (``files``), the
    companion files that travel with them and the bytes of both (what the confirmation says)."""

    files: int = 0
    companions: int = 0
    bytes: int = 0


def member_from(result: SimilarResult, *, protected_folders: Sequence[str]) -> Member:
    """A Member from a context SimilarResult (``.image`` ImageRecord, ``.similarity``)."""
    return _member(result, FolderMatcher(protected_folders))


def _member(result: Any, protected: FolderMatcher, relation: Any = None) -> Member:
    image = result.image
    facts = image.facts
    return Member(
        path=image.path, image_id=image.id, width=facts.width, height=facts.height,
        format=facts.format, lossless=facts.lossless, size=image.size,
        date_taken=facts.date_taken, mtime_ns=image.mtime_ns, camera=facts.camera,
        root=image.root, protected=protected.contains(image.path),
        similarity=float(result.similarity), metadata_count=facts.metadata_count,
        content_hash=image.content_hash, relation=relation,
    )


class ReviewSession:
    """Wraps a SearchContext for the review. Not thread-safe: drive it from one thread."""

    def __init__(self, context: LibraryContext, *, recover_now: bool = True, trash: TrashBackend | None = None) -> None:
        self.context = context
        self.trash = trash
        self.log = ArchiveLog(context.data_dir)
        self.threshold: float | None = None
        self.current_groups: list[DuplicateGroup] = []
        self._pairs: ScoredPairs | None = None
        self.recovery: RecoveryReport | None = None
        self._matcher: FolderMatcher | None = None
        self.last_rules: RulesOutcome | None = None   # what the last apply_rules did
        if recover_now and self.log.interrupted():
            # Start-up: settle any archive a crash interrupted before showing groups.
            self.recovery = recover(self.log, context=context, trash=trash)
        self._saved: dict[str, tuple[Mark, str]] = self._load_marks()

    # --- saved marks -------------------------------------------------------------------------
    # The context stores path -> keep/archive; who chose each mark ("hand", "rule:largest"...)
    # goes to an append-only JSON-lines file next to the journal, compacted when loaded.
    def _origins_path(self) -> Path:
        return Path(self.context.data_dir) / ORIGINS_FILE

    def _load_origins(self) -> dict[str, str]:
        origins: dict[str, str] = {}
        lines = 0
        try:
            with open(self._origins_path(), encoding="ascii", errors="replace") as f:
                for line in f:
                    lines += 1
                    try:
                        update = json.loads(line)
                    except ValueError:
                        continue  # a line torn by a crash: only cosmetic data is lost
                    if not isinstance(update, dict):
                        continue  # a damaged line (binary, wrong type): skipped the same way
                    for path, origin in update.items():
                        if origin is None:
                            origins.pop(path, None)
                        else:
                            origins[path] = str(origin)
        except OSError:
            return origins
        if lines > COMPACT_AFTER:
            try:
                tmp = self._origins_path().with_suffix(".tmp")
                tmp.write_text(json.dumps(origins, ensure_ascii=True) + "\n", encoding="ascii")
                os.replace(tmp, self._origins_path())
            except OSError:
                log.warning("couldn't compact %s", self._origins_path(), exc_info=True)
        return origins

    def _load_marks(self) -> dict[str, tuple[Mark, str]]:
        try:
            marks = dict(self.context.load_marks())
        except Exception:  # noqa: BLE001 - a review without saved marks is still a review
            log.exception("couldn't load saved marks")
            marks = {}
        origins = self._load_origins()
        out = {}
        for path, value in marks.items():
            try:
                out[path] = (Mark(value), origins.get(path, "saved"))
            except ValueError:
                log.warning("ignoring saved mark %r for %s", value, path)
        return out

    def _persist(self, changes: dict[str, tuple[Mark, str] | None]) -> None:
        """Save only what changed: path -> (mark, chosen_by), or None to clear."""
        if not changes:
            return
        self.context.save_marks({p: (v[0].value if v else None) for p, v in changes.items()})
        try:
            with open(self._origins_path(), "a", encoding="ascii") as f:
                f.write(json.dumps({p: (v[1] if v else None) for p, v in changes.items()}, ensure_ascii=True) + "\n")
        except OSError:
            log.warning("couldn't save where marks came from", exc_info=True)

    def _remember(self, groups: Iterable[DuplicateGroup]) -> None:
        changes: dict[str, tuple[Mark, str] | None] = {}
        for group in groups:
            for m in group.members:
                if m.chosen_by == "default":
                    if self._saved.pop(m.path, None) is not None:
                        changes[m.path] = None
                elif self._saved.get(m.path) != (m.mark, m.chosen_by):
                    self._saved[m.path] = changes[m.path] = (m.mark, m.chosen_by)
        self._persist(changes)

    def _forget_marks(self, paths: Iterable[str]) -> None:
        self._persist({p: None for p in paths if self._saved.pop(p, None) is not None})

    # --- groups --------------------------------------------------------------------------------
    def protected_folders(self) -> list[str]:
        return [f.path for f in self.context.folders() if f.protected]

    def groups(
        self,
        threshold: float = 90.0,
        pairs: ScoredPairs | None = None,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> list[DuplicateGroup]:
        """Duplicate groups at ``threshold`` (0-100) with default, then saved, marks applied."""
        if pairs is not None:
            self._pairs = pairs
        clusters = self.context.find_duplicates(
            threshold=threshold, pairs=self._pairs, progress=progress, cancel=cancel
        )
        return self.groups_from(clusters, threshold=threshold)

    def groups_from(
        self, clusters: Iterable[DuplicateCluster], *, threshold: float | None = None, make_current: bool = True
    ) -> list[DuplicateGroup]:
        """Groups for clusters already found (``DuplicateCluster``s), marks applied as in
        :meth:`groups`.

        With ``make_current=False`` the groups are only built: :attr:`current_groups` and
        :attr:`threshold` stay as they are (an ad-hoc group, e.g. a find-similar search, beside
        the review's groups); mark such a group with ``group=`` on :meth:`set_mark` /
        :meth:`toggle`.
        """
        # Inside by spelling or really (case, links): erring towards "protected" is the safe side.
        # Kept while the protected folders stay the same: regrouping reuses its per-folder answers.
        folders = self.protected_folders()
        if self._matcher is None or self._matcher.folders != folders:
            self._matcher = FolderMatcher(folders)
        protected = self._matcher
        groups = []
        for index, cluster in enumerate(clusters):
            relations = tuple(getattr(cluster, "relations", ()) or ())
            if len(relations) != len(cluster.members):
                relations = (None,) * len(cluster.members)
            members = tuple(_member(r, protected, rel) for r, rel in zip(cluster.members, relations))
            group = DuplicateGroup(members, index=index, reason=str(getattr(cluster, "reason", "")))
            group.set_marks(default_marks(group), chosen_by="default")
            self._reapply(group)
            groups.append(group)
        if make_current:
            self.threshold = threshold
            self.current_groups = groups
        return groups

    def _reapply(self, group: DuplicateGroup) -> None:
        saved = {m.path: self._saved[m.path] for m in group.members if m.path in self._saved}
        if not saved:
            return
        proposal = {p: v for p, v in saved.items() if not (v[0] is Mark.ARCHIVE and group.member(p).protected)}
        try:
            group.apply_proposal(proposal, credit_unchanged=True)   # as they were recorded
        except SelectionError:
            # The same files are no longer together as they were: keep what was kept, and let
            # the defaults decide the rest rather than archive a whole group.
            group.apply_proposal({p: v for p, v in proposal.items() if v[0] is Mark.KEEP}, credit_unchanged=True)

    def group_of(self, path: str) -> DuplicateGroup:
        for group in self.current_groups:
            if path in group:
                return group
        raise KeyError(f"'{path}' is not in any group")

    # --- marks ---------------------------------------------------------------------------------
    def _target(self, path: str, group: DuplicateGroup | None) -> DuplicateGroup:
        """``group`` when given (it must hold ``path``), else the current group of ``path``."""
        if group is None:
            return self.group_of(path)
        if path not in group:
            raise KeyError(f"'{path}' is not in this group")
        return group

    def set_mark(self, path: str, mark: Mark | str, *, group: DuplicateGroup | None = None) -> None:
        """Mark one file by hand (raises SelectionError with the reason when refused).

        ``group``: the group to mark it in — by default the current group holding ``path``;
        any other group (e.g. one built with ``groups_from(..., make_current=False)``) gets the
        same checks, and the mark is saved like any other."""
        target = self._target(str(path), group)
        target.set_mark(str(path), Mark(mark), chosen_by="hand")
        self._remember([target])

    def toggle(self, path: str, *, group: DuplicateGroup | None = None) -> Mark:
        """Flip one file's mark by hand (in ``group`` as in :meth:`set_mark`); the new mark."""
        target = self._target(str(path), group)
        new = target.toggle(str(path))
        self._remember([target])
        return new

    def apply_rules(
        self, rules: str | Sequence[Rule | str], groups: Iterable[DuplicateGroup] | None = None,
        *, override: bool = False,
    ) -> list[DuplicateGroup]:
        """Apply a rule chain to ``groups`` (default: all current groups); returns those changed.

        Photos the user marked by hand are left alone unless ``override``;
        :attr:`last_rules` tells how many (for the status line)."""
        targets = list(self.current_groups if groups is None else groups)
        self.last_rules = apply_rules_outcome(targets, rules, override=override)
        self._remember(targets)
        return self.last_rules.changed

    def reset_marks(self, groups: Iterable[DuplicateGroup] | None = None) -> None:
        """Back to the default proposal, forgetting saved marks of those files."""
        targets = list(self.current_groups if groups is None else groups)
        for group in targets:
            group.reset()
        self._remember(targets)

    def summary(self, groups: Iterable[DuplicateGroup] | None = None) -> SelectionSummary:
        targets = list(self.current_groups if groups is None else groups)
        archived = {m.path: m.size for g in targets for m in g.archived}
        return SelectionSummary(
            groups=len(targets), files=sum(len(g) for g in targets), to_archive=len(archived),
            bytes_to_free=sum(archived.values()), kept=sum(len(g.kept) for g in targets),
        )

    def archive_totals(self, groups: Iterable[DuplicateGroup] | None = None) -> ArchiveTotals:
        """What archiving the marks (of ``groups``, default the current groups) would move: the
        plan itself, without the information-loss guard (its metadata reads change no count), so
        the Archive button and the confirmation agree. Reads the photos' folders for companions:
        the session's thread, not a GUI's."""
        plan = self.plan(Trash(), groups, guard=False)
        return ArchiveTotals(plan.files, plan.companions, plan.bytes_freed)

    # --- "not duplicates" ------------------------------------------------------------------------
    def not_duplicates(self, target: DuplicateGroup | tuple[int | str, int | str]) -> list[DuplicateGroup]:
        """Remember that a group (all its pairs) or one pair are distinct photos; they never
        come back as duplicates. Returns the regrouped groups."""
        if isinstance(target, DuplicateGroup):
            ids = [m.image_id if m.image_id >= 0 else m.path for m in target.members]
            pairs = list(combinations(ids, 2))
        else:
            pairs = [(target[0], target[1])]
        self.context.mark_distinct(pairs)
        if self.threshold is None:
            return []
        return self.groups(self.threshold)

    def decisions(self) -> list[DistinctDecision]:
        return list(self.context.distinct_decisions())

    def clear_decisions(self, decisions: Iterable[DistinctDecision]) -> None:
        self.context.unmark_distinct(list(decisions))

    # --- archive / undo --------------------------------------------------------------------------
    def plan(self, destination: Destination | str | os.PathLike[str], groups: Iterable[DuplicateGroup] | None = None,
             *, guard: bool = True) -> ArchivePlan:
        targets = list(self.current_groups if groups is None else groups)
        return plan_archive(targets, destination, roots=[f.path for f in self.context.folders()], guard=guard)

    def archive(
        self,
        plan: ArchivePlan,
        *,
        trash: TrashBackend | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        dry_run: bool = False,
    ) -> ArchiveResult:
        """Carry out ``plan`` (journaled in the context's data_dir); archived files leave the
        context and the current groups, and their saved marks are dropped."""
        result = execute(
            plan, log_dir=self.log, trash=trash or self.trash, context=None if dry_run else self.context,
            progress=progress, cancel=cancel, dry_run=dry_run,
        )
        if not dry_run and result.moved:
            gone = {m.source for m in result.moved}
            self._forget_marks(gone)
            self._drop(gone)
        return result

    def _drop(self, paths: set[str]) -> None:
        kept_groups = []
        for group in self.current_groups:
            members = tuple(m for m in group.members if m.path not in paths)
            if len(members) >= 2:
                kept_groups.append(DuplicateGroup(members, index=group.index, reason=group.reason))
        self.current_groups = kept_groups

    def undo(self, operation_id: str | None = None, *, progress: ProgressFn | None = None,
             cancel: CancelToken | None = None) -> UndoResult:
        """Restore the files of an archive operation (default: the last one), with the marks
        they had: each was marked Archive (that is why it moved), by whoever the operation
        recorded (a rule, a hand, the default proposal), so the plan is the same again."""
        result = undo(self.log, operation_id, context=self.context, progress=progress, cancel=cancel)
        if result.restored:
            back = set(result.restored)
            op = self.log.operation(result.undone, kind="archive")
            changes: dict[str, tuple[Mark, str] | None] = {}
            for e in op.done:
                if e.source in back and not e.companion_of:   # companions have no marks
                    self._saved[e.source] = changes[e.source] = (Mark.ARCHIVE, e.chosen_by or "saved")
            self._persist(changes)
        return result

    def operations(self) -> list[Operation]:
        return self.log.operations()


__all__ = ["ReviewSession", "SelectionSummary", "member_from"]

"""What the Duplicates page does to marks and decisions: a hand mark (a RAW+JPEG pair moves
together), a keep rule, a reset, "not duplicates" and its undo. Each runs in the executor (the
session is used there, and the marks are saved with the library); the answers come back as
signals for the page to show."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.context.types import DistinctDecision
from desktop_app.ui.common.executor import SerialExecutor
from desktop_app.workflow.groups import DuplicateGroup, Mark
from desktop_app.workflow.photo_marks import toggle_photo
from desktop_app.workflow.rules import parse_rules
from desktop_app.workflow.session import ReviewSession

MARK, RULES, RESET, DISTINCT, CLEAR_DISTINCT = "mark", "rules", "reset", "distinct", "clear-distinct"
KINDS = (MARK, RULES, RESET, DISTINCT, CLEAR_DISTINCT)


@dataclass(frozen=True)
class Marked:
    path: str
    mark: Mark
    paths: list[str]        # the clicked file first, then its RAW/JPEG partner if it moved too

    def sentence(self) -> str:
        names = " and ".join(f"'{os.path.basename(p)}'" for p in self.paths)
        return f"{names} will be {'archived' if self.mark is Mark.ARCHIVE else 'kept'}"


@dataclass(frozen=True)
class Regrouped:
    threshold: int
    groups: list[DuplicateGroup]


class MarkActions(QObject):
    """``marked(Marked)``, ``marks_changed(sentence)`` (a rule or reset), ``regrouped(Regrouped)``
    (a "not duplicates" decision), ``decisions_changed(list, sentence)``, ``status(sentence)``
    (a refusal: the reason), ``failed(sentence)`` and ``done(kind)`` after each."""

    marked = Signal(object)
    marks_changed = Signal(str)
    regrouped = Signal(object)
    decisions_changed = Signal(list, str)
    status = Signal(str)
    failed = Signal(str)
    done = Signal(str)

    def __init__(self, executor: SerialExecutor, *, session: Callable[[], ReviewSession | None],
                 free: Callable[[], bool], moving_files: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = executor
        self._session = session
        self._free = free                  # the session may be read here (says why not)
        self._moving_files = moving_files  # an archive or undo runs
        self.override_hand_marks = False   # rules leave hand marks alone unless the user says
        executor.finished.connect(self._on_executor_finished)
        executor.failed.connect(self._on_executor_failed)

    @Slot(str)
    def toggle(self, path: str) -> None:
        """Flip the mark of the photo ``path`` belongs to, after whatever the executor runs now
        (the path is looked up then); refused only while an archive moves files."""
        session = self._session()
        if session is None:
            return
        if self._moving_files():
            self.status.emit("One moment: archiving…")
            return

        def mark() -> Marked | None:
            try:
                new, paths = toggle_photo(session, path)
            except KeyError:
                return None   # no longer in a group (regrouped meanwhile)
            return Marked(path, new, paths)

        self._executor.submit(MARK, mark)

    def apply_rules(self, rules: str, groups: list[DuplicateGroup] | None) -> None:
        """A rule chain (e.g. ``"highest-resolution,oldest"``) on ``groups`` (None: all)."""
        session = self._session()
        if session is None or not self._free():
            return
        try:
            chain = parse_rules(rules)   # a typo is reported here, not as a worker failure
        except ValueError as err:
            self.status.emit(str(err))
            return
        scope = f"{len(groups)} selected group(s)" if groups else "all groups"

        override = self.override_hand_marks

        def apply() -> str:
            changed = session.apply_rules(chain, groups, override=override)
            message = f"Rule '{rules}' applied to {scope}: {len(changed)} group(s) changed"
            left_alone = session.last_rules.left_alone if session.last_rules is not None else 0
            if left_alone:
                message += (f"; {left_alone} photo(s) you marked by hand left alone"
                            " (Rules → Override My Hand Marks changes them too)")
            return message

        self._executor.submit(RULES, apply)

    @Slot(bool)
    def set_override_hand_marks(self, override: bool) -> None:
        """Whether rules change the photos the user marked by hand too (Rules menu; off)."""
        self.override_hand_marks = override

    def reset(self, groups: list[DuplicateGroup] | None) -> None:
        session = self._session()
        if session is None or not self._free():
            return

        def reset() -> str:
            session.reset_marks(groups)
            return "Marks reset to the proposal: originals kept, copies to archive"

        self._executor.submit(RESET, reset)

    def not_duplicates(self, group: DuplicateGroup, pair: tuple[str, str] | None, threshold: int) -> None:
        """Remember that the group (or one pair of it) are distinct photos, then regroup."""
        session = self._session()
        if session is None or not self._free():
            return
        if pair is not None:
            a, b = group.member(pair[0]), group.member(pair[1])
            if a.content_hash and a.content_hash == b.content_hash:
                self.status.emit(f"'{b.name}' is a byte-for-byte copy of '{a.name}': they are always duplicates")
                return
        target: DuplicateGroup | tuple[str, str] = group if pair is None else pair
        self._executor.submit(DISTINCT, lambda: Regrouped(threshold, session.not_duplicates(target)))

    def clear_decisions(self, decisions: list[DistinctDecision]) -> None:
        session = self._session()
        if session is None or not self._free():
            return

        def clear() -> tuple[list[DistinctDecision], str]:
            session.clear_decisions(decisions)
            return session.decisions(), f"{len(decisions)} decision(s) undone; those photos can be grouped again"

        self._executor.submit(CLEAR_DISTINCT, clear)

    @Slot(str, object)
    def _on_executor_finished(self, kind: str, result: object) -> None:
        if kind == MARK:
            if isinstance(result, Marked):
                self.marked.emit(result)
        elif kind in (RULES, RESET):
            self.marks_changed.emit(str(result))
        elif kind == DISTINCT:
            self.regrouped.emit(result)
        elif kind == CLEAR_DISTINCT:
            assert isinstance(result, tuple)
            decisions, sentence = result
            self.decisions_changed.emit(decisions, sentence)
        else:
            return
        self.done.emit(kind)

    @Slot(str, str)
    def _on_executor_failed(self, kind: str, message: str) -> None:
        if kind == MARK:   # refused (protected, the last kept copy) or not saved: the reason
            self.status.emit(message)
        elif kind in KINDS:
            self.failed.emit(message)
            self.done.emit(kind)

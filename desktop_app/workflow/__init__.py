"""Between "these look like duplicates" and "the library is clean": groups, marks, keep rules,
archive plans, the journal and undo. The only code that moves files. No Qt.

Typical use::

    session = ReviewSession(context)              # settles any crash-interrupted archive first
    groups = session.groups(95)
    session.apply_rules("highest-resolution,oldest")
    plan = session.plan(ArchiveFolder("/archive"))  # the dry run: what moves where
    result = session.archive(plan)                  # journaled; see README "Safety"
    session.undo(result.operation_id)
"""

from desktop_app.workflow.archive import (
    ArchiveFolder,
    ArchivePlan,
    ArchiveResult,
    PlanEntry,
    Trash,
    execute,
    plan_archive,
)
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member, SelectionError, default_marks
from desktop_app.workflow.journal import ArchiveLog, LogEntry, Operation
from desktop_app.workflow.paths import ARCHIVE_MARKER, FolderMatcher, is_inside, overlaps
from desktop_app.workflow.recovery import RecoveryReport, UndoResult, recover, undo
from desktop_app.workflow.rules import RULES, KeepRule, apply_rules, parse_rules
from desktop_app.workflow.session import ReviewSession, SelectionSummary
from desktop_app.workflow.trash import FreedesktopTrash, Send2TrashBackend, TrashBackend, default_trash
from desktop_app.workflow.unit_moves import MovedFile

__all__ = [
    "ARCHIVE_MARKER", "FolderMatcher", "is_inside", "overlaps",
    "ArchiveFolder", "ArchiveLog", "ArchivePlan", "ArchiveResult", "DuplicateGroup", "FreedesktopTrash",
    "KeepRule", "LogEntry", "Mark", "Member", "MovedFile", "Operation", "PlanEntry", "RULES",
    "RecoveryReport", "ReviewSession", "SelectionError", "SelectionSummary", "Send2TrashBackend",
    "Trash", "TrashBackend", "UndoResult", "apply_rules", "default_marks", "default_trash", "execute",
    "parse_rules", "plan_archive", "recover", "undo",
]

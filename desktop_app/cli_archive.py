"""The archive part of ``lookalike-cli``: select with keep rules, archive, undo, show the log.

``desktop_app.cli`` owns the context and ``desktop_app.cli_parser`` the parser; cli calls
into these functions::

    lookalike-cli duplicates --threshold 95 --keep highest-resolution,oldest \\
        --archive-to DIR [--trash] [--dry-run | --yes]
    lookalike-cli undo [OPERATION]
    lookalike-cli log [--csv]
    lookalike-cli orphans

Each photo's companion files (sidecars, Live Photo video) travel with it. A copy that alone
carries something its keepers don't (GPS, edits, more pixels...: the information-loss guard) is
listed by ``--dry-run`` and kept in place by ``--yes`` unless ``--allow-information-loss``.

Output is JSON on stdout (like the rest of the CLI), messages on stderr. Without ``--yes`` or
``--dry-run`` nothing moves: the plan is printed and, on a terminal, the user is asked; otherwise
the exit status is 2. Exit status 1 means some files could not be archived/restored (each one is
reported and still in its place).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Iterable

from desktop_app.cli_output import emit_json, format_table, write_out
from desktop_app.cli_signals import CancelOnSignals, ctrl_c_interrupts
from desktop_app.context.protocols import LibraryContext
from desktop_app.context.types import DuplicateCluster
from desktop_app.engine.progress import CancelToken
from desktop_app.errors import LookalikeError
from desktop_app.formatting import format_bytes
from desktop_app.workflow.archive import ArchiveFolder, ArchivePlan, ArchiveResult, Destination, Trash
from desktop_app.workflow.archive_controller import (
    ARCHIVED,
    CANCELLED,
    FAILED,
    NOTHING,
    KEPT_REASON,
    ArchiveController,
    ArchiveSummary,
    RememberedDestination,
)
from desktop_app.workflow.groups import DuplicateGroup
from desktop_app.workflow.journal import ArchiveLog, Operation
from desktop_app.workflow.recovery import RecoveryReport, recover, undo
from desktop_app.workflow.rules import RELATION_NOUNS, RULES, parse_rules
from desktop_app.workflow.session import ReviewSession
from desktop_app.workflow.trash import default_trash
from desktop_app.workflow.units import companion_labels, group_units

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PARTIAL, EXIT_NOT_CONFIRMED = 0, 1, 2


# --- parser pieces (cli_parser uses them) --------------------------------------------------------
def add_archive_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``duplicates`` that select and archive."""
    parser.add_argument(
        "--keep", metavar="RULES",
        help="keep rules, tie-breakers in order, e.g. highest-resolution,oldest "
        f"(choose from {', '.join([*RULES, 'path:<glob>'])}); then rules by relation to the "
        "original, e.g. archive:resized,keep:cropped (relations: "
        f"{', '.join(k.value for k in RELATION_NOUNS)}). Files marked by hand in the window "
        "keep their marks unless --override-hand-marks",
    )
    parser.add_argument("--override-hand-marks", action="store_true",
                        help="let --keep change files you marked by hand too")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--archive-to", metavar="DIR", help="move archived copies under DIR (paths kept)")
    where.add_argument("--trash", action="store_true", help="move archived copies to the system trash")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="show what would move; move nothing")
    mode.add_argument("--yes", action="store_true", help="archive without asking")
    parser.add_argument(
        "--allow-information-loss", action="store_true",
        help="with --yes, also archive copies that alone carry GPS, a capture date, XMP rating/"
        "keywords, edits, more pixels... (kept in place otherwise)",
    )


# --- output ----------------------------------------------------------------------------------------
def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _as_table(args: argparse.Namespace) -> bool:
    return getattr(args, "format", "json") == "table"


def _plan_table(plan: ArchivePlan) -> str:
    units = group_units(plan.entries)
    rows = [(u[0].group, u[0].source, u[0].destination, u[0].chosen_by, companion_labels(u),
             format_bytes(sum(e.size for e in u))) for u in units]
    text = format_table(("group", "file", "goes to", "chosen by", "with", "size"), rows)
    for e in plan.flagged:
        text += f"only this copy has: {e.source} ({', '.join(e.loses)})\n"
    for path, reason in plan.refused:
        text += f"not archived: {path} ({reason})\n"
    for path, reason in plan.staying:
        text += f"stays: {path} ({reason})\n"
    extra = f" + {plan.companions} companion files" if plan.companions else ""
    return text + f"{plan.files} files{extra}, {format_bytes(plan.bytes_freed)} freed\n"


def _say_flagged(plan: ArchivePlan, *, kept: bool) -> None:
    for e in plan.flagged:
        what = "kept in place" if kept else "would be archived"
        _say(f"Only this copy has {', '.join(e.loses)}: {e.source} ({what})")


def _groups_json(groups: Iterable[DuplicateGroup]) -> list[dict[str, Any]]:
    return [
        {
            "group": g.index,
            "members": [
                {"path": m.path, "mark": m.mark.value, "chosen_by": m.chosen_by,
                 "similarity": round(m.similarity, 1), "size": m.size, "width": m.width,
                 "height": m.height, "protected": m.protected, "relation": m.relation_kind,
                 "relation_label": m.relation_label}
                for m in g.members
            ],
            "original_reason": g.reason,
        }
        for g in groups
    ]


def _confirm(question: str) -> bool:
    try:
        # At the question, Ctrl-C means "no" (nothing runs yet); asked inside, so a Ctrl-C typed
        # as soon as the question shows is never taken for "stop the archive".
        with ctrl_c_interrupts():
            sys.stderr.write(f"{question} [y/N] ")
            sys.stderr.flush()
            return input().strip().lower() in {"y", "yes"}
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\n")
        return False


def _say_recovery(report: RecoveryReport | None) -> None:
    """What start-up recovery did, and every file it could not settle (missing, or left alone
    because it could not prove the file was its own)."""
    if report is None or not report.operations:
        return
    _say(f"Recovered {len(report.operations)} interrupted archive operation(s)")
    for path in report.missing:
        _say(f"Not found after an interrupted archive: {path} (check the archive folder and the system trash)")
    for path, note in report.conflicts:
        _say(f"Left alone after an interrupted archive: {note}")


def _say_damaged(operations: Iterable[Operation]) -> None:
    """Journal lines that could not be read (binary, wrong types, torn): skipped, and said."""
    for op in operations:
        if op.damaged_lines:
            lines = ", ".join(str(n) for n in op.damaged_lines[:10]) + (" ..." if len(op.damaged_lines) > 10 else "")
            _say(f"The journal of operation {op.id} has {len(op.damaged_lines)} unreadable line(s) ({lines}); "
                 f"they were skipped: {op.path}")


# --- commands --------------------------------------------------------------------------------------
def archive_duplicates(args: argparse.Namespace, context: LibraryContext,
                       clusters: Iterable[DuplicateCluster]) -> int:
    """``duplicates ... [--keep RULES] [--archive-to DIR | --trash] [--dry-run | --yes]``."""
    keep = getattr(args, "keep", None)
    archive_to = str(getattr(args, "archive_to", None) or "")
    to_trash = bool(getattr(args, "trash", False))
    try:
        rules = parse_rules(keep) if keep else None
    except ValueError as err:
        _say(str(err))
        return EXIT_NOT_CONFIRMED
    session = ReviewSession(context)
    _say_recovery(session.recovery)
    groups = session.groups_from(clusters, threshold=getattr(args, "threshold", None))
    if rules:
        session.apply_rules(rules, override=bool(getattr(args, "override_hand_marks", False)))
        outcome = session.last_rules
        if outcome is not None and outcome.left_alone:
            _say(f"Left {outcome.left_alone} file(s) you marked by hand as they are "
                 "(--override-hand-marks changes them too).")
    if not archive_to and not to_trash:
        if _as_table(args):
            write_out(format_table(
                ("group", "mark", "chosen by", "similarity", "file"),
                [(g.index, m.mark.value, m.chosen_by, f"{m.similarity:.1f}", m.path) for g in groups for m in g.members],
            ))
        else:
            emit_json({"groups": _groups_json(groups), "summary": session.summary().__dict__})
        return EXIT_OK
    destination: Destination = Trash() if to_trash else ArchiveFolder(str(archive_to))
    if getattr(args, "dry_run", False):
        return _dry_run(args, session, destination)
    view = _CliArchiveView(args, to_trash=to_trash)
    controller = ArchiveController(view, session)
    # The flow every front end shares: plan, confirm (--yes, or asked on a terminal), run, report.
    # Ctrl-C / SIGTERM: the file in flight finishes, the journal ends, the summary follows.
    token = CancelToken()
    with CancelOnSignals(token, "Stopping after the current file"):
        controller.archive(draft=destination, trash=default_trash() if to_trash else None, cancel=token)
    return view.exit_status


def _dry_run(args: argparse.Namespace, session: ReviewSession, destination: Destination) -> int:
    """``--dry-run``: what would move and what would be skipped; nothing moves."""
    try:
        plan = session.plan(destination)
        result = session.archive(plan, dry_run=True)
    except LookalikeError as err:  # e.g. an archive folder inside the library, or its drive isn't there
        _say(str(err))
        return EXIT_PARTIAL
    if _as_table(args):
        write_out(_plan_table(plan) + "".join(f"would skip: {p} ({r})\n" for p, r in result.skipped))
    else:
        emit_json({"plan": plan.to_dict(), "dry_run": result.to_dict()})
    _say_flagged(plan, kept=False)
    if plan.flagged:
        _say("--yes keeps these copies in place; add --allow-information-loss to archive them anyway")
    return EXIT_OK


class _CliArchiveView:
    """The CLI's face of :class:`ArchiveController`: asks on a terminal (or takes ``--yes``),
    prints JSON or a table on stdout and messages on stderr, and keeps the exit status."""

    def __init__(self, args: argparse.Namespace, *, to_trash: bool) -> None:
        self.args = args
        self.to_trash = to_trash
        self.plan: ArchivePlan | None = None
        self.exit_status = EXIT_OK

    def confirm(self, plan: ArchivePlan, remembered: RememberedDestination) -> Destination | None:
        self.plan = plan
        if getattr(self.args, "yes", False):
            return plan.destination
        where = "the system trash" if self.to_trash else f"'{plan.destination}'"
        question = f"Archive {plan.files} files ({format_bytes(plan.bytes_freed)}) to {where}?"
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
        if interactive:
            for unit in group_units(plan.entries):
                e = unit[0]
                _say(f"  {e.source} -> {e.destination}  ({e.chosen_by}) {companion_labels(unit)}".rstrip())
                if e.loses:
                    _say(f"    only this copy has: {', '.join(e.loses)}")
            if _confirm(question):
                return plan.destination
        else:
            if _as_table(self.args):
                write_out(_plan_table(plan))
            else:
                emit_json({"plan": plan.to_dict(), "confirmed": False})
        return None

    def keep_flagged(self, plan: ArchivePlan) -> tuple[str, ...] | None:
        """``--yes`` keeps the flagged copies unless ``--allow-information-loss``; on a
        terminal the user is asked (default: keep them)."""
        flagged = tuple(e.source for e in plan.flagged)
        if getattr(self.args, "allow_information_loss", False):
            keep: tuple[str, ...] = ()
        elif getattr(self.args, "yes", False):
            keep = flagged
        else:
            keep = () if _confirm(f"Archive the {len(flagged)} copies only they carry something of, too?") else flagged
        if keep:
            _say_flagged(plan, kept=True)
        self.plan = plan.without(keep, KEPT_REASON) if keep else plan
        return keep

    def report(self, summary: ArchiveSummary) -> None:
        args = self.args
        if summary.kind == FAILED:
            _say(summary.message)
            self.exit_status = EXIT_PARTIAL
        elif summary.kind == CANCELLED:
            _say("Nothing was moved: run again with --yes to archive, or --dry-run to check first")
            self.exit_status = EXIT_NOT_CONFIRMED
        elif summary.kind == NOTHING:
            if not _as_table(args):
                destination = summary.destination or (Trash() if self.to_trash else ArchiveFolder(str(args.archive_to)))
                emit_json({"plan": ArchivePlan((), destination, summary.refused).to_dict(), "result": None})
            _say("Nothing to archive")
        elif summary.kind == ARCHIVED and summary.result is not None and self.plan is not None:
            self._archived(summary.result)

    def _archived(self, result: ArchiveResult) -> None:
        assert self.plan is not None
        _say_recovery(result.recovery)
        if _as_table(self.args):
            write_out(format_table(("file", "now at", "how"),
                             [(m.source, m.place or "system trash", m.method) for m in result.moved]))
        else:
            emit_json({"plan": self.plan.to_dict(), "result": result.to_dict()})
        for path, reason in result.skipped:
            _say(f"Skipped {path}: {reason}")
        if result.stopped:
            _say(result.stopped)
        for _path, message in result.errors:
            _say(message)
        if result.cancelled:
            _say(f"Archiving cancelled: {len(result.moved)} of {self.plan.files} files were archived, "
                 "the others are in place")
        photos = sum(1 for m in result.moved if not m.companion_of)
        extra = f" with {len(result.moved) - photos} companion files" if len(result.moved) > photos else ""
        _say(f"Archived {photos} files{extra} ({format_bytes(result.bytes_freed)}); "
             f"operation {result.operation_id} (undo with: lookalike-cli undo {result.operation_id})")
        self.exit_status = EXIT_PARTIAL if (result.errors or result.stopped or result.cancelled) else EXIT_OK


def cmd_orphans(args: argparse.Namespace, context: Any) -> int:
    """``orphans``: sidecars whose photo is gone, as of the last scan. Listed, never deleted."""
    found = context.orphans()
    if _as_table(args):
        write_out(format_table(("sidecar", "kind", "size"), [(c.path, c.label, format_bytes(c.size)) for c in found])
                  if found else "No orphan sidecars.\n")
    else:
        emit_json({"orphans": [{"path": c.path, "kind": c.kind, "size": c.size} for c in found]})
    return EXIT_OK


def cmd_undo(args: argparse.Namespace, context: LibraryContext) -> int:
    """``undo [OPERATION]``: restore the files of an archive operation (default: the last)."""
    _say_damaged(ArchiveLog(context.data_dir).operations())
    token = CancelToken()
    try:
        with CancelOnSignals(token, "Stopping after the current file"):
            result = undo(context, getattr(args, "operation", None), context=context, cancel=token)
    except LookalikeError as err:
        _say(str(err))
        return EXIT_PARTIAL
    if _as_table(args):
        write_out("".join(f"restored {p}\n" for p in result.restored))
    else:
        emit_json(result.to_dict())
    for _, reason in result.refused:
        _say(reason)
    if result.stopped:
        _say(result.stopped)
    if result.cancelled:
        _say(f"Undo cancelled: {len(result.restored)} files restored; run 'lookalike-cli undo {result.undone}' "
             "again to restore the rest")
    return EXIT_PARTIAL if (result.refused or result.stopped or result.cancelled) else EXIT_OK


def _operation_json(op: Operation, restored_by_op: dict[str, set[int]]) -> dict[str, Any]:
    restored = len(restored_by_op.get(op.id, ())) if op.kind == "archive" else 0
    return {
        "operation": op.id, "kind": op.kind, "started": op.started, "finished": op.finished,
        "status": op.status, "destination": op.destination, "undoes": op.undoes,
        "files": len(op.done), "bytes": op.bytes_moved, "restored": restored,
        "skipped": len(op.skipped) + sum(1 for e in op.entries if e.state in {"failed", "skipped"}),
    }


def cmd_log(args: argparse.Namespace, context: LibraryContext) -> int:
    """``log [--csv]``: the archive operations (JSON), or one CSV row per file."""
    archive_log = ArchiveLog(context.data_dir)
    if archive_log.interrupted():
        _say_recovery(recover(archive_log, context=context))
    if getattr(args, "csv", False):
        write_out(archive_log.csv_text())
        return EXIT_OK
    operations = archive_log.operations()
    _say_damaged(operations)
    restored_by_op = ArchiveLog.restored(operations)
    ops = [_operation_json(op, restored_by_op) for op in operations]
    if _as_table(args):
        keys = ("operation", "kind", "started", "status", "files", "bytes", "restored", "destination")
        write_out(format_table(keys, [[o[k] for k in keys] for o in ops]))
    else:
        emit_json(ops)
    return EXIT_OK

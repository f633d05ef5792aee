"""``lookalike-cli``: the headless face of Lookalike (index, duplicates, similar, compare, ...).

JSON on stdout by default (``--format table`` for people), messages and the progress bar on
stderr. Exit status: 0 ok, 2 usage error, 1 anything else (one line, no traceback; ``-v`` logs
details).

Examples::

    lookalike-cli index ~/Pictures                      # create/refresh the "default" context
    lookalike-cli duplicates --threshold 90
    lookalike-cli similar query.jpg --threshold 70 --max-count 5
    lookalike-cli compare a.jpg b.jpg
    lookalike-cli contexts
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from desktop_app import cli_archive
from desktop_app.cli_output import (
    ProgressBar, emit_json, format_table, round_similarity, write_out)
from desktop_app.cli_parser import PROG, build_parser
from desktop_app.cli_signals import CancelOnSignals
from desktop_app.context.aliases import FolderAliasError
from desktop_app.context.db_health import database_error
from desktop_app.context.repair import repair
from desktop_app.context.schema import default_db_path
from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore
from desktop_app.context.types import DuplicateCluster, IndexReport, SimilarResult
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.relation import UNKNOWN
from desktop_app.engine.types import Comparison
from desktop_app.errors import Cancelled, ContextError, DecodeError, LookalikeError, NoSuchContext
from desktop_app.formatting import format_bytes

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
ARCHIVE_OPTIONS = ("keep", "archive_to", "trash", "dry_run", "yes")


class UsageError(Exception):
    """Bad command-line usage detected after parsing (exit status 2)."""



# ------------------------------------------------------------------ commands


class Runner:
    """Executes one parsed command line."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        show = args.progress if args.progress is not None else sys.stderr.isatty()
        self.show_progress = bool(show)
        self._store: ContextStore | None = None

    @property
    def db_path(self) -> str:
        return str(self.args.db) if self.args.db else str(default_db_path())

    @property
    def store(self) -> ContextStore:
        if self._store is None:
            self._store = ContextStore(self.args.db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def context(self, *, create: bool = False) -> SearchContext:
        name = self.args.context
        if create:
            return self.store.open_or_create(name)
        try:
            return self.store.open(name)
        except NoSuchContext:
            raise ContextError(f"There is no context named '{name}'; create it with "
                               f"'{PROG} index FOLDER --context {name}'.") from None

    def progress(self, label: str) -> "_BarScope":
        return _BarScope(ProgressBar(sys.stderr, label=label) if self.show_progress else None)

    def run(self) -> int:
        handler: Callable[[], int] = getattr(self, "cmd_" + self.args.command)
        return handler()

    # -- index

    def _index(self, ctx: SearchContext) -> IndexReport:
        token = CancelToken()
        with CancelOnSignals(token), self.progress("Indexing") as bar:
            report = ctx.index(progress=bar, cancel=token, workers=self.args.workers)
        if report.cancelled:
            sys.stderr.write(f"{PROG}: interrupted; everything indexed so far was kept.\n")
        for folder in report.offline_folders:
            sys.stderr.write(f"{PROG}: warning: folder '{folder}' is missing (unplugged?); "
                             "its images were kept.\n")
        return report

    def cmd_index(self) -> int:
        folders = [os.path.abspath(os.path.expanduser(f)) for f in self.args.folders]
        for folder in folders:
            if not os.path.isdir(folder):
                raise ContextError(f"Couldn't index '{folder}': it is not a folder.")
        ctx = self.context(create=True)
        for folder in folders:
            try:
                ctx.add_folder(folder, protected=self.args.protected)
            except FolderAliasError as err:  # one folder, one name: indexed once, said why
                sys.stderr.write(f"{PROG}: warning: {err}.\n")
        if not ctx.folders():
            raise UsageError(f"the context '{ctx.name}' has no folders yet; give at least one FOLDER")
        report = self._index(ctx)
        summary = {
            "Context": ctx.name,
            "Folders": [{"Path": f.path, "Protected": f.protected} for f in ctx.folders()],
            "Images": ctx.image_count(),
            "Added": report.added, "Updated": report.updated, "Moved": report.moved,
            "Removed": report.removed, "Unchanged": report.unchanged,
            "Skipped": [{"Path": s.path, "Reason": s.reason} for s in report.skipped],
            "OfflineFolders": list(report.offline_folders),
            "Cancelled": report.cancelled, "Seconds": report.seconds,
        }
        if self.args.format == "json":
            emit_json(summary)
        else:
            rows = [(k, summary[k]) for k in ("Context", "Images", "Added", "Updated", "Moved",
                                               "Removed", "Unchanged", "Seconds")]
            out = format_table(("", ""), rows)
            if report.skipped:
                out += f"\nSkipped {len(report.skipped)} file(s):\n" + format_table(
                    ("Path", "Reason"), [(s.path, s.reason) for s in report.skipped])
            write_out(out)
        return EXIT_ERROR if report.cancelled else EXIT_OK

    # -- duplicates

    def cmd_duplicates(self) -> int:
        ctx = self.context()
        if self.args.refresh:
            if self._index(ctx).cancelled:
                return EXIT_ERROR
        token = CancelToken()
        try:
            with CancelOnSignals(token), self.progress("Comparing") as bar:
                clusters = ctx.find_duplicates(threshold=self.args.threshold, progress=bar,
                                               cancel=token, workers=self.args.workers)
        except Cancelled:
            sys.stderr.write(f"{PROG}: interrupted; the pairs compared so far were kept and the "
                             "next run goes on from there.\n")
            return EXIT_ERROR
        if any(getattr(self.args, opt, None) for opt in ARCHIVE_OPTIONS):
            return self._archive(ctx, clusters)
        if self.args.format == "json":
            emit_json({"Duplicates": [_cluster_json(c) for c in clusters]})
        else:
            write_out(_duplicates_table(clusters))
        return EXIT_OK

    def _archive(self, ctx: SearchContext, clusters: list[DuplicateCluster]) -> int:
        return cli_archive.archive_duplicates(self.args, ctx, clusters)

    # -- similar / compare

    def cmd_similar(self) -> int:
        ctx = self.context()
        if self.args.refresh and self._index(ctx).cancelled:
            return EXIT_ERROR
        results = ctx.find_similar(self.args.image, threshold=self.args.threshold,
                                   max_count=self.args.max_count)
        if self.args.format == "json":
            emit_json({"Results": [{"ImageId": r.image.path, "Similarity": round_similarity(r.similarity)}
                                   for r in results]})
        else:
            write_out(_similar_table(results))
        return EXIT_OK

    def cmd_compare(self) -> int:
        try:
            ctx: SearchContext | None = self.store.open(self.args.context)
        except NoSuchContext:
            ctx = None  # two files compare without any context
        from desktop_app.context.pair import compare_with_relation

        paths = []
        for given in (self.args.a, self.args.b):
            path = os.path.abspath(os.path.expanduser(given))
            if not os.path.exists(path):
                raise DecodeError(path, "file not found")
            paths.append(path)
        comparison, found = compare_with_relation(ctx, paths[0], paths[1])
        relation = found or UNKNOWN
        evidence = comparison_evidence(comparison)
        if self.args.format == "json":
            # The documented keys, then how B relates to A as extra keys.
            emit_json({"Similarity": round_similarity(comparison.score), "Evidence": evidence,
                       "Relation": relation.kind.value, "RelationLabel": relation.label})
        else:
            write_out(format_table(("", ""), [("Similarity", round_similarity(comparison.score)),
                                        ("Relation of B to A", relation.label)]
                             + [(k, v) for k, v in evidence.items() if k != "Transform"]))
        return EXIT_OK

    # -- contexts

    def cmd_contexts(self) -> int:
        if self.args.delete:
            self.store.delete(self.args.delete)
            if self.args.format == "json":
                emit_json({"Deleted": self.args.delete})
            else:
                write_out(f"Deleted context '{self.args.delete}' (files on disk untouched).\n")
            return EXIT_OK
        infos = self.store.list_contexts()
        if self.args.format == "json":
            emit_json({"Contexts": [{
                "Name": i.name, "Images": i.image_count, "Created": i.created,
                "LastIndexed": i.last_indexed,
                "Folders": [{"Path": f.path, "Protected": f.protected} for f in i.folders]}
                for i in infos]})
        else:
            write_out(format_table(("Name", "Images", "Last indexed", "Folders"), [
                (i.name, i.image_count, i.last_indexed or "never",
                 ", ".join(f.path + (" (protected)" if f.protected else "") for f in i.folders))
                for i in infos]))
        return EXIT_OK

    # -- archive journal (cli_archive)

    def cmd_repair(self) -> int:
        def reindex(name: str) -> int:
            ctx = self.store.open(name)
            if ctx.folders():
                self._index(ctx)
            return ctx.image_count()

        report = repair(Path(self.db_path), index=None if self.args.no_index else reindex)
        if report.healthy:
            sys.stderr.write(f"{PROG}: the library database is fine: {report.database}; nothing to repair.\n")
        else:
            n = len(report.contexts)
            sys.stderr.write(f"{PROG}: the damaged database was kept as '{report.damaged_copy}'; "
                             f"{n} librar{'y' if n == 1 else 'ies'} rebuilt.\n")
        emit_json(report.to_dict())
        return EXIT_OK

    def cmd_undo(self) -> int:
        return cli_archive.cmd_undo(self.args, self.context())

    def cmd_log(self) -> int:
        return cli_archive.cmd_log(self.args, self.context())

    def cmd_orphans(self) -> int:
        return cli_archive.cmd_orphans(self.args, self.context())


class _BarScope:
    def __init__(self, bar: ProgressBar | None) -> None:
        self.bar = bar

    def __enter__(self) -> Callable[[Progress], None] | None:
        return self.bar

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def comparison_evidence(c: Comparison) -> dict[str, Any]:
    return {
        "PhashDistance": int(c.phash_distance),
        "Matches": int(c.matches),
        "Inliers": int(c.inliers),
        "Reason": c.reason,
        "Transform": None if c.transform is None else [
            [round(float(v), 6) for v in row] for row in c.transform.tolist()],
    }


def _cluster_json(c: DuplicateCluster) -> dict[str, Any]:
    """One group: the documented ``ImageId``/``Similarity`` keys per member, plus each member's
    ``Relation`` (machine name) and ``RelationLabel`` to the original, and the original's
    ``OriginalReason`` on the group."""
    relations = c.relations if len(c.relations) == len(c.members) else (None,) * len(c.members)
    group: dict[str, Any] = {"DuplicatesInGroup": [
        {"ImageId": m.image.path, "Similarity": round_similarity(m.similarity),
         **({} if rel is None else {"Relation": rel.kind.value, "RelationLabel": rel.label})}
        for m, rel in zip(c.members, relations)]}
    if c.reason:
        group["OriginalReason"] = c.reason
    return group


def _duplicates_table(clusters: list[DuplicateCluster]) -> str:
    if not clusters:
        return "No duplicates.\n"
    rows: list[tuple[Any, ...]] = []
    for n, c in enumerate(clusters, 1):
        relations = c.relations if len(c.relations) == len(c.members) else ()
        for k, m in enumerate(c.members):
            f = m.image.facts
            what = (c.reason or "original") if k == 0 else (relations[k].label if relations else "")
            rows.append((n if k == 0 else "", "original" if k == 0 else f"{round_similarity(m.similarity):.1f}",
                         f"{f.width}x{f.height}", f.format, format_bytes(m.image.size), what,
                         m.image.path))
    total = sum(len(c.members) - 1 for c in clusters)
    return format_table(("Group", "Similarity", "Pixels", "Format", "Size", "Relation", "Path"), rows) + (
        f"\n{len(clusters)} group(s), {total} duplicate(s).\n")


def _similar_table(results: list[SimilarResult]) -> str:
    if not results:
        return "No similar images.\n"
    return format_table(("Similarity", "Pixels", "Path"), [
        (f"{round_similarity(r.similarity):.1f}", f"{r.image.facts.width}x{r.image.facts.height}", r.image.path)
        for r in results])


# ------------------------------------------------------------------ entry point


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format=f"{PROG}: %(levelname)s: %(name)s: %(message)s",
                        stream=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``lookalike-cli``; returns the exit status (0 ok, 2 usage, 1 error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), message printed
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    _configure_logging(getattr(args, "verbose", 0) or 0)
    runner = Runner(args)
    try:
        return runner.run()
    except UsageError as err:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"{PROG}: error: {err}\n")
        return EXIT_USAGE
    except sqlite3.DatabaseError as err:  # found mid-command (a damaged page): say what it is
        log.debug("database error", exc_info=True)
        sys.stderr.write(f"{PROG}: error: {_one_line(database_error(err, runner.db_path))}\n")
        return EXIT_ERROR
    except (LookalikeError, OSError) as err:
        log.debug("command failed", exc_info=True)
        sys.stderr.write(f"{PROG}: error: {_one_line(err)}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{PROG}: interrupted.\n")
        return EXIT_ERROR
    except Exception as err:  # a bug: still one line, details with -v
        log.debug("unexpected error", exc_info=True)
        sys.stderr.write(f"{PROG}: unexpected error: {type(err).__name__}: {_one_line(err)} "
                         "(run with -vv for details)\n")
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            log.exception("traceback")
        return EXIT_ERROR
    finally:
        runner.close()


def _one_line(err: BaseException) -> str:
    if isinstance(err, OSError) and err.filename and err.strerror:
        return f"Couldn't use '{err.filename}': {err.strerror.lower()}"
    return " ".join(str(err).split()) or type(err).__name__


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

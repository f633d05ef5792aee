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
import json
import logging
import os
import shutil
import signal
import sys
import time
from types import ModuleType
from typing import Any, Callable, Sequence, TextIO

from desktop_app.context.store import ContextStore, SearchContext
from desktop_app.context.types import DuplicateCluster, IndexReport, SimilarResult
from desktop_app.engine.progress import CancelToken, Progress
from desktop_app.engine.types import Comparison
from desktop_app.errors import ContextError, DecodeError, LookalikeError
from desktop_app.formatting import format_bytes

log = logging.getLogger(__name__)

PROG = "lookalike-cli"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
ARCHIVE_OPTIONS = ("keep", "archive_to", "trash", "dry_run", "yes")


class UsageError(Exception):
    """Bad command-line usage detected after parsing (exit status 2)."""


# ------------------------------------------------------------------ output helpers


def write_out(text: str, stream: TextIO | None = None) -> None:
    """Write to stdout; undecodable file names (surrogate escapes) go out as their bytes."""
    stream = stream or sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(text.encode("utf-8", "surrogateescape"))
        buffer.flush()
    else:
        stream.write(text.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def emit_json(obj: Any) -> None:
    write_out(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    has_header = any(headers)
    cells = ([[str(c) for c in headers]] if has_header else []) + [
        [str(c) for c in row] for row in rows]
    if not cells:
        return ""
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    if has_header:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _sim(value: float) -> float:
    return round(float(value), 1)


class ProgressBar:
    """A one-line progress bar on stderr: ``[####----]  45%  123/456  12.3/s  ETA 0:42  name``."""

    def __init__(self, stream: TextIO, *, label: str = "") -> None:
        self.stream = stream
        self.label = label
        self.shown = False
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and (not p.total or p.done < p.total):
            return
        self.last = now
        width = shutil.get_terminal_size((80, 20)).columns
        name = os.path.basename(p.current) if os.sep in p.current else p.current
        if p.total <= 0:  # unknown total (walking folders)
            line = f"{self.label} {name or p.done}"
        else:
            frac = min(max(p.done / p.total, 0.0), 1.0)
            bar_w = 24
            fill = int(frac * bar_w)
            eta = "" if p.eta_seconds is None else f"  ETA {_duration(p.eta_seconds)}"
            rate = f"  {p.rate:.1f}/s" if p.rate else ""
            line = (f"{self.label} [{'#' * fill}{'-' * (bar_w - fill)}] {frac * 100:3.0f}%"
                    f"  {p.done}/{p.total}{rate}{eta}  {name}")
        line = line.strip()[: max(width - 1, 10)]
        self.stream.write("\r" + line.ljust(max(width - 1, 10)))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _Interrupts:
    """First Ctrl-C cancels the running job cleanly (work so far is kept); a second one aborts."""

    def __init__(self, token: CancelToken) -> None:
        self.token = token
        self.previous: Any = None

    def __enter__(self) -> "_Interrupts":
        try:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread (embedded use): no handler
            self.previous = None
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.token.cancelled:
            raise KeyboardInterrupt
        self.token.cancel()
        sys.stderr.write("\nStopping after the current files (Ctrl-C again to abort)...\n")

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--context", "-c", metavar="NAME", default="default",
                        help="search context to use (default: %(default)s)")
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help="context database file (default: in the user data folder)")
    common.add_argument("--format", choices=("json", "table"), default="json",
                        help="output format (default: json)")
    bar = common.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="always draw the progress bar on stderr (default: only on a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false",
                     help="never draw the progress bar")
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="log more (repeat for debug)")

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find exact and near-duplicate photos, similar photos, and compare two "
                    "photos, from a persistent incremental index (a 'search context').",
        epilog="Exit status: 0 ok, 2 usage error, 1 any other error. Similarity is 0-100: "
               "100 identical pixels, 90-99 same photo with minor changes, 70-89 same subject "
               "with bigger changes (crop, rotation, other angle), < 50 unrelated.")
    parser.add_argument("--db", metavar="PATH", default=None,
                        help="context database file (default: in the user data folder)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("index", parents=[common], help="add folders to a context and index them",
                       description="Add FOLDERs to the context (created if needed) and index all "
                                   "its folders incrementally: only new or changed files are "
                                   "read; moved files are recognised by content. Without FOLDER, "
                                   "re-index the context's folders.")
    p.add_argument("folders", nargs="*", metavar="FOLDER")
    p.add_argument("--protected", action="store_true",
                   help="mark the given folders as protected (reference folders whose files are "
                        "never proposed for archiving)")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="decoder processes (default: one per CPU core)")

    refresh_help = ("index the context's folders first (default: use the index as it is; run "
                    "'index' or pass --refresh after the library changed)")
    p = sub.add_parser("duplicates", parents=[common], help="list groups of duplicate photos",
                       description="Groups of duplicates at THRESHOLD. Each group starts with its "
                                   "original (best copy: most pixels, then lossless format, then "
                                   "larger file, then older); every other member's similarity is "
                                   "to that original.")
    p.add_argument("--threshold", type=_score, default=90.0, metavar="SCORE",
                   help="minimum similarity to the original, 50-100 (default: %(default)s)")
    p.add_argument("--refresh", action="store_true", help=refresh_help)
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="worker processes (default: one per CPU core)")
    _add_archive_arguments(p)

    p = sub.add_parser("similar", parents=[common], help="photos similar to IMAGE",
                       description="Photos of the context similar to IMAGE, best first. IMAGE may "
                                   "be any image file; one outside the context is analysed but "
                                   "not added.")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--threshold", type=_score, default=70.0, metavar="SCORE",
                   help="minimum similarity, 0-100 (default: %(default)s)")
    p.add_argument("--max-count", type=_positive_int, default=20, metavar="N",
                   help="at most N results (default: %(default)s)")
    p.add_argument("--refresh", action="store_true", help=refresh_help)
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="decoder processes for --refresh (default: one per CPU core)")

    p = sub.add_parser("compare", parents=[common], help="similarity of two images, with evidence",
                       description="Similarity of A and B (files, indexed or not) and the "
                                   "evidence: hash distance, keypoint matches, RANSAC inliers.")
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")

    p = sub.add_parser("contexts", parents=[common], help="list (or delete) search contexts")
    p.add_argument("--delete", metavar="NAME",
                   help="delete context NAME from the index (files on disk are not touched)")

    _add_undo_log(sub, common)
    return parser


def _cli_archive() -> ModuleType | None:
    """The workflow's archive commands, or None when this build lacks them (import fails)."""
    try:
        from desktop_app import cli_archive
    except ImportError as err:
        log.debug("cli_archive import failed: %s", err)
        return None
    return cli_archive


def _add_archive_arguments(p: argparse.ArgumentParser) -> None:
    cli_archive = _cli_archive()
    if cli_archive is not None and hasattr(cli_archive, "add_archive_arguments"):
        cli_archive.add_archive_arguments(p)
        return
    g = p.add_argument_group("archiving")
    g.add_argument("--keep", metavar="RULES", help="keep rules, e.g. highest-resolution,oldest")
    g.add_argument("--archive-to", metavar="DIR", help="move archived copies under DIR")
    g.add_argument("--trash", action="store_true", help="move archived copies to the trash")
    g.add_argument("--dry-run", action="store_true", help="show what would move; move nothing")
    g.add_argument("--yes", action="store_true", help="archive without asking")


def _add_undo_log(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("undo", parents=[common],
                       help="restore the files of an archive operation (default: the last)")
    p.add_argument("operation", nargs="?", metavar="OPERATION", help="operation id (see 'log')")
    p = sub.add_parser("log", parents=[common], help="list archive operations")
    p.add_argument("--csv", action="store_true", help="one CSV row per file")
    sub.add_parser("orphans", parents=[common], help="list sidecars whose photo is gone (never deleted)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 100.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100: {text}")
    return value


def _require_cli_archive() -> ModuleType:
    cli_archive = _cli_archive()
    if cli_archive is None:
        raise LookalikeError("Archiving is not available in this build of Lookalike.")
    return cli_archive


# ------------------------------------------------------------------ commands


class Runner:
    """Executes one parsed command line."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        show = args.progress if args.progress is not None else sys.stderr.isatty()
        self.show_progress = bool(show)
        self._store: ContextStore | None = None

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
        except ContextError:
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
        with _Interrupts(token), self.progress("Indexing") as bar:
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
            ctx.add_folder(folder, protected=self.args.protected)
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
            out = _table(("", ""), rows)
            if report.skipped:
                out += f"\nSkipped {len(report.skipped)} file(s):\n" + _table(
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
        with _Interrupts(token), self.progress("Comparing") as bar:
            clusters = ctx.find_duplicates(threshold=self.args.threshold, progress=bar,
                                           cancel=token, workers=self.args.workers)
        if any(getattr(self.args, opt, None) for opt in ARCHIVE_OPTIONS):
            return self._archive(ctx, clusters)
        if self.args.format == "json":
            emit_json({"Duplicates": [{"DuplicatesInGroup": [
                {"ImageId": m.image.path, "Similarity": _sim(m.similarity)} for m in c.members]}
                for c in clusters]})
        else:
            write_out(_duplicates_table(clusters))
        return EXIT_OK

    def _archive(self, ctx: SearchContext, clusters: list[DuplicateCluster]) -> int:
        return int(_require_cli_archive().archive_duplicates(self.args, ctx, clusters))

    # -- similar / compare

    def cmd_similar(self) -> int:
        ctx = self.context()
        if self.args.refresh and self._index(ctx).cancelled:
            return EXIT_ERROR
        results = ctx.find_similar(self.args.image, threshold=self.args.threshold,
                                   max_count=self.args.max_count)
        if self.args.format == "json":
            emit_json({"Results": [{"ImageId": r.image.path, "Similarity": _sim(r.similarity)}
                                   for r in results]})
        else:
            write_out(_similar_table(results))
        return EXIT_OK

    def cmd_compare(self) -> int:
        try:
            ctx: SearchContext | None = self.store.open(self.args.context)
        except ContextError:
            ctx = None  # two files compare without any context
        if ctx is not None:
            comparison = ctx.compare(self.args.a, self.args.b)
        else:
            comparison = compare_files(self.args.a, self.args.b)
        evidence = comparison_evidence(comparison)
        if self.args.format == "json":
            emit_json({"Similarity": _sim(comparison.score), "Evidence": evidence})
        else:
            write_out(_table(("", ""), [("Similarity", _sim(comparison.score))]
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
            write_out(_table(("Name", "Images", "Last indexed", "Folders"), [
                (i.name, i.image_count, i.last_indexed or "never",
                 ", ".join(f.path + (" (protected)" if f.protected else "") for f in i.folders))
                for i in infos]))
        return EXIT_OK

    # -- archive journal (owned by the workflow's cli_archive)

    def _journal_command(self, name: str) -> int:
        ctx = self.context()
        return int(getattr(_require_cli_archive(), name)(self.args, ctx))

    def cmd_undo(self) -> int:
        return self._journal_command("cmd_undo")

    def cmd_log(self) -> int:
        return self._journal_command("cmd_log")

    def cmd_orphans(self) -> int:
        return self._journal_command("cmd_orphans")


class _BarScope:
    def __init__(self, bar: ProgressBar | None) -> None:
        self.bar = bar

    def __enter__(self) -> Callable[[Progress], None] | None:
        return self.bar

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def compare_files(a: str, b: str) -> Comparison:
    """Compare two image files directly (no context)."""
    from desktop_app.engine.analyze import analyze_file
    from desktop_app.engine.similarity import compare_features

    feats = []
    for path in (a, b):
        full = os.path.abspath(os.path.expanduser(path))
        if not os.path.exists(full):
            raise DecodeError(full, "file not found")
        feats.append(analyze_file(full).features)
    return compare_features(feats[0], feats[1])


def comparison_evidence(c: Comparison) -> dict[str, Any]:
    return {
        "PhashDistance": int(c.phash_distance),
        "Matches": int(c.matches),
        "Inliers": int(c.inliers),
        "Reason": c.reason,
        "Transform": None if c.transform is None else [
            [round(float(v), 6) for v in row] for row in c.transform.tolist()],
    }


def _duplicates_table(clusters: list[DuplicateCluster]) -> str:
    if not clusters:
        return "No duplicates.\n"
    rows: list[tuple[Any, ...]] = []
    for n, c in enumerate(clusters, 1):
        for k, m in enumerate(c.members):
            f = m.image.facts
            rows.append((n if k == 0 else "", "original" if k == 0 else f"{_sim(m.similarity):.1f}",
                         f"{f.width}x{f.height}", f.format, format_bytes(m.image.size), m.image.path))
    total = sum(len(c.members) - 1 for c in clusters)
    return _table(("Group", "Similarity", "Pixels", "Format", "Size", "Path"), rows) + (
        f"\n{len(clusters)} group(s), {total} duplicate(s).\n")


def _similar_table(results: list[SimilarResult]) -> str:
    if not results:
        return "No similar images.\n"
    return _table(("Similarity", "Pixels", "Path"), [
        (f"{_sim(r.similarity):.1f}", f"{r.image.facts.width}x{r.image.facts.height}", r.image.path)
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

"""The command line of ``lookalike-cli``: every command, option and its help text."""

from __future__ import annotations

import argparse
from typing import Any

from desktop_app.cli_archive import add_archive_arguments

PROG = "lookalike-cli"


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
    add_archive_arguments(p)

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
    p = sub.add_parser("repair", parents=[common], help="rebuild a damaged library database",
                       description="Set a damaged library database aside (renamed, never deleted), "
                                   "rebuild it from the folders and keep every decision that can "
                                   "still be read (libraries, folders, marks, 'not duplicates'). A "
                                   "healthy database is left alone.")
    p.add_argument("--no-index", action="store_true",
                   help="don't index the folders now (the next 'index' does)")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="decoder processes (default: one per CPU core)")
    return parser



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


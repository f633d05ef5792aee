"""The archive journal and operation log: one JSON-lines file per operation, fsynced per line.

Every move is written down *before* it happens (``intent``) and again after (``done``), so
:func:`desktop_app.workflow.recovery.recover` can settle a crash: the file is found either at its
original place or at its new place. The same files are the log the user keeps: operations can be
listed, exported as CSV, and undone.

Records (``"type"``):

* ``begin`` — op id, kind (``archive`` / ``undo``), destination, time, ``undoes`` (undo only)
* ``intent`` — seq, source, destination, method, size, mtime_ns, content_hash, sha256, group,
  similarity, chosen_by, restores (undo: seq in the undone operation), root (the library folder
  of the file's original place), src_dev + src_ino (identity of the file being moved: a rename
  keeps it, so recovery recognises the file at its new place), unit (files of one unit — a photo
  and its companion files — move, recover and undo together), companion_of (a companion: its
  photo's original path), kind (a companion's kind: xmp, aae, live...)
* ``copied`` — seq, dev, ino, size, sha256: identity of a verified copy, written *before* it is
  renamed into place (across filesystems), so recovery only ever removes its own copy
* ``done`` — seq, place (where the file is now: archive path or trash location), method
* ``skipped`` / ``failed`` — seq (or source), reason
* ``recovered`` — seq, outcome (``done`` / ``rolled-back`` / ``missing`` / ``conflict``), place,
  reason
* ``unrestorable`` (undo only) — restores (seq in the undone operation), reason: undo refused
  that file for good (its archived copy is gone or changed, or the trash recorded no place), so
  Ctrl+Z passes over an operation whose remaining files are all such
* ``end`` — status (``complete``, ``stopped``, ``cancelled``, ``recovered``), time
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from desktop_app.errors import ArchiveError
from desktop_app.workflow.fileops import fsync_dir
from desktop_app.workflow.journal_records import read_records

log = logging.getLogger(__name__)

if sys.platform == "win32":  # pragma: no cover - Windows: one Lookalike process at a time is assumed

    def _lock_journal(fd: int) -> bool:
        return True

else:
    import fcntl

    def _lock_journal(fd: int) -> bool:
        """Lock an operation's journal for this process; False when another one holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

OPERATIONS_DIR = "operations"
CSV_COLUMNS = (
    "operation", "kind", "original_path", "new_place", "group", "similarity", "chosen_by",
    "size", "status", "timestamp", "relation", "companion_of",
)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class JournalBusy(ArchiveError):
    """Another process (or window) is still running this operation."""


class OperationJournal:
    """Appends records to one operation's file; each line is on disk before ``write`` returns.

    The file is locked (``flock``) while open, so recovery in another process never "settles"
    an operation that is still running; the lock dies with its process, even on SIGKILL.
    Raises :class:`JournalBusy` when someone else holds it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.id = path.stem
        # Unbuffered appends on a raw descriptor: a failed write (disk full) is cut back to the
        # last whole line, so the file never holds a torn line that a later record would be
        # glued to, and nothing half-written waits in a buffer to come out later.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        if not _lock_journal(self._fd):
            os.close(self._fd)
            raise JournalBusy(f"The operation '{self.id}' is still running")
        try:
            self._end_torn_line()
        except OSError:
            os.close(self._fd)
            raise

    def _end_torn_line(self) -> None:
        """A line torn by a crash (or by a disk that was full) is ended here, so the records
        appended after it stay readable; the torn line itself is skipped when read."""
        size = os.fstat(self._fd).st_size
        if size == 0:
            return
        with open(self.path, "rb") as f:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                self._append(b"\n", sync=True)

    def _append(self, data: bytes, *, sync: bool) -> None:
        """Append ``data`` whole, or raise with the file as it was (cut back on failure)."""
        size = os.fstat(self._fd).st_size
        try:
            written = os.write(self._fd, data)
            while written < len(data):
                written += os.write(self._fd, data[written:])
            if sync:
                os.fsync(self._fd)
        except OSError:
            try:
                os.ftruncate(self._fd, size)
            except OSError:  # pragma: no cover - can't even shrink: the reader skips the torn line
                log.error("couldn't cut back a torn journal line in %s", self.path)
            raise

    def write(self, record_type: str, *, sync: bool = True, **fields: Any) -> None:
        """Append one record; with ``sync`` (the default) it is on disk when this returns.
        Raises OSError (disk full...) with nothing of the record in the file."""
        record = {"type": record_type, "time": now_iso(), **fields}
        # ensure_ascii: file names with undecodable bytes (surrogates) round-trip exactly.
        self._append((json.dumps(record, ensure_ascii=True) + "\n").encode("ascii"), sync=sync)

    def sync(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the flock
            self._fd = -1

    def __enter__(self) -> "OperationJournal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class LogEntry:
    """One file of an operation, folded from its records."""

    seq: int
    source: str
    destination: str
    method: str = ""
    size: int = 0
    mtime_ns: int = 0
    content_hash: str = ""
    sha256: str = ""
    group: int = -1
    similarity: float = 0.0
    chosen_by: str = ""
    relation: str = ""                   # to the group's original: "resized to 25 %" ("" in old journals)
    restores: int | None = None          # undo entries: seq of the entry they restore
    root: str = ""                       # library folder of the original place ("" in old journals)
    src_dev: int | None = None           # identity of the moved file when the intent was written
    src_ino: int | None = None
    copy_dev: int | None = None          # identity of the verified copy (``copied`` record)
    copy_ino: int | None = None
    copy_size: int | None = None
    unit: int = -1                       # a photo and its companions share one (-1: its own)
    companion_of: str = ""               # a companion file: its photo's original path
    kind: str = ""                       # a companion's kind (xmp, aae, live...)
    state: str = "intent"                # intent | done | skipped | failed | rolled-back | missing | conflict
    place: str | None = None             # where the file is now, when done
    reason: str = ""
    time: str = ""


@dataclass(frozen=True)
class Operation:
    """One archive or undo operation as recorded."""

    id: str
    kind: str
    started: str
    destination: str = ""
    undoes: str | None = None
    status: str = "interrupted"          # complete | stopped | cancelled | recovered | interrupted
    finished: str | None = None
    entries: tuple[LogEntry, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()   # (path, reason) refused before any intent
    unrestorable: frozenset[int] = frozenset()  # undo: seqs of the undone operation refused for good
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    damaged_lines: tuple[int, ...] = ()         # journal lines skipped as unreadable (1-based)

    @property
    def finished_cleanly(self) -> bool:
        return self.status != "interrupted"

    @property
    def done(self) -> tuple[LogEntry, ...]:
        return tuple(e for e in self.entries if e.state == "done")

    @property
    def bytes_moved(self) -> int:
        return sum(e.size for e in self.done)


def fold(path: Path) -> Operation:
    """Read one operation's file into an :class:`Operation`."""
    begin: dict[str, Any] = {}
    end: dict[str, Any] | None = None
    entries: dict[int, dict[str, Any]] = {}
    skipped: list[tuple[str, str]] = []
    unrestorable: set[int] = set()
    # A damaged line (torn by a crash, binary, wrong types) is skipped and reported in
    # ``Operation.damaged_lines``; a torn intent was never acted on (the move follows its fsync).
    records, damaged = read_records(path)
    for rec in records:
        kind = rec.pop("type", "")
        if kind == "begin":
            begin = rec
        elif kind == "end":
            end = rec
        elif kind == "intent":
            rec["state"] = "intent"
            entries[rec["seq"]] = rec
        elif kind == "copied" and rec.get("seq") in entries:
            e = entries[rec["seq"]]
            e["copy_dev"], e["copy_ino"], e["copy_size"] = rec.get("dev"), rec.get("ino"), rec.get("size")
        elif kind in ("done", "skipped", "failed", "recovered") and rec.get("seq") in entries:
            e = entries[rec["seq"]]
            e["state"] = rec.get("outcome", kind) if kind == "recovered" else kind
            e["reason"] = rec.get("reason", e.get("reason", ""))
            if "place" in rec:
                e["place"] = rec["place"]
            if "method" in rec:
                e["method"] = rec["method"]
            e["time"] = rec.get("time", "")
        elif kind == "skipped":
            skipped.append((rec.get("source", ""), rec.get("reason", "")))
        elif kind == "unrestorable" and rec.get("restores") is not None:
            unrestorable.add(rec["restores"])
    known = set(LogEntry.__dataclass_fields__)
    folded = tuple(
        LogEntry(**{k: v for k, v in e.items() if k in known}) for _, e in sorted(entries.items())
    )
    return Operation(
        id=path.stem,
        kind=begin.get("kind", "archive"),
        started=begin.get("time", ""),
        destination=begin.get("destination", ""),
        undoes=begin.get("undoes"),
        status=end.get("status", "complete") if end else "interrupted",
        finished=end.get("time") if end else None,
        entries=folded,
        skipped=tuple(skipped),
        unrestorable=frozenset(unrestorable),
        path=str(path),
        extra={k: v for k, v in begin.items() if k not in {"kind", "time", "destination", "undoes", "op"}},
        damaged_lines=damaged,
    )


class ArchiveLog:
    """All operations of one search context, in ``<data_dir>/operations/``."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.directory = Path(data_dir) / OPERATIONS_DIR

    def begin(self, kind: str, **meta: Any) -> OperationJournal:
        """Start a new operation; its ``begin`` record is on disk when this returns."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            while True:
                op_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
                path = self.directory / f"{op_id}.jsonl"
                creating = self.directory / f".{op_id}.creating"
                if os.path.lexists(path):
                    continue
                try:
                    open(creating, "x").close()
                except FileExistsError:
                    continue
                break
            # Locked and begun under a hidden name, then renamed: recovery never sees an
            # operation file it could mistake for an interrupted one.
            journal = OperationJournal(creating)
            journal.write("begin", op=op_id, kind=kind, **meta)
            os.rename(creating, path)
            journal.path, journal.id = path, op_id
            fsync_dir(self.directory)
        except OSError as err:
            raise ArchiveError(f"Couldn't write the archive journal in '{self.directory}': {err.strerror or err}") from err
        return journal

    def operations(self) -> list[Operation]:
        """Every recorded operation, oldest first."""
        if not self.directory.is_dir():
            return []
        ops = []
        for p in self.directory.glob("*.jsonl"):
            try:
                ops.append(fold(p))
            except OSError as err:  # unreadable file: said, never a crash of undo/log
                log.error("couldn't read the journal %s: %s", p, err)
        return sorted(ops, key=lambda op: (op.started, op.id))

    def operation(self, op_id: str | None = None, *, kind: str | None = "archive") -> Operation:
        """The operation ``op_id`` (a unique prefix is enough), or the last of ``kind``."""
        ops = self.operations()
        if op_id is None:
            candidates = [op for op in ops if kind is None or op.kind == kind]
            if not candidates:
                raise ArchiveError("There is no archive operation to undo")
            return candidates[-1]
        matches = [op for op in ops if op.id == op_id] or [op for op in ops if op.id.startswith(op_id)]
        if len(matches) != 1:
            raise ArchiveError(f"No single operation matches '{op_id}'")
        return matches[0]

    def interrupted(self) -> list[Operation]:
        return [op for op in self.operations() if not op.finished_cleanly]

    def unsettled_destinations(self) -> set[str]:
        """Destinations named by intents that have no outcome yet (operations running elsewhere
        or interrupted): a new operation must not choose them, or recovering the other one
        would find a stranger at its place."""
        return {
            os.path.normcase(e.destination)
            for op in self.interrupted() for e in op.entries
            if e.state == "intent" and e.destination != "trash"
        }

    @staticmethod
    def restored(operations: Iterable[Operation]) -> dict[str, set[int]]:
        """Per archive operation id, its entries already brought back by (possibly partial)
        undos, from one listing (callers asking about several operations read the log once)."""
        seqs: dict[str, set[int]] = {}
        for op in operations:
            if op.kind == "undo" and op.undoes is not None:
                seqs.setdefault(op.undoes, set()).update(e.restores for e in op.done if e.restores is not None)
        return seqs

    @staticmethod
    def unrestorable(operations: Iterable[Operation]) -> dict[str, set[int]]:
        """Per archive operation id, its entries an undo refused for good (``unrestorable``)."""
        seqs: dict[str, set[int]] = {}
        for op in operations:
            if op.kind == "undo" and op.undoes is not None:
                seqs.setdefault(op.undoes, set()).update(op.unrestorable)
        return seqs

    def latest_undoable(self, operations: list[Operation] | None = None) -> Operation | None:
        """Like Ctrl+Z: the latest archive operation that still has files to bring back (made by
        any front end: a page of the window, another window, the CLI), or None. Files an undo
        refused for good don't count, so one lost file never blocks the older operations."""
        ops = self.operations() if operations is None else operations
        restored_by_op = self.restored(ops)
        lost_by_op = self.unrestorable(ops)
        pending = [o for o in ops
                   if o.kind == "archive"
                   and {e.seq for e in o.done} - restored_by_op.get(o.id, set()) - lost_by_op.get(o.id, set())]
        return pending[-1] if pending else None

    def write_csv(self, out: IO[str] | str | os.PathLike[str], *, operations: Iterable[Operation] | None = None) -> None:
        """The user's record: one row per file of each operation (original path, new place,
        group, similarity, rule or hand, status, timestamp, relation to the original)."""
        if isinstance(out, (str, os.PathLike)):
            # surrogateescape: a file name that isn't valid UTF-8 is written as its own bytes.
            with open(out, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
                self.write_csv(f, operations=operations)
            return
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for op in self.operations() if operations is None else operations:
            for e in op.entries:
                original, new = (e.source, e.place or e.destination) if op.kind == "archive" else (e.destination, e.source)
                writer.writerow(
                    # Groups numbered from 1, as the window says "Group 1".
                    [op.id, op.kind, original, new if e.state == "done" else "", e.group + 1 if e.group >= 0 else "",
                     f"{e.similarity:.1f}", e.chosen_by, e.size, e.state, e.time, e.relation, e.companion_of]
                )
            for path, reason in op.skipped:
                writer.writerow([op.id, op.kind, path, "", "", "", "", "", f"skipped: {reason}", op.started,
                                 "", ""])

    def csv_text(self) -> str:
        buf = io.StringIO()
        self.write_csv(buf)
        return buf.getvalue()

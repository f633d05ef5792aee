"""Undoing a unit — a photo and its companion files — all or nothing, and finding units a crash
left split (some files archived, some in the library), which recovery then brings back whole.

Used by :mod:`desktop_app.workflow.recovery` (undo and recovery).
"""

from __future__ import annotations

import os

from desktop_app.errors import ArchiveError
from desktop_app.workflow.fileops import move_file, sha256_file
from desktop_app.workflow.journal import LogEntry, OperationJournal

#: Where a settled entry's file is: its original place in the library.
HOME_STATES = frozenset({"rolled-back", "failed", "skipped", "conflict"})


def units_of(entries: list[LogEntry]) -> list[list[LogEntry]]:
    """Entries grouped by unit, in journal order (an entry without a unit is its own)."""
    units: dict[object, list[LogEntry]] = {}
    for e in entries:
        units.setdefault(e.unit if e.unit >= 0 else ("seq", e.seq), []).append(e)
    return list(units.values())


def split_seqs(entries: tuple[LogEntry, ...], restored: set[int]) -> set[int]:
    """The archived files (seqs) of units that are split: some of their files in the archive
    (done, not restored), others in the library (never moved, moved back, or restored)."""
    units: dict[int, list[LogEntry]] = {}
    for e in entries:
        if e.unit >= 0:
            units.setdefault(e.unit, []).append(e)
    split: set[int] = set()
    for unit in units.values():
        away = [e for e in unit if e.state == "done" and e.seq not in restored]
        home = [e for e in unit if e.state in HOME_STATES or (e.state == "done" and e.seq in restored)]
        if away and home:
            split |= {e.seq for e in away}
    return split


def return_unit(checked: list[tuple[LogEntry, os.stat_result, str]], failed: int, first: int, failure: str,
                 back: list[tuple[int, LogEntry, str, str]], journal: OperationJournal,
                 refused: list[tuple[str, str]]) -> None:
    """File ``failed`` of a unit couldn't be restored: the files of the unit already restored
    go back to the archive (journaled ``failed``), so the unit stays whole there."""
    culprit = os.path.basename(checked[failed][0].source)
    stuck: set[int] = set()
    for seq, e, _method, sha in reversed(back):
        assert e.place is not None
        try:
            move_file(e.source, e.place, sha256=sha, owner=f"{journal.id}.{seq}.back")
        except (OSError, ArchiveError) as err:
            # Can't return it: it is back in the library (done); the unit is split, and said so.
            journal.write("done", seq=seq, place=e.source, method="move")
            stuck.add(seq)
            refused.append((e.source, f"'{os.path.basename(e.source)}' was restored but its companion "
                                      f"'{culprit}' wasn't ({getattr(err, 'strerror', None) or err})"))
            continue
        journal.write("failed", seq=seq, reason=f"moved back: '{culprit}' of its unit couldn't be restored")
    for k, (e, _, _) in enumerate(checked):
        if first + k in stuck:
            continue
        if k >= failed:
            journal.write("failed", seq=first + k, reason=failure if k == failed else f"stays with '{culprit}'")
        refused.append((e.source, failure if k == failed else
                        f"Couldn't restore '{os.path.basename(e.source)}': it stays with '{culprit}'"))


def permanently_unrestorable(e: LogEntry, destination: str) -> bool:
    """True when undo can never bring ``e`` back: the trash recorded no location for it, or
    its archived copy is gone or changed. (A squatter at the original place or an unplugged
    drive may go away; these don't.) Checked after :func:`restorable` refused ``e``;
    ``destination`` is its operation's archive folder."""
    place = e.place
    if not place:
        return True
    if not os.path.lexists(place) or not os.path.isfile(place) or os.path.islink(place):
        # Gone for good only when the archive folder itself is there (else: a drive unplugged).
        inside = destination and place.startswith(destination.rstrip(os.sep) + os.sep)
        return os.path.isdir(destination if inside else os.path.dirname(place))
    if not e.sha256:
        return False
    try:
        return sha256_file(place) != e.sha256
    except OSError:
        return False   # unreadable now (a flaky drive): maybe not for good


def give_up_if_lost(unit: list[LogEntry], e: LogEntry, destination: str, reason: str,
                    journal: OperationJournal) -> None:
    """Undo refused ``e``: when that is for good, the unit (all or nothing) is journaled
    ``unrestorable``, so Ctrl+Z passes over an operation left with only such files."""
    if permanently_unrestorable(e, destination):
        for other in unit:
            journal.write("unrestorable", restores=other.seq, reason=reason)


def restorable(e: LogEntry) -> tuple[str | None, os.stat_result | None, str]:
    """(why ``e`` can't go back now or None, the archived file's lstat, its SHA-256)."""
    name = os.path.basename(e.source)
    place = e.place
    if not place:
        return f"'{name}' went to the system trash; restore it from there", None, ""
    if os.path.lexists(e.source):
        return f"Couldn't restore '{name}': something now stands at its original place", None, ""
    if e.root and not os.path.isdir(e.root):
        # Unmounted drive: never "restore" into a phantom folder on the boot disk.
        return f"Couldn't restore '{name}': its library folder '{e.root}' isn't there (is its drive connected?)", None, ""
    if not os.path.isfile(place) or os.path.islink(place):
        return f"Couldn't restore '{name}': it is no longer at '{place}'", None, ""
    try:
        ident = os.lstat(place)
        sha = sha256_file(place)
    except OSError as err:
        return f"Couldn't restore '{name}': {err.strerror}", None, ""
    if e.sha256 and sha != e.sha256:
        return f"Couldn't restore '{name}': the archived file was changed", None, ""
    return None, ident, sha

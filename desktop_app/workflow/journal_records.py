"""Reading journal lines defensively: a line that is not a well-formed record is skipped and
reported, never acted on and never a crash.

A journal line can be damaged in several ways: torn by a crash or a full disk (only ever the
last line of a write), overwritten with binary garbage by a failing disk, or edited by hand with
wrong types. :func:`read_records` returns the records it can trust and the numbers of the lines
it skipped. A record is trusted only when it is a JSON object whose ``type`` is a string and
whose known fields have the types the journal writes (unknown fields pass: a newer Lookalike may
add some).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_INT = (int,)
_NUM = (int, float)
_STR = (str,)
_OPT_INT = (int, type(None))
_OPT_STR = (str, type(None))

#: Field -> accepted types, for every field some code reads (bool is rejected for ints below).
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "type": _STR, "time": _STR, "op": _STR, "kind": _STR, "destination": _STR, "undoes": _OPT_STR,
    "status": _STR, "seq": _INT, "source": _STR, "method": _STR, "size": _INT, "mtime_ns": _INT,
    "content_hash": _STR, "sha256": _STR, "group": _INT, "similarity": _NUM, "chosen_by": _STR,
    "restores": _OPT_INT, "root": _STR, "src_dev": _OPT_INT, "src_ino": _OPT_INT, "dev": _OPT_INT,
    "ino": _OPT_INT, "place": _OPT_STR, "reason": _STR, "outcome": _STR, "image_id": _INT,
    "files": _INT, "bytes": _INT,
}
#: Fields a record of this type cannot do without.
REQUIRED: dict[str, tuple[str, ...]] = {
    "intent": ("seq", "source", "destination"),
    "copied": ("seq",),
    "done": ("seq",),
    "failed": ("seq",),
    "recovered": ("seq", "outcome"),
    "unrestorable": ("restores",),
}


def well_formed(record: Any) -> bool:
    """True when ``record`` (a parsed line) is an object with the journal's types."""
    if not isinstance(record, dict) or not isinstance(record.get("type"), str):
        return False
    for name in REQUIRED.get(record["type"], ()):
        if name not in record:
            return False
    for name, value in record.items():
        accepted = FIELD_TYPES.get(name)
        if accepted is None:
            continue
        if isinstance(value, bool) or not isinstance(value, accepted):
            return False
    return True


def read_records(path: Path) -> tuple[list[dict[str, Any]], tuple[int, ...]]:
    """The well-formed records of the journal at ``path``, in order, and the (1-based)
    numbers of the lines skipped as damaged."""
    records: list[dict[str, Any]] = []
    bad: list[int] = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                record = None
            if not well_formed(record):
                bad.append(number)
                continue
            records.append(record)
    if bad:
        log.warning("skipped %d damaged line(s) in %s: %s", len(bad), path, bad)
    return records, tuple(bad)

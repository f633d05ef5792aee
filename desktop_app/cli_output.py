"""Output of ``lookalike-cli``: stdout that survives undecodable names, JSON, plain tables, and
the one-line progress bar on stderr. Shared by every command (cli, cli_archive)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from typing import Any, Sequence, TextIO

from desktop_app.engine.progress import Progress


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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(obj: Any, *, indent: int | None = 2) -> str:
    """JSON that is valid UTF-8 whatever the file names.

    On Linux a file name is any bytes; Python carries the bytes that aren't UTF-8 as lone
    "surrogate escapes" (``os.fsdecode``: byte 0xE9 becomes U+DCE9). Written raw they would make
    the output invalid UTF-8, so each lone surrogate is written as its JSON escape ``\\udce9``;
    every other character stays readable. ``os.fsencode(json.loads(text)[...])`` gives the
    original bytes back (elsewhere: each ``\\udc80``-``\\udcff`` escape stands for the byte
    0x80-0xFF). README "Command line" documents it.
    """
    text = json.dumps(obj, indent=indent, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def emit_json(obj: Any) -> None:
    write_out(json_text(obj) + "\n")



def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table (``--format table``); all-empty headers print no header lines."""
    has_header = any(headers)
    cells = ([[str(c) for c in headers]] if has_header else []) + [
        ["" if c is None else str(c) for c in row] for row in rows]
    if not cells:
        return ""
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    if has_header:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def round_similarity(value: float) -> float:
    """A similarity as the CLI prints it: one decimal."""
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


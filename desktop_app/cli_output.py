"""Output of ``lookalike-cli``: stdout that survives undecodable names, JSON, plain tables, and
the one-line progress bar on stderr. Shared by every command (cli, cli_archive)."""

from __future__ import annotations

import json
import os
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


def emit_json(obj: Any) -> None:
    write_out(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")



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


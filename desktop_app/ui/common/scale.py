"""The similarity scale in words, and human-readable sizes (shared by every page; sizes come from
:func:`desktop_app.formatting.format_bytes`)."""

from __future__ import annotations

import unicodedata

# One byte formatter for every face (CLI, GUI): the Qt-free shared one, re-exported for the pages.
from desktop_app.formatting import format_bytes as format_bytes

#: (lowest score, word) from the top of the scale down. Users rely on these words.
SCALE: tuple[tuple[float, str], ...] = (
    (100.0, "identical"),
    (90.0, "minor changes"),
    (70.0, "same subject"),
    (50.0, "moderate"),
    (0.0, "unrelated"),
)


def scale_word(score: float) -> str:
    """The scale's word for a similarity score: 100 "identical", 90-99 "minor changes", 70-89
    "same subject", 50-69 "moderate", below 50 "unrelated"."""
    for floor, word in SCALE:
        if score >= floor:
            return word
    return SCALE[-1][1]


def format_score(score: float) -> str:
    """Scores are shown as whole numbers; 99.6 must not read as the "identical" 100."""
    return "100" if score >= 100 else str(min(99, int(score)))


def format_duration(seconds: float | None) -> str:
    """ETA text: "12 s", "3 min 05 s", "1 h 02 min"."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "…"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


#: What a line break in a file name shows as: a visible symbol, not a second line of text.
NEWLINE_SYMBOL = "⏎"
#: Any other control or separator character (tab, NUL-like, bidi overrides shown as is).
CONTROL_SYMBOL = "�"


def one_line(text: str) -> str:
    """``text`` on one line: line breaks become ⏎ and other control characters � (file names
    may contain both; drawn as they are they would spill over the thumbnail)."""
    out = []
    for ch in text:
        if ch in "\r\n\u2028\u2029\x85":
            out.append(NEWLINE_SYMBOL)
        elif unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            out.append(CONTROL_SYMBOL)
        else:
            out.append(ch)
    return "".join(out)

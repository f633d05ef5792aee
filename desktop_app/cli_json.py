"""JSON text that is always valid UTF-8, whatever the file names.

On Linux a file name is any bytes; Python carries the bytes that aren't UTF-8 as lone
"surrogate escapes" (``os.fsdecode``: byte 0xE9 becomes U+DCE9). Written out raw they would make
the output invalid UTF-8, which JSON readers refuse. So every lone surrogate is written as its
JSON escape, ``\\udce9``: the output is valid UTF-8 and valid JSON, all other characters stay
readable, and the original bytes come back exactly with
``os.fsencode(json.loads(text)[...])`` in Python (in other languages: each ``\\udc80``-``\\udcff``
escape stands for the byte 0x80-0xFF). README "Command line" documents it.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(obj: Any, *, indent: int | None = 2) -> str:
    """``json.dumps`` with non-ASCII kept readable and lone surrogates escaped (see above)."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

"""Which library folders join when none is open and none is named (``lookalike ~/Pictures/Trip``).

The most recent library (``My Photos`` the very first time) if it holds no folder besides these —
a fresh ``lookalike ~/Pictures/Trip`` shows only the trip, never an older library's photos —
otherwise one named after the first folder (``Trip``, ``Trip (2)`` if that name is taken by a
library of other folders). Pure: the caller lists the libraries and the recent names.
"""

from __future__ import annotations

import os
from typing import Iterable, Sequence

from desktop_app.context.types import ContextInfo

DEFAULT_LIBRARY = "My Photos"


def library_for(paths: Sequence[str], libraries: Iterable[ContextInfo], recent: Sequence[str]) -> str:
    """The name of the library ``paths`` should join (it may not exist yet)."""
    wanted = {os.path.abspath(p) for p in paths}
    infos = {info.name: info for info in libraries}

    def fits(name: str) -> bool:
        info = infos.get(name)
        return info is None or {f.path for f in info.folders} <= wanted

    known_recent = [n for n in recent if n in infos]
    usual = known_recent[0] if known_recent else DEFAULT_LIBRARY
    if fits(usual):
        return usual
    first = paths[0] if paths else ""
    base = os.path.basename(os.path.normpath(os.path.abspath(first))) if first else ""
    base = base or DEFAULT_LIBRARY
    name, n = base, 2
    while not fits(name):
        name, n = f"{base} ({n})", n + 1
    return name

"""Files shipped with Lookalike (icons, desktop entry, AppStream metainfo), read at run time.

Everything goes through :mod:`importlib.resources`, so the same calls work from a source
checkout, an editable install, an installed wheel, a zip import and a PyInstaller bundle (whose
spec, ``packaging/lookalike.spec``, collects this folder as data). No Qt here: callers that want
a ``QIcon`` build it from :func:`icon_png` bytes (see :func:`icon_sizes`), so this module stays
importable by the CLI and by tests without a display.

Names are ``/``-separated paths relative to this package, e.g. ``"icons/lookalike.svg"``::

    from desktop_app import resources
    svg = resources.icon_svg()
    png = resources.icon_png(48)
    with resources.resource_path(resources.DESKTOP_ENTRY) as path:   # a real file on disk
        ...
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from importlib import resources as _ir
from pathlib import Path

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

log = logging.getLogger(__name__)

#: Reverse-DNS application id: desktop entry, AppStream id, icon name and D-Bus name agree on it.
APP_ID = "io.github.lookalike.Lookalike"
#: Pixel sizes for which a PNG of the app icon ships (16 and 32 from a pixel-aligned variant).
ICON_SIZES: tuple[int, ...] = (16, 32, 48, 64, 128, 256, 512)
ICON_SVG = "icons/lookalike.svg"
DESKTOP_ENTRY = f"{APP_ID}.desktop"
METAINFO = f"{APP_ID}.metainfo.xml"


def _traversable(name: str) -> Traversable:
    """Resolve ``name`` inside this package, refusing anything that could point outside it."""
    if not name or not isinstance(name, str):  # checked at run time too: untyped callers
        raise ValueError(f"resource name must be a non-empty string, got {name!r}")
    parts = name.replace("\\", "/").split("/")
    if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"resource name must be a plain relative path inside the package: {name!r}")
    node: Traversable = _ir.files(__name__)
    for part in parts:
        node = node.joinpath(part)
    return node


def resource(name: str) -> Traversable:
    """The resource ``name`` as a :class:`~importlib.resources.abc.Traversable`.

    Raises :class:`FileNotFoundError` if it is not shipped (say, a packaging mistake), so the
    caller fails with the resource's name rather than later with an empty image.
    """
    node = _traversable(name)
    if not node.is_file():
        raise FileNotFoundError(f"Lookalike resource '{name}' is missing from the installation")
    return node


@contextlib.contextmanager
def resource_path(name: str) -> Iterator[Path]:
    """Context manager yielding a real filesystem path to resource ``name``.

    Installed, editable and frozen, that is the file itself; from a zip it is a temporary copy
    removed on exit, so use the path only inside the ``with`` block.
    """
    with _ir.as_file(resource(name)) as path:
        yield Path(path)


def read_bytes(name: str) -> bytes:
    """The content of resource ``name``."""
    return resource(name).read_bytes()


def read_text(name: str, *, encoding: str = "utf-8") -> str:
    """The content of text resource ``name``."""
    return resource(name).read_text(encoding=encoding)


def icon_svg() -> bytes:
    """The scalable app icon (SVG Tiny, renders the same in Qt and browsers)."""
    return read_bytes(ICON_SVG)


def icon_sizes() -> tuple[int, ...]:
    """Sizes for which :func:`icon_png` has a hand-checked PNG, smallest first."""
    return ICON_SIZES


def icon_png(size: int = 256) -> bytes:
    """PNG bytes of the app icon drawn at ``size`` px, or the nearest larger shipped size.

    Asking for a size between two shipped ones returns the larger (so scaling only ever goes
    down, which stays sharp); beyond 512 returns the 512 px icon.
    """
    if type(size) is not int or size <= 0:  # checked at run time too (untyped callers; bool is no size)
        raise ValueError(f"icon size must be a positive number of pixels, got {size!r}")
    chosen = next((s for s in ICON_SIZES if s >= size), ICON_SIZES[-1])
    return read_bytes(f"icons/lookalike-{chosen}.png")


__all__ = [
    "APP_ID",
    "DESKTOP_ENTRY",
    "ICON_SIZES",
    "ICON_SVG",
    "METAINFO",
    "icon_png",
    "icon_sizes",
    "icon_svg",
    "read_bytes",
    "read_text",
    "resource",
    "resource_path",
]

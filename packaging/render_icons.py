"""Render the app icon's PNG sizes from its SVG with Qt's own SVG renderer.

Run after editing ``desktop_app/resources/icons/lookalike.svg``::

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py

The PNGs are committed (a few KB each) so that installing, freezing or running from a checkout
never needs to render anything. Qt's renderer is used, rather than a browser or Inkscape, because
it is what the running app would use for the SVG too, so the PNGs and the SVG look the same.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

log = logging.getLogger(__name__)

ICONS = Path(__file__).resolve().parent.parent / "desktop_app" / "resources" / "icons"
SIZES = (16, 32, 48, 64, 128, 256, 512)
# Sizes drawn from the pixel-aligned small variant: the detailed drawing turns to mush below ~40 px.
SMALL_SIZES = frozenset({16, 32})


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """Return the icon drawn at ``size`` x ``size`` pixels as PNG bytes (premultiplied ARGB)."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # Compression 9 (quality 0 in Qt's terms): smallest files, rendering speed does not matter.
    if not image.save(buffer, "PNG", 0):
        raise RuntimeError(f"Qt could not encode the {size} px icon as PNG")
    buffer.close()
    return bytes(data.data())


def main(argv: list[str] | None = None) -> int:
    """Render every size next to the SVG (or into ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=ICONS / "lookalike.svg")
    parser.add_argument("--small-svg", type=Path, default=ICONS / "lookalike-small.svg")
    parser.add_argument("--out", type=Path, default=ICONS)
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage/QFont need it
    renderers = {}
    for key, svg in (("large", args.svg), ("small", args.small_svg)):
        renderers[key] = QSvgRenderer(str(svg))
        if not renderers[key].isValid():
            print(f"Couldn't read '{svg.name}': not a valid SVG for Qt", file=sys.stderr)
            return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        renderer = renderers["small" if size in SMALL_SIZES else "large"]
        target = args.out / f"lookalike-{size}.png"
        target.write_bytes(render_png(renderer, size))
        print(f"{target}  {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

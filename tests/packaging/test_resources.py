"""The shipped resources: icon, desktop entry, AppStream metainfo, and the API that reads them.

Fast checks that run with the normal suite. Building a wheel or a bundle is in the
``packaging``-marked tests next to this file.
"""

from __future__ import annotations

import configparser
import importlib.util
import io
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from desktop_app import resources

REPO = Path(__file__).resolve().parents[2]


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(resources.read_text(resources.DESKTOP_ENTRY))
    return parser


def _load_render_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_icons", REPO / "packaging" / "render_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", resources.ICON_SIZES)
def test_each_icon_png_is_square_transparent_and_drawn(size: int) -> None:
    image = Image.open(io.BytesIO(resources.icon_png(size)))
    assert image.format == "PNG"
    assert image.size == (size, size)
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    # A shaped icon: transparent corner, opaque centre, and a real drawing (many colours).
    assert alpha.getpixel((size - 1, 0)) == 0
    assert alpha.getpixel((size // 2, size // 2)) == 255
    assert len(rgba.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 20


@pytest.mark.parametrize(("asked", "served"), [(1, 16), (16, 16), (20, 32), (100, 128), (512, 512), (4096, 512)])
def test_icon_png_serves_the_nearest_larger_size(asked: int, served: int) -> None:
    assert Image.open(io.BytesIO(resources.icon_png(asked))).size == (served, served)


@pytest.mark.parametrize("bad", [0, -16, 1.5, True, "64"])
def test_icon_png_rejects_nonsense_sizes(bad: object) -> None:
    with pytest.raises(ValueError):
        resources.icon_png(bad)  # type: ignore[arg-type]


def test_icon_svg_is_an_svg_document() -> None:
    root = ET.fromstring(resources.icon_svg())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 512 512"


def test_committed_pngs_match_the_svg(qapp: object) -> None:
    """Guards against editing the SVG and forgetting ``packaging/render_icons.py``."""
    from PySide6.QtSvg import QSvgRenderer

    render_icons = _load_render_icons()
    for size in (16, 64, 256):
        svg = render_icons.ICONS / ("lookalike-small.svg" if size in render_icons.SMALL_SIZES else "lookalike.svg")
        renderer = QSvgRenderer(str(svg))
        assert renderer.isValid()
        fresh = Image.open(io.BytesIO(render_icons.render_png(renderer, size))).convert("RGBA")
        shipped = Image.open(io.BytesIO(resources.icon_png(size))).convert("RGBA")
        diff = [abs(a - b) for a, b in zip(fresh.tobytes(), shipped.tobytes())]
        assert sum(diff) / len(diff) < 1.0, f"{size} px PNG is stale: run packaging/render_icons.py"


def test_resource_path_is_a_real_file_with_the_same_bytes() -> None:
    with resources.resource_path(resources.ICON_SVG) as path:
        assert path.is_file()
        assert path.read_bytes() == resources.icon_svg()


@pytest.mark.parametrize("name", ["../__init__.py", "/etc/passwd", "icons/../../errors.py", "", "icons//x.png", "."])
def test_names_outside_the_package_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        resources.read_bytes(name)


def test_a_missing_resource_names_itself() -> None:
    with pytest.raises(FileNotFoundError, match="icons/nope.png"):
        resources.read_bytes("icons/nope.png")
    with pytest.raises(FileNotFoundError):
        resources.read_bytes("icons")  # a folder is not a resource


def test_desktop_entry_launches_the_installed_gui_script() -> None:
    entry = _desktop_entry()["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Lookalike"
    assert entry["Icon"] == resources.APP_ID
    program, *args = entry["Exec"].split()
    assert program in _pyproject()["project"]["gui-scripts"]
    assert args == ["%F"]  # files and folders dropped on the launcher are opened
    categories = entry["Categories"].rstrip(";").split(";")
    assert {"Graphics", "Photography"} <= set(categories)
    mime = entry["MimeType"].rstrip(";").split(";")
    assert {"image/jpeg", "image/png", "image/heic", "image/x-adobe-dng", "inode/directory"} <= set(mime)


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    with resources.resource_path(resources.DESKTOP_ENTRY) as path:
        result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_describes_this_release_with_the_readme_screenshot() -> None:
    root = ET.fromstring(resources.read_bytes(resources.METAINFO))
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == resources.APP_ID
    assert root.findtext("launchable") == resources.DESKTOP_ENTRY
    assert root.find("content_rating") is not None
    shots = [el.text or "" for el in root.iter("image")]
    assert any(url.endswith("docs/screenshots/main-window.png") for url in shots)
    # Bumping the version in pyproject.toml without a <release> entry would fail here.
    versions = [release.get("version") for release in root.iter("release")]
    assert _pyproject()["project"]["version"] in versions


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_passes_appstreamcli_validate() -> None:
    with resources.resource_path(resources.METAINFO) as path:
        result = subprocess.run(
            ["appstreamcli", "validate", "--no-net", str(path)], capture_output=True, text=True
        )
    assert result.returncode == 0, result.stdout + result.stderr


def test_resources_import_without_qt() -> None:
    """The CLI and the frozen CLI read resources too; the module must not pull in Qt."""
    code = "import sys, desktop_app.resources as r; r.icon_png(16); print('PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

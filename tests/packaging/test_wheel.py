"""The wheel carries the resources, and they load from it zipped and installed.

Marked ``packaging``: it builds a wheel with pip (a few seconds; pip may fetch the build backend).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
RESOURCES = REPO / "desktop_app" / "resources"

# Reads every kind of resource and says where the package came from and the file it yielded.
PROBE = """
import sys
import desktop_app.resources as r
assert r.icon_png(64)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
assert r.icon_svg().lstrip().startswith(b"<?xml")
assert "Exec=lookalike %F" in r.read_text(r.DESKTOP_ENTRY)
with r.resource_path(r.METAINFO) as path:
    assert path.read_bytes() == r.read_bytes(r.METAINFO)
    print(path)
print(r.__file__)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # From a copy of the sources: building in the checkout would leave build/ and an egg-info
    # there, which importlib.metadata would then find before the installed distribution.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "desktop_app", source / "desktop_app", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("lookalike-*.whl")
    return built


def _shipped_files() -> set[str]:
    return {
        path.relative_to(REPO).as_posix()
        for path in RESOURCES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_wheel_holds_every_resource_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _shipped_files()
    assert {"desktop_app/resources/icons/lookalike.svg", "desktop_app/resources/icons/lookalike-16.png"} <= expected
    assert expected - names == set()


def test_resources_load_from_the_zipped_wheel(wheel: Path, tmp_path: Path) -> None:
    code = f"import sys; sys.path.insert(0, {str(wheel)!r})\n" + PROBE
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    extracted, module_file = result.stdout.split()
    assert module_file.startswith(str(wheel))  # really imported from the zip, not the checkout
    assert not Path(extracted).exists()  # as_file's temporary copy is gone after the with-block


def test_resources_load_from_an_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    code = f"import sys; sys.path.insert(0, {str(target)!r})\n" + PROBE
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path, module_file = result.stdout.split()
    assert module_file.startswith(str(target))
    assert path.startswith(str(target))  # the installed file itself, no temporary copy

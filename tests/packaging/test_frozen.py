"""The frozen bundle works on its own: the GUI opens and closes its window, the CLI finds duplicates.

Marked ``packaging`` (deselect with ``-m "not packaging"``). Builds the one-folder bundle with
``packaging/build.sh`` (about a minute and a half on two cores, incremental after that), or uses
an existing build when ``LOOKALIKE_FROZEN_DIR`` names its folder (``packaging/dist/lookalike``).

The frozen programs run with a minimal environment (no PYTHONPATH, no virtualenv, a scratch HOME)
from a scratch directory, so nothing can be borrowed from the development install.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The one-folder bundle: LOOKALIKE_FROZEN_DIR, or a fresh (incremental) build."""
    given = os.environ.get("LOOKALIKE_FROZEN_DIR")
    if given:
        folder = Path(given).resolve()
        assert (folder / f"lookalike{EXE_SUFFIX}").is_file(), f"no frozen app in LOOKALIKE_FROZEN_DIR={given}"
        return folder
    result = subprocess.run(
        ["bash", str(REPO / "packaging" / "build.sh")],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    print(result.stdout.strip().splitlines()[-1])  # "Built ... in Ns: SIZE in N files"
    return REPO / "packaging" / "dist" / "lookalike"


@pytest.fixture()
def frozen_env(tmp_path: Path) -> dict[str, str]:
    """A bare environment: scratch home and data dirs, offscreen Qt, nothing from Python."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "USERPROFILE": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }
    for windows_var in ("SYSTEMROOT", "TEMP", "TMP", "LOCALAPPDATA", "APPDATA"):
        if windows_var in os.environ:
            env[windows_var] = os.environ[windows_var]
    return env


def _run(bundle: Path, program: str, *args: str, env: dict[str, str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bundle / f"{program}{EXE_SUFFIX}"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_bundle_holds_both_programs_resources_metadata_and_qt_plugins(bundle: Path) -> None:
    for program in ("lookalike", "lookalike-cli"):
        assert os.access(bundle / f"{program}{EXE_SUFFIX}", os.X_OK)
    internal = bundle / "_internal"
    icons = internal / "desktop_app" / "resources" / "icons"
    assert (icons / "lookalike.svg").is_file() and (icons / "lookalike-256.png").is_file()
    # Package metadata for importlib.metadata (hence --version): a dist-info, or the egg-info of
    # a source tree the build found first on sys.path.
    metadata = [internal / f"lookalike-{VERSION}.dist-info" / "METADATA", internal / "lookalike.egg-info" / "PKG-INFO"]
    assert any(path.is_file() and f"Version: {VERSION}" in path.read_text(encoding="utf-8") for path in metadata)
    plugins = internal / "PySide6" / "Qt" / "plugins"
    if sys.platform.startswith("linux"):
        platforms = {path.name for path in (plugins / "platforms").iterdir()}
        assert {"libqxcb.so", "libqwayland.so", "libqoffscreen.so"} <= platforms
        assert "libqeglfs.so" not in platforms and "libqvnc.so" not in platforms
        formats = {path.name for path in (plugins / "imageformats").iterdir()}
        assert {"libqjpeg.so", "libqsvg.so", "libqwebp.so"} <= formats
        assert "libqpdf.so" not in formats  # left out with QtPdf


def test_frozen_gui_reports_the_package_version(bundle: Path, frozen_env: dict[str, str], tmp_path: Path) -> None:
    result = _run(bundle, "lookalike", "--version", env=frozen_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"lookalike {VERSION}"


def test_frozen_gui_opens_and_closes_its_window(bundle: Path, frozen_env: dict[str, str], tmp_path: Path) -> None:
    """``--smoke-test``: build the real main window, show it, let the event loop run, close it."""
    result = _run(bundle, "lookalike", "--smoke-test", env=frozen_env, cwd=tmp_path, timeout=120)
    if result.returncode == 2 and "unrecognized arguments: --smoke-test" in result.stderr:
        pytest.skip("desktop_app.__main__ has no --smoke-test option yet (only --version is checked)")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Could not load the Qt platform plugin" not in result.stderr


def _library(folder: Path) -> dict[str, Path]:
    """A small photo folder: a photo, an exact copy, a resized and a HEIC copy, an unrelated
    photo and a corrupt file."""
    from skimage import data

    folder.mkdir()
    photo = Image.fromarray(data.astronaut())
    other = Image.fromarray(data.coffee())
    files = {
        "original": folder / "astronaut.jpg",
        "copy": folder / "astronaut copy.jpg",
        "resized": folder / "astronaut-small.jpg",
        "unrelated": folder / "coffee.jpg",
        "corrupt": folder / "broken.jpg",
    }
    photo.save(files["original"], quality=92)
    files["copy"].write_bytes(files["original"].read_bytes())
    photo.resize((384, 384), Image.Resampling.LANCZOS).save(files["resized"], quality=85)
    other.save(files["unrelated"], quality=92)
    files["corrupt"].write_bytes(files["original"].read_bytes()[:1500])
    try:  # exercises the bundled libheif when the build environment had pillow-heif
        import pillow_heif

        pillow_heif.from_pillow(photo).save(folder / "astronaut.heic", quality=90)
        files["heic"] = folder / "astronaut.heic"
    except ImportError:
        pass
    return files


def test_frozen_cli_indexes_a_folder_and_reports_duplicates_as_json(
    bundle: Path, frozen_env: dict[str, str], tmp_path: Path
) -> None:
    """Indexing runs the engine's process pool inside the frozen program (freeze_support)."""
    files = _library(tmp_path / "photos")
    cli = ("lookalike-cli",)
    index = _run(bundle, *cli, "index", str(tmp_path / "photos"), "--context", "frozen", "--no-progress", env=frozen_env, cwd=tmp_path)
    assert index.returncode == 0, index.stdout + index.stderr
    indexed = json.loads(index.stdout)
    assert indexed["Images"] == len(files) - 1  # everything but the corrupt file...
    assert [Path(skip["Path"]).name for skip in indexed["Skipped"]] == [files["corrupt"].name]  # ...reported
    # The database went to the scratch data directory, not anywhere in the developer's home.
    assert any((tmp_path / "home").rglob("*.sqlite")), "no context database under the scratch HOME"

    found = _run(bundle, *cli, "duplicates", "--threshold", "90", "--context", "frozen", "--no-progress", env=frozen_env, cwd=tmp_path)
    assert found.returncode == 0, found.stdout + found.stderr
    report = json.loads(found.stdout)
    groups = [{Path(member["ImageId"]).name: member["Similarity"] for member in group["DuplicatesInGroup"]} for group in report["Duplicates"]]
    copies = {path.name for key, path in files.items() if key not in ("unrelated", "corrupt")}
    assert len(groups) == 1, groups
    assert set(groups[0]) == copies  # every copy, HEIC included; neither the coffee nor the corrupt file
    assert all(score >= 90 for score in groups[0].values()), groups
    assert max(groups[0].values()) == 100.0  # the group's original


linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktop integration")


@linux_only
def test_install_script_puts_the_bundle_in_the_menu_and_takes_it_out(bundle: Path, frozen_env: dict[str, str], tmp_path: Path) -> None:
    data = Path(frozen_env["XDG_DATA_HOME"])
    entry = data / "applications" / "io.github.lookalike.Lookalike.desktop"
    installed = subprocess.run(["sh", str(bundle / "install.sh")], env=frozen_env, capture_output=True, text=True, timeout=60)
    assert installed.returncode == 0, installed.stderr
    assert f'Exec="{bundle / "lookalike"}" %F' in entry.read_text(encoding="utf-8").splitlines()
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "io.github.lookalike.Lookalike.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "io.github.lookalike.Lookalike.svg").is_file()
    link = Path(frozen_env["HOME"]) / ".local" / "bin" / "lookalike"
    version = subprocess.run([str(link), "--version"], env=frozen_env, capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == f"lookalike {VERSION}"

    removed = subprocess.run(["sh", str(bundle / "install.sh"), "--uninstall"], env=frozen_env, capture_output=True, text=True, timeout=60)
    assert removed.returncode == 0, removed.stderr
    assert not entry.exists() and not link.is_symlink()
    assert (bundle / "lookalike").is_file()  # the bundle itself stays


@linux_only
def test_appdir_runs_the_app_and_the_cli(bundle: Path, frozen_env: dict[str, str], tmp_path: Path) -> None:
    """make-appimage.sh without appimagetool: the AppDir it leaves must run as is."""
    appdir = tmp_path / "Lookalike.AppDir"
    env = {**frozen_env, "LOOKALIKE_FROZEN_DIR": str(bundle), "APPDIR": str(appdir), "APPIMAGETOOL": "", "PATH": "/usr/bin:/bin"}
    made = subprocess.run(["bash", str(REPO / "packaging" / "linux" / "make-appimage.sh")], env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    for required in ("AppRun", ".DirIcon", "io.github.lookalike.Lookalike.desktop", "usr/share/metainfo/io.github.lookalike.Lookalike.appdata.xml"):
        assert (appdir / required).exists(), required
    version = _run(appdir, "AppRun", "--version", env=frozen_env, cwd=tmp_path)
    assert version.stdout.strip() == f"lookalike {VERSION}"
    cli = _run(appdir, "AppRun", "--cli", "--help", env=frozen_env, cwd=tmp_path)
    assert cli.returncode == 0 and "duplicates" in cli.stdout, cli.stdout + cli.stderr

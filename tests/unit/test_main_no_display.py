"""Started without a display, the app says so in one line instead of Qt's xcb-cursor abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop_app.__main__ import display_problem


def test_display_problem_only_without_any_display() -> None:
    assert display_problem({}, "linux") is not None
    assert "no display found" in (display_problem({}, "linux") or "")
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


def test_the_app_prints_one_line_and_exits_without_a_display(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "desktop_app"], env=env, capture_output=True, text=True, timeout=60)
    if sys.platform.startswith(("win", "darwin")):
        return
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "no display found" in done.stderr
    assert "xcb" not in done.stderr

"""Imports point one way: ui -> workflow -> context -> engine. Checked on the source text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "desktop_app"
FORBIDDEN = {
    "engine": ("PySide6", "desktop_app.context", "desktop_app.workflow", "desktop_app.ui"),
    "context": ("PySide6", "desktop_app.workflow", "desktop_app.ui"),
    "workflow": ("PySide6", "desktop_app.ui"),
}
IMPORT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no sources under {layer}/"
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in IMPORT.findall(path.read_text(encoding="utf-8"))
        if name.startswith(FORBIDDEN[layer])
    ]
    assert offenders == []

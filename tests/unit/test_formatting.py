"""The one byte formatter every layer shares."""

from __future__ import annotations

import pytest

from desktop_app.formatting import format_bytes


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1000, "1.0 KB"), (1234567, "1.2 MB"),
    (99_940_000, "99.9 MB"), (512_000_000, "512 MB"), (999_999_999, "1.0 GB"),
    (4_700_000_000, "4.7 GB"), (3_000_000_000_000, "3.0 TB"), (12.5e15, "12500 TB"),
])
def test_format_bytes(size: float, text: str) -> None:
    assert format_bytes(size) == text


def test_formatting_is_importable_without_qt() -> None:
    import subprocess
    import sys

    code = ("import sys, desktop_app.formatting; "
            "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0

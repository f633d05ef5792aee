"""Python-side signal emits must not leak references to True (PySide6 6.12 bug, patched)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import desktop_app.ui  # noqa: F401  (applies the work-around)


class _Emitter(QObject):
    fired = Signal(object)


def test_many_emits_keep_true_alive() -> None:
    emitter = _Emitter()
    got: list[int] = []
    emitter.fired.connect(got.append)
    before = sys.getrefcount(True)
    for k in range(5000):
        emitter.fired.emit(k)
    assert len(got) == 5000
    assert sys.getrefcount(True) >= before - 5  # unpatched: before - 5000 (then a fatal abort)

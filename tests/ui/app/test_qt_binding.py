"""The pinned binding (PySide6 < 6.12, see pyproject.toml) must not leak references to ``True``
or ``None``: 6.12.0 on CPython 3.11 does, and the interpreter aborts ("bool_dealloc",
"none_dealloc") after a few hundred signal emits or void calls. This fails first if the pin is
lifted onto a broken release."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


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
    assert sys.getrefcount(True) >= before - 5   # leaking binding: before - 5000


def test_void_calls_keep_none_alive() -> None:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(5000):
        probe.setObjectName("probe")   # a C++ void method: returns None to Python
    assert sys.getrefcount(None) >= before - 5

"""Work-arounds for bugs in the installed Qt binding, applied once when ``desktop_app.ui`` loads.

PySide6 6.12.0 on CPython < 3.12: ``SignalInstance.emit()`` returns ``True`` without taking a
reference to it, so each Python-side ``emit`` steals one reference from the ``True`` singleton.
After a few hundred emits (a progress bar, a thumbnail pool) the interpreter aborts with
"Fatal Python error: bool_dealloc". We detect the leak with a probe (so a fixed binding, or an
interpreter with immortal ``True``, is left alone) and give the reference back after each emit.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

log = logging.getLogger(__name__)

_applied = False


class _Probe(QObject):
    probed = Signal()


def _emit_steals_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.probed.emit()
    return sys.getrefcount(True) < before


def apply() -> bool:
    """Patch ``SignalInstance.emit`` if the binding needs it. Returns True if patched."""
    global _applied
    if _applied or not _emit_steals_a_reference():
        return _applied
    original = SignalInstance.emit
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        incref(result)  # the reference the binding forgot to take
        return result

    # Give back the references the probe took.
    for _ in range(4):
        incref(True)
    SignalInstance.emit = emit  # type: ignore[method-assign]
    _applied = True
    log.info("patched SignalInstance.emit (PySide6 reference leak on True)")
    return True

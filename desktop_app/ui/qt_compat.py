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


def _void_call_steals_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(4):
        probe.setObjectName("probe")  # a C++ void method: returns None to Python
    return sys.getrefcount(None) < before


_none_pinned = False


def pin_none() -> bool:
    """PySide6 6.12.0 on CPython < 3.12 also returns ``None`` from *every* void method (``update()``,
    ``setText()``, ``processEvents()``...) without taking a reference, so a GUI aborts within
    seconds with "Fatal Python error: none_dealloc". No wrapper can cover every method, so give
    ``None`` a reserve of references that no session can use up (``None`` is never freed anyway;
    CPython 3.12 makes it immortal the same way). Returns True if the reserve was added."""
    global _none_pinned
    if _none_pinned or not _void_call_steals_none():
        return _none_pinned
    # ob_refcnt is the first field of every PyObject (non-debug CPython builds).
    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
    _none_pinned = True
    log.info("pinned None (PySide6 void-method reference leak)")
    return True


def apply() -> bool:
    """Patch ``SignalInstance.emit`` if the binding needs it. Returns True if patched."""
    global _applied
    pin_none()
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

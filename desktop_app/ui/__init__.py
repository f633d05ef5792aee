"""PySide6 user interface. Uses workflow, context and engine; never touches files itself."""

from desktop_app.ui import qt_compat as _qt_compat

_qt_compat.apply()

"""PySide6 user interface. Uses workflow, context and engine; never touches files itself."""

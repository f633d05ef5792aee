"""The application window: main window, start page, shortcuts."""

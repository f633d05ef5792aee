"""A desktop launch keeps its errors: the rotating log file, the crash handler (GUI thread and
other threads: logged with the traceback, one line shown, the app goes on), Help → Show Log."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from desktop_app.ui.app.crash_handler import LOG_FILE_NAME, CrashHandler, start_log_file


def test_unexpected_errors_are_logged_and_shown_in_one_line(qtbot, make_window, tmp_path: Path, monkeypatch) -> None:
    path = start_log_file(tmp_path / "data")
    root = logging.getLogger()
    handler = root.handlers[-1]
    try:
        assert path == tmp_path / "data" / LOG_FILE_NAME
        window = make_window(log_file=path)
        crash = CrashHandler(window)
        crash.crashed.connect(window.show_crash)
        crash.install()
        try:
            try:
                raise ValueError("the binding exploded\nsecond line")
            except ValueError as err:
                with qtbot.waitSignal(crash.crashed):
                    sys.excepthook(type(err), err, err.__traceback__)
            shown = window.statusBar().currentMessage()
            assert "the binding exploded" in shown and "\n" not in shown and "Show Log" in shown

            def worker() -> None:
                raise RuntimeError("a worker thread fell over")

            with qtbot.waitSignal(crash.crashed, timeout=10000):
                thread = threading.Thread(target=worker)
                thread.start()
                thread.join()
            assert "fell over" in window.statusBar().currentMessage()
        finally:
            crash.uninstall()
        handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "Traceback" in text and "the binding exploded" in text and "a worker thread fell over" in text
        opened: list[str] = []
        monkeypatch.setattr("desktop_app.ui.common.desktop.open_file", lambda p: opened.append(p))
        assert window.show_log_action.isEnabled()
        window.show_log_action.trigger()
        assert opened == [str(path)]
    finally:
        root.removeHandler(handler)
        handler.close()


def test_without_a_log_file_show_log_is_disabled(qtbot, make_window) -> None:
    window = make_window()
    assert not window.show_log_action.isEnabled()

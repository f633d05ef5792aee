"""``lookalike`` / ``python -m desktop_app``: open the window.

``lookalike FOLDER...`` opens the window with those folders and scans them: in ``--library NAME``
if given, else in the last used library if it holds no other folders, else in a library named after
the first folder (so ``lookalike ~/Pictures/Trip`` shows only the trip); the window says which
library they joined. ``lookalike --version`` prints the version and exits
without creating a window. ``lookalike --smoke-test`` opens the window and closes it (used
by the packaging tests on the frozen build).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Sequence

from desktop_app import APP_NAME, __version__

log = logging.getLogger(__name__)

ORGANIZATION = "Lookalike"
DOMAIN = "lookalike.github.io"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="lookalike", description="Find, review and safely archive duplicate and similar photos.",
    )
    parser.add_argument("folders", nargs="*", metavar="FOLDER", help="folders of photos to open")
    parser.add_argument("--library", metavar="NAME", help="library (search context) to open")
    parser.add_argument("--version", action="version", version=f"lookalike {__version__}")
    parser.add_argument("--debug", action="store_true", help="log debugging information")
    # For installers and packaging tests: prove the (frozen) app can build and show its window.
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def display_problem(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """One line saying why no window can open, or None. On Linux and BSD without a display Qt
    aborts with a misleading message about a missing xcb-cursor library: say what is wrong."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")) or env.get("QT_QPA_PLATFORM"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return ("no display found (neither DISPLAY nor WAYLAND_DISPLAY is set): start it from a desktop "
            "session, or use lookalike-cli")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the GUI. Returns the process exit code."""
    import multiprocessing

    multiprocessing.freeze_support()  # the context indexes in a process pool; frozen builds need this
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    missing = [f for f in args.folders if not os.path.isdir(f)]
    if missing:
        print(f"lookalike: '{missing[0]}' is not a folder", file=sys.stderr)
        return 2

    problem = display_problem()
    if problem:
        print(f"lookalike: {problem}", file=sys.stderr)
        return 1

    # Qt only from here on: --version and usage errors never create a window.
    from PySide6.QtWidgets import QApplication

    from desktop_app.context.store import ContextStore
    from desktop_app.errors import LookalikeError
    from desktop_app.ui.app.crash_handler import CrashHandler, start_log_file
    from desktop_app.ui.app.main_window import MainWindow
    from desktop_app.ui.common.icons import app_icon

    QApplication.setApplicationName(APP_NAME)
    QApplication.setOrganizationName(ORGANIZATION)
    QApplication.setOrganizationDomain(DOMAIN)
    QApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    try:
        from desktop_app.resources import APP_ID

        QApplication.setDesktopFileName(APP_ID)
    except ImportError:
        pass
    QApplication.setWindowIcon(app_icon())  # static, like the setters above
    try:
        store = ContextStore()
    except LookalikeError as err:  # a damaged, busy or read-only library database, say
        print(f"lookalike: {err}", file=sys.stderr)
        if not args.smoke_test:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.critical(None, APP_NAME, str(err))  # a window user never sees stderr
        return 1
    # A desktop launch has no terminal: errors go to a rotating log in the data folder, and an
    # unexpected exception is logged and shown in one line instead of ending the app.
    log_file = start_log_file(store.db_path.parent, level=logging.DEBUG if args.debug else logging.INFO)
    window = MainWindow(store, log_file=log_file)
    crash_handler = CrashHandler(window)
    crash_handler.crashed.connect(window.show_crash)
    crash_handler.install()
    if args.folders:
        window.open_folders([os.path.abspath(f) for f in args.folders], library=args.library)
    elif args.library:
        window.open_library(args.library)
    else:
        window.restore_last_library()
    window.show()
    if args.smoke_test:
        from PySide6.QtCore import QTimer

        # Let the event loop lay out and paint the window once, then close it as a user would.
        QTimer.singleShot(500, window.close)
        QTimer.singleShot(1000, app.quit)
    try:
        return app.exec()
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())

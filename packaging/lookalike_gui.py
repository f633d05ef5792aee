"""Entry point PyInstaller freezes as the ``lookalike`` executable (the desktop app).

Same as the ``lookalike`` gui-script that pip installs (``desktop_app.__main__:main``), plus
``multiprocessing.freeze_support()``: indexing may use a process pool, and a frozen program has
no Python interpreter to start workers with, so each worker re-runs this executable and must be
diverted into the worker loop before the app starts.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop_app.__main__ import main

    sys.exit(main())

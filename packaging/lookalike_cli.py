"""Entry point PyInstaller freezes as the ``lookalike-cli`` executable (the headless JSON CLI).

Same as the ``lookalike-cli`` console script (``desktop_app.cli:main``), plus
``multiprocessing.freeze_support()`` for the indexing process pool (see ``lookalike_gui.py``).
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop_app.cli import main

    sys.exit(main())

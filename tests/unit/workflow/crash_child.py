"""Child process for the crash tests: runs one archive or undo job from a pickle, so the test
can SIGKILL it at a chosen step (``LOOKALIKE_FAULT``) and then recover in the parent."""

from __future__ import annotations

import errno
import os
import pickle
import sys


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        job = pickle.load(f)
    from desktop_app.workflow import fileops
    from desktop_app.workflow.archive import execute
    from desktop_app.workflow.recovery import undo
    from desktop_app.workflow.trash import FreedesktopTrash

    if job.get("exdev"):
        real = fileops.rename_noreplace

        def exdev(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
            # Every move "crosses filesystems"; the final rename of a verified copy does not.
            if not os.fspath(source).endswith(fileops.PARTIAL_SUFFIX):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            real(source, destination)

        fileops.rename_noreplace = exdev
    if job["action"] == "archive":
        trash = FreedesktopTrash(job["trash_dir"]) if job.get("trash_dir") else None
        execute(job["plan"], log_dir=job["log_dir"], trash=trash)
    else:
        undo(job["log_dir"], job.get("operation"))
    print("finished without being killed")


if __name__ == "__main__":
    main()

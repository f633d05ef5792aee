"""Archive and undo keep their promises across processes, signals, full disks and damaged
journals (issue 11, items 1, 3, 4, 9). Real ``lookalike-cli`` processes on real files; every
test checks the content multiset of library + archive folders (+ trash) is unchanged."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from desktop_app.workflow.lock import library_lock
from tests.guarantees.conftest import cli_argv, cli_env, err_text, ledger, make_library, out_json, run_cli

GROUPS = 4          # make_library: 4 photos, each with 2 copies


@pytest.fixture
def lib(tmp_path: Path, data: Path) -> Path:
    library = make_library(tmp_path / "lib", copies=2)
    assert run_cli(data, "index", library, "--workers", "1").returncode == 0
    assert run_cli(data, "duplicates").returncode == 0       # pair scores cached
    return library


def context_dir(data: Path) -> Path:
    found = sorted((data / "lookalike" / "contexts").glob("1-*"))
    if found:
        return found[0]
    path = data / "lookalike" / "contexts" / "1-default"
    path.mkdir(parents=True)
    return path


def photos_left(lib: Path) -> Counter[str]:
    """How many files of each group (named after its photo) are in the library."""
    return Counter(p.name.split(" ")[0].split(".")[0] for p in lib.rglob("*.jpg"))


def archive_argv(keep: str, dest: Path) -> list[str]:
    # The smaller copies a "newest" rule keeps lack the original's pixels: archive the flagged
    # copies too (this is about the lock, not the information-loss guard).
    return ["duplicates", "--threshold", "90", "--keep", keep, "--archive-to", str(dest), "--yes",
            "--allow-information-loss"]


def dry_run_argv(keep: str, dest: Path) -> list[str]:
    return ["duplicates", "--threshold", "90", "--keep", keep, "--archive-to", str(dest), "--dry-run"]


class StderrWatch:
    """Reads a process's stderr on a thread so the test can wait for a line without sleeping."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stderr is not None
        stream = proc.stderr
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            self.lines.put(raw.decode("utf-8", "replace"))

    def wait_for(self, text: str, timeout: float = 120) -> None:
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if text in line:
                return

    def rest(self) -> str:
        self.thread.join(timeout=60)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


# --- 1. one archive or undo per library, across processes -------------------------------------
def test_two_archives_started_together_leave_a_copy_of_every_group(tmp_path: Path, data: Path, lib: Path) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    before = ledger(lib, a, b)
    env = cli_env(data, LOOKALIKE_LOCK_WAIT="120")
    # Both plan against the same groups while a third party holds the library; then they run
    # one after the other (the lock) and the second re-checks its kept copies (gone: skipped).
    with library_lock(context_dir(data), what="archive", wait=0):
        procs = [subprocess.Popen(cli_argv(*archive_argv(keep, dest)), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for keep, dest in (("oldest", a), ("newest", b))]
        watches = [StderrWatch(p) for p in procs]
        for w in watches:
            w.wait_for("waiting for another archive or undo")
    outs = [p.stdout.read() for p in procs if p.stdout is not None]
    for p, w in zip(procs, watches):
        assert p.wait(timeout=180) in (0, 1), w.rest()
    results = [json.loads(o)["result"] for o in outs]
    moved = sorted(len(r["moved"]) for r in results)
    assert moved == [0, 2 * GROUPS]                     # the first archived, the second refused
    second = next(r for r in results if not r["moved"])
    reasons = [s["reason"] for s in second["skipped"]]
    assert len(reasons) == 2 * GROUPS and any("no kept photo of its group" in r for r in reasons)
    assert all("no kept photo of its group" in r or "is no longer there" in r for r in reasons)  # archived by the first
    assert photos_left(lib) == Counter({n: 1 for n in ("astronaut", "coffee", "chelsea", "rocket")})
    assert ledger(lib, a, b) == before
    assert run_cli(data, "undo").returncode == 0
    assert photos_left(lib) == Counter({n: 3 for n in ("astronaut", "coffee", "chelsea", "rocket")})
    assert ledger(lib, a, b) == before


def test_a_second_archive_is_refused_with_one_line_while_the_library_is_busy(tmp_path: Path, data: Path, lib: Path) -> None:
    a = tmp_path / "A"
    before = ledger(lib, a)
    with library_lock(context_dir(data), what="undo", wait=0):
        proc = run_cli(data, *archive_argv("oldest", a), LOOKALIKE_LOCK_WAIT="0.2")
        undo = run_cli(data, "undo", LOOKALIKE_LOCK_WAIT="0.2")
    assert proc.returncode == 1
    message = [ln for ln in err_text(proc).splitlines() if "WARNING" not in ln]
    assert message == [f"Another archive or undo is running on this library (process {os.getpid()}, undo); "
                       "nothing was moved. Try again when it has finished."]
    assert undo.returncode == 1 and "Another archive or undo is running" in err_text(undo)
    assert ledger(lib) == before and not a.exists()


# --- 4. Ctrl-C / SIGTERM during an archive = cancel ---------------------------------------------
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_a_signal_mid_archive_cancels_cleanly(tmp_path: Path, data: Path, lib: Path, signame: str) -> None:
    a = tmp_path / "A"
    before = ledger(lib, a)
    # The real signal, delivered to the real process right after its 3rd move.
    proc = run_cli(data, *archive_argv("oldest", a), LOOKALIKE_FAULT=f"after-move:3:{signame}")
    err = err_text(proc)
    assert proc.returncode == 1, err
    result = out_json(proc)["result"]
    assert result["cancelled"] and len(result["moved"]) == 3
    op = result["operation"]
    assert f"Archiving cancelled: 3 of {2 * GROUPS} files were archived" in err
    assert f"undo with: lookalike-cli undo {op}" in err
    assert "interrupted" not in err.lower()
    assert ledger(lib, a) == before
    log = out_json(run_cli(data, "log"))
    assert [(o["operation"], o["status"], o["files"]) for o in log] == [(op, "cancelled", 3)]
    images = out_json(run_cli(data, "contexts"))["Contexts"][0]["Images"]
    assert images == 3 * GROUPS - 3                      # the index forgot the moved files
    assert out_json(run_cli(data, "undo", op))["restored"] and ledger(lib) == before


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
def test_ctrl_c_at_the_terminal_question_means_no(tmp_path: Path, data: Path, lib: Path) -> None:
    """On a terminal (a real pty: Ctrl-C is the terminal's SIGINT), Ctrl-C at "Archive ...?
    [y/N]" answers no: nothing moves, no "Stopping after the current file"."""
    import pty

    a = tmp_path / "A"
    before = ledger(lib, a)
    argv = cli_argv("duplicates", "--threshold", "90", "--keep", "oldest", "--archive-to", a)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI on the pty
        os.execve(sys.executable, [os.fsdecode(x) for x in argv], cli_env(data))
    output = b""
    try:
        while b"[y/N]" not in output:
            chunk = os.read(fd, 4096)
            assert chunk, output.decode(errors="replace")
            output += chunk
        os.write(fd, b"\x03")                                # Ctrl-C, as typed
        while True:
            ready, _, _ = select.select([fd], [], [], 60)
            if not ready:                                    # still asking: Ctrl-C was swallowed
                os.kill(pid, signal.SIGKILL)
                pytest.fail("Ctrl-C at the question did not end the command: " + output.decode(errors="replace"))
            try:
                chunk = os.read(fd, 4096)
            except OSError:                                  # the child closed the pty
                break
            if not chunk:
                break
            output += chunk
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 2, text
    assert "Nothing was moved" in text and "Stopping after" not in text and "Traceback" not in text
    assert ledger(lib, a) == before and not a.exists()


def test_a_signal_mid_undo_cancels_cleanly(tmp_path: Path, data: Path, lib: Path) -> None:
    a = tmp_path / "A"
    before = ledger(lib, a)
    op = out_json(run_cli(data, *archive_argv("oldest", a)))["result"]["operation"]
    proc = run_cli(data, "undo", op, LOOKALIKE_FAULT="undo-after-move:2:SIGINT")
    assert proc.returncode == 1
    assert len(out_json(proc)["restored"]) == 2 and out_json(proc)["cancelled"]
    assert f"run 'lookalike-cli undo {op}' again" in err_text(proc)
    assert ledger(lib, a) == before
    assert len(out_json(run_cli(data, "undo", op))["restored"]) == 2 * GROUPS - 2
    assert ledger(lib) == before


# --- 3. the journal's disk fills up ------------------------------------------------------------
@contextlib.contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    if os.geteuid() != 0 or sys.platform != "linux":
        pytest.skip("mounting a small tmpfs needs root on Linux")
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"can't mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path, leave: int) -> Path:
    """Fill the filesystem of ``folder``, then give ``leave`` bytes back."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while os.write(fd, b"\1" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.ftruncate(fd, max(os.fstat(fd).st_size - leave, 0))
        os.close(fd)
    return filler


@pytest.mark.parametrize("leave", [2048, 4096, 6144, 8192])
def test_a_full_journal_disk_never_loses_track_of_a_file(tmp_path: Path, data: Path, lib: Path, leave: int) -> None:
    a = tmp_path / "A"
    before = ledger(lib, a)
    operations = context_dir(data) / "operations"
    with small_tmpfs(operations, "256k"):
        filler = fill(operations, leave)
        proc = run_cli(data, *archive_argv("oldest", a))
        err = err_text(proc)
        assert "Traceback" not in err and "unexpected" not in err
        assert ledger(lib, a) == before
        moved_now = sorted(p.name for p in a.rglob("*.jpg")) if a.exists() else []
        if proc.returncode != 0:
            assert "No space left on device" in err
        filler.unlink()                                   # the user frees space
        undo = run_cli(data, "undo")
        assert "Traceback" not in err_text(undo)
        if moved_now:
            assert undo.returncode == 0, err_text(undo)
            assert sorted(os.path.basename(p) for p in out_json(undo)["restored"]) == moved_now
        assert ledger(lib, a) == before
        assert not a.exists() or not list(a.rglob("*.jpg"))   # nothing left behind in the archive
        assert photos_left(lib) == Counter({n: 3 for n in ("astronaut", "coffee", "chelsea", "rocket")})


@pytest.mark.parametrize("leave", [16384, 49152, 65536])  # fails at: the database, the journal, the index update
def test_a_full_data_folder_never_loses_track_of_a_file(tmp_path: Path, leave: int) -> None:
    """The whole data folder (database and journal) on a small filesystem that fills up."""
    lib = make_library(tmp_path / "lib", copies=2)
    a = tmp_path / "A"
    before = ledger(lib, a)
    with small_tmpfs(tmp_path / "data", "8m") as data:
        assert run_cli(data, "index", lib, "--workers", "1").returncode == 0
        assert run_cli(data, "duplicates").returncode == 0
        filler = fill(data, leave)
        proc = run_cli(data, *archive_argv("oldest", a))
        err = err_text(proc)
        assert "Traceback" not in err and "unexpected" not in err, err
        assert ledger(lib, a) == before
        moved_now = sorted(p.name for p in a.rglob("*.jpg")) if a.exists() else []
        filler.unlink()
        if moved_now:
            undo = run_cli(data, "undo")
            assert undo.returncode == 0, err_text(undo)
            assert sorted(os.path.basename(p) for p in out_json(undo)["restored"]) == moved_now
        assert ledger(lib, a) == before and (not a.exists() or not list(a.rglob("*.jpg")))
        assert len(list(lib.rglob("*.jpg"))) == 3 * GROUPS


# --- 9. damaged journal lines ------------------------------------------------------------------
def test_binary_and_wrongly_typed_journal_lines_are_skipped_and_reported(tmp_path: Path, data: Path, lib: Path) -> None:
    a = tmp_path / "A"
    before = ledger(lib, a)
    op = out_json(run_cli(data, *archive_argv("oldest", a)))["result"]["operation"]
    journal = context_dir(data) / "operations" / f"{op}.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    done_lines = [i for i, ln in enumerate(lines) if b'"type": "done"' in ln]
    lines[done_lines[0]] = b"\x00\xff\xfe binary garbage \x89PNG\n"            # a done record lost
    lines.insert(1, b'{"type": "done", "seq": "zero", "place": 7}\n')            # wrong types
    lines.insert(2, b'{"type": "intent", "seq": 99, "source": ["x"], "destination": null}\n')
    lines.insert(3, b'[1, 2, 3]\n')
    lines.append(b'{"type": "end", "sta')                                        # torn
    journal.write_bytes(b"".join(lines))
    log = run_cli(data, "log")
    assert log.returncode == 0 and "Traceback" not in err_text(log)
    assert f"The journal of operation {op} has 5 unreadable line(s)" in err_text(log)
    assert out_json(log)[0]["operation"] == op
    assert run_cli(data, "log", "--csv").returncode == 0
    undo = run_cli(data, "undo", op)
    assert undo.returncode == 0, err_text(undo)
    assert "unreadable line(s)" in err_text(undo)
    assert len(out_json(undo)["restored"]) == 2 * GROUPS   # the one whose "done" was lost too
    assert ledger(lib, a) == before and not list(a.rglob("*.jpg"))
    # The marks' origins file beside the journal, damaged the same ways: a review still opens.
    from desktop_app.workflow.session import ORIGINS_FILE
    (context_dir(data) / ORIGINS_FILE).write_bytes(b'\x00\xff garbage\n[1, 2]\n"text"\n{"a.jpg": "hand"}\n')
    again = run_cli(data, *dry_run_argv("oldest", a))
    assert again.returncode == 0, err_text(again)

"""Files that are not what their names say never hang, exhaust memory or crash (issue 11,
items 5, 6, 7, 10): pipes, links to devices, huge non-photos named .jpg, a file replaced by a
pipe after the folder walk, a 1 x 20000 px image. Real processes throughout."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.context.file_guard import FileTimeout, file_deadline
from desktop_app.context.analysis import analyze_job
from desktop_app.engine.file_read import MAX_FILE_BYTES, read_image_file
from desktop_app.errors import DecodeError
from tests.guarantees.conftest import ROOT, cli_env, err_text, make_library, out_json, run_cli
from tests.unit.conftest import save_photo

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
GiB = 1 << 30


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return save_photo(tmp_path / "ref.jpg", "coffee")


@posix_only
@pytest.mark.parametrize("command", ["compare", "similar"])
def test_compare_and_similar_refuse_a_pipe_and_a_link_to_dev_zero(tmp_path: Path, data: Path, photo: Path,
                                                                  command: str) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.jpg"
    zero.symlink_to("/dev/zero")
    lib = make_library(tmp_path / "lib", copies=0, names=("coffee",))
    assert run_cli(data, "index", lib, "--workers", "1").returncode == 0
    for hostile, kind in ((fifo, "named pipe"), (zero, "device")):
        args = [hostile, photo] if command == "compare" else [hostile]
        started = time.monotonic()
        proc = run_cli(data, command, *args, timeout=60)
        assert time.monotonic() - started < 60
        assert proc.returncode == 1
        message = err_text(proc).strip()
        assert f"is a {kind}, not a photo file" in message and str(hostile) in message
        assert "Traceback" not in message and len(message.splitlines()) == 1


def _peak_rss_of(argv: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[bytes], int]:
    """Run ``argv`` from a fresh helper process and return (result, peak RSS in bytes of the
    command and everything it waited for)."""
    helper = textwrap.dedent("""
        import resource, subprocess, sys, json
        proc = subprocess.run(sys.argv[1:], capture_output=True)
        sys.stdout.buffer.write(proc.stdout)
        sys.stderr.buffer.write(proc.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        sys.stderr.write("\\nPEAK_RSS_KB=%d\\n" % peak)
        sys.exit(proc.returncode)
    """)
    proc = subprocess.run([sys.executable, "-c", helper, *argv], env=env, capture_output=True, timeout=300, cwd=ROOT)
    line = [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("PEAK_RSS_KB=")][-1]
    return proc, int(line.split("=")[1]) * 1024


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_6_gib_file_named_jpg_is_refused_without_being_read(tmp_path: Path, data: Path, workers: str) -> None:
    lib = make_library(tmp_path / "lib", copies=1, names=("coffee",))
    zeros = lib / "not a photo.jpg"
    with open(zeros, "wb") as f:
        f.truncate(6 * GiB)                      # sparse: costs no disk
    fake_jpeg = lib / "huge.jpg"
    with open(fake_jpeg, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0")             # starts like a JPEG
        f.truncate(6 * GiB)
    # spawned workers: children of the CLI, so RUSAGE_CHILDREN sees what they read (forkserver
    # workers are the server's children; the read path in the worker is the same code)
    env = cli_env(data, LOOKALIKE_WORKER_START="spawn")
    argv = [sys.executable, "-m", "desktop_app.cli", "index", str(lib), "--workers", workers]
    proc, peak = _peak_rss_of(argv, env)
    assert proc.returncode == 0, proc.stderr.decode()
    report = out_json(proc)
    reasons = {os.path.basename(s["Path"]): s["Reason"] for s in report["Skipped"]}
    assert "not an image" in reasons["not a photo.jpg"] and "not read" in reasons["not a photo.jpg"]
    assert "too large for a JPEG" in reasons["huge.jpg"]
    assert report["Images"] == 2
    assert peak < 300 * (1 << 20), f"peak RSS {peak / (1 << 20):.0f} MB"   # measured: 93 MB


def test_read_image_file_never_reads_past_the_format_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(MAX_FILE_BYTES["PNG"] + 1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DecodeError, match="too large for a PNG"):
        read_image_file(str(big))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KB: nothing read


@posix_only
def test_a_file_replaced_by_a_pipe_after_the_walk_does_not_hang_the_pool(tmp_path: Path, data: Path) -> None:
    """The walk sees a regular file; by the time a worker opens it, it is a pipe with no
    writer (a blocking open would wait forever). The run finishes and reports the file."""
    lib = make_library(tmp_path / "lib", copies=1, names=("coffee", "rocket"))
    victim = lib / "rocket.jpg"
    script = textwrap.dedent(f"""
        import os, sys, json
        from desktop_app.context import scan, indexer
        from desktop_app.context.store import ContextStore
        real_walk = scan.walk_images
        def walk_then_swap(roots, **kw):
            found = list(real_walk(roots, **kw))
            victim = {str(victim)!r}
            os.unlink(victim)
            os.mkfifo(victim)        # replaced after the walk saw a photo there
            yield from found
        indexer.walk_images = walk_then_swap
        store = ContextStore({str(data / 'db.sqlite')!r})
        ctx = store.create("lib", folders=[{str(lib)!r}])
        report = ctx.index(workers=2)
        print(json.dumps({{"images": ctx.image_count(),
                           "skipped": [[s.path, s.reason] for s in report.skipped]}}))
    """)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], env=cli_env(data), capture_output=True, timeout=240, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    assert time.monotonic() - started < 240
    result = out_json(proc)
    assert result["images"] == 3
    assert [[str(victim), "is a named pipe, not a photo file"]] == result["skipped"]


@posix_only
def test_the_per_file_time_limit_interrupts_a_stuck_read(tmp_path: Path) -> None:
    fifo = tmp_path / "stuck"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(fifo, os.O_WRONLY)          # a writer that never writes: reads block
    os.set_blocking(reader, True)
    try:
        started = time.monotonic()
        with pytest.raises(FileTimeout):
            with file_deadline(0.3):
                os.read(reader, 1)
        assert time.monotonic() - started < 5
    finally:
        os.close(reader)
        os.close(writer)


@posix_only
def test_a_worker_past_its_time_limit_marks_the_file_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.engine import analyze

    fifo = tmp_path / "stuck"
    os.mkfifo(fifo)
    writer_side = os.open(fifo, os.O_RDWR)       # keeps the pipe open: a blocking read waits

    def stuck(path: str) -> None:
        with open(fifo, "rb") as f:
            f.read(1)

    monkeypatch.setattr(analyze, "analyze_file", stuck)
    monkeypatch.setenv("LOOKALIKE_FILE_TIMEOUT", "0.5")
    try:
        outcome = analyze_job(str(tmp_path / "photo.jpg"))
    finally:
        os.close(writer_side)
    assert outcome.kind == "skip" and outcome.reason == "took longer than 0.5 s to read" and outcome.transient


@pytest.mark.skipif(not hasattr(os, "fork"), reason="SIGALRM time limits are POSIX")
def test_a_file_stuck_in_a_worker_process_is_skipped_after_the_time_limit(tmp_path: Path, data: Path) -> None:
    """A real index run on the process pool: one file's analysis never ends (a dead network
    share, say; simulated by a sitecustomize hook loaded in every worker). The run ends, the file
    is reported skipped with the reason, the others are indexed."""
    lib = make_library(tmp_path / "lib", copies=1, names=("coffee", "rocket"))
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(textwrap.dedent("""
        import os, time
        if os.environ.get("LOOKALIKE_TEST_STUCK"):
            import desktop_app.engine.analyze as analyze
            real = analyze.analyze_file
            def stuck(path):
                if os.path.basename(os.fspath(path)) == os.environ["LOOKALIKE_TEST_STUCK"]:
                    time.sleep(3600)
                return real(path)
            analyze.analyze_file = stuck
    """))
    env = cli_env(data, LOOKALIKE_TEST_STUCK="rocket.jpg", LOOKALIKE_FILE_TIMEOUT="2")
    env["PYTHONPATH"] = os.pathsep.join([str(hooks), env["PYTHONPATH"]])
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "desktop_app.cli", "index", str(lib), "--workers", "2"],
                          env=env, capture_output=True, timeout=240, cwd=ROOT)
    assert proc.returncode == 0, err_text(proc)
    assert time.monotonic() - started < 120
    report = out_json(proc)
    assert report["Images"] == 3
    assert [(os.path.basename(s["Path"]), s["Reason"]) for s in report["Skipped"]] == [
        ("rocket.jpg", "took longer than 2 s to read")]


def test_a_one_pixel_thin_image_is_skipped_with_a_reason(tmp_path: Path, data: Path, photo: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    Image.new("RGB", (1, 20000), (120, 60, 30)).save(lib / "tall.png")
    Image.new("RGB", (20000, 1), (20, 60, 130)).save(lib / "wide.jpg")
    Image.new("RGB", (100, 20000), (20, 60, 130)).save(lib / "thin but ok.png")  # 3 px wide at work size
    proc = run_cli(data, "index", lib, "--workers", "1")
    assert proc.returncode == 0 and "Traceback" not in err_text(proc) and "unexpected" not in err_text(proc)
    reasons = {os.path.basename(s["Path"]): s["Reason"] for s in out_json(proc)["Skipped"]}
    assert reasons == {"tall.png": "image too thin to compare (1 x 20000 pixels)",
                       "wide.jpg": "image too thin to compare (20000 x 1 pixels)"}
    proc = run_cli(data, "compare", lib / "tall.png", photo)
    assert proc.returncode == 1 and "too thin to compare" in err_text(proc) and "Traceback" not in err_text(proc)

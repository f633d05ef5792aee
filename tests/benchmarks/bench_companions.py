"""Companions and the information-loss guard at scale: plan, archive and undo N units.

Run: ``nice python tests/benchmarks/bench_companions.py [--units 1000]`` (prints figures). Each
unit is a 320x240 JPEG copy with an ``.xmp`` (a rating) and an ``.AAE`` beside it, its kept twin
in the same folder; every tenth copy alone has a GPS position. Files are generated in a temporary
folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from desktop_app.context.companions import scan_companions
from desktop_app.workflow.archive import execute, plan_archive
from desktop_app.workflow.recovery import undo
from tests.unit.workflow.helpers import group, member
from tests.unit.workflow.photo_files import aae, jpeg, xmp


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    n = parser.parse_args().units
    base = Path(tempfile.mkdtemp(prefix="bench_companions_"))
    try:
        lib, archive, data = base / "lib", base / "archive", base / "data"
        groups = []
        for i in range(n):
            folder = lib / f"f{i // 100}"
            folder.mkdir(parents=True, exist_ok=True)
            keep, copy = folder / f"K_{i:05d}.JPG", folder / f"IMG_{i:05d}.JPG"
            keep.write_bytes(jpeg(i % 50, size=(320, 240)))
            copy.write_bytes(jpeg(i % 50, gps=i % 10 == 0, size=(320, 240)))
            (folder / f"IMG_{i:05d}.xmp").write_bytes(xmp(rating=1, tag=str(i)))
            (folder / f"IMG_{i:05d}.AAE").write_bytes(aae(str(i)))
            groups.append(group(member(keep, lib), member(copy, lib), archive=[1], index=i))
        t = time.perf_counter()
        found = scan_companions([str(lib)])
        print(f"scan_companions: {len(found)} companions of {2 * n} photos in {time.perf_counter() - t:.3f} s")
        for guard in (False, True):
            t = time.perf_counter()
            plan = plan_archive(groups, archive, guard=guard)
            print(f"plan_archive guard={guard}: {time.perf_counter() - t:.3f} s "
                  f"({plan.files} photos + {plan.companions} companions, {len(plan.flagged)} flagged)")
        t = time.perf_counter()
        result = execute(plan, log_dir=data)
        print(f"execute: {time.perf_counter() - t:.3f} s, {len(result.moved)} files moved")
        t = time.perf_counter()
        back = undo(data)
        print(f"undo: {time.perf_counter() - t:.3f} s, {len(back.restored)} files restored")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

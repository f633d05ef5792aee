"""Time to show 10,000 duplicate groups in the group grid and paint the last page.

Run: ``QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_group_view.py`` (prints figures;
the UI tests assert behaviour only). Target: well under 2 s on a slow laptop — the view keeps no
widget per row, so the cost is the model reset and painting one screen.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.ui.duplicates.group_model import GroupListModel  # noqa: E402
from desktop_app.ui.duplicates.group_view import GroupView  # noqa: E402
from desktop_app.workflow.groups import DuplicateGroup, Member  # noqa: E402


def make_groups(count: int, size: int = 3) -> list[DuplicateGroup]:
    """``count`` synthetic groups of ``size`` members (no files needed: paint only)."""
    return [
        DuplicateGroup(tuple(
            Member(path=f"/lib/g{g}/img_{i}.jpg", image_id=g * size + i, width=4000 - 100 * i, height=3000,
                   format="JPEG", size=2_000_000 - 1000 * i, root="/lib", similarity=100.0 if i == 0 else 97.0 - i)
            for i in range(size)), index=g)
        for g in range(count)
    ]


def main(count: int = 10_000) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    view = GroupView()
    view.setModel(GroupListModel())
    view.resize(900, 600)
    view.show()
    groups = make_groups(count)
    start = time.perf_counter()
    view.group_model().set_groups(groups)
    loaded = time.perf_counter() - start
    view.set_current(count - 1)
    view.grab()
    total = time.perf_counter() - start
    print(f"{count:,} groups: set_groups {loaded * 1000:.0f} ms; + scroll to the last and paint {total * 1000:.0f} ms")
    view.close()
    app.processEvents()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

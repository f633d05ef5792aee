"""The Duplicates page's "Archive N files (size)" button counts what the plan moves — the marked
photos plus the companion files (.AAE, Live Photo video, .xmp) that travel with them — so it says
what the confirmation says; the count is made off the GUI thread."""

from __future__ import annotations

import os
import threading

from desktop_app.formatting import format_bytes
from desktop_app.workflow.archive import Trash
from desktop_app.workflow.session import ReviewSession
from tests.ui.archive.test_companions_window import _photo
from tests.ui.conftest import wait_scan_done


def test_button_and_dialog_agree_on_files_and_bytes_with_companions(qtbot, make_window, confirm, tmp_path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch) -> None:
    from skimage import data

    root = tmp_path / "Library"
    old = 1_600_000_000
    _photo(root / "Best/IMG_0001.JPG", data.astronaut())
    _photo(root / "Phone/IMG_0001.JPG", data.astronaut())
    (root / "Phone/IMG_0001.AAE").write_bytes(b"<plist>phone edits</plist>" * 40)
    (root / "Phone/IMG_0001.MOV").write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 50_000)
    for p in (root / "Best").iterdir():
        os.utime(p, (old, old))   # the older copy is the original the proposal keeps
    counted_on: list[threading.Thread] = []
    real = ReviewSession.archive_totals

    def recording(self: ReviewSession, *args, **kw):  # type: ignore[no-untyped-def]
        counted_on.append(threading.current_thread())
        return real(self, *args, **kw)

    monkeypatch.setattr(ReviewSession, "archive_totals", recording)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    photo = str(root / "Phone/IMG_0001.JPG")
    assert [m.path for g in page.model.groups() for m in g.archived] == [photo]
    qtbot.waitUntil(lambda: not page.executor.busy)
    photo_bytes = os.path.getsize(photo)
    with_companions = photo_bytes + os.path.getsize(root / "Phone/IMG_0001.AAE") + os.path.getsize(root / "Phone/IMG_0001.MOV")
    assert format_bytes(with_companions) != format_bytes(photo_bytes)   # the test can tell them apart
    assert page.detect.archive_button.text() == f"Archive 1 file ({format_bytes(with_companions)})"
    assert page.selection_summary()[1:] == (1, with_companions)
    assert counted_on and all(t is not threading.main_thread() for t in counted_on)
    # the confirmation: the same photo, the same bytes
    confirm.answer = None
    with qtbot.waitSignal(page.archive.summary_ready, timeout=60000):
        page.detect.archive_button.click()
    entries = confirm.calls[-1][0]
    assert sum(1 for e in entries if not e.companion_of) == 1 and sum(e.size for e in entries) == with_companions
    assert page.session.plan(Trash()).bytes_freed == with_companions

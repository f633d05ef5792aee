"""View → Orphan Sidecars lists sidecars whose photo is gone, from the last scan; nothing is deleted."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import wait_scan_done
from tests.ui.photos import content_multiset


def test_orphan_sidecars_are_listed_and_left_alone(qtbot, make_window, library) -> None:  # type: ignore[no-untyped-def]
    root = library[0]
    orphan = root / "IMG_4242.JPG.xmp"
    orphan.write_bytes(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    aae = root / "IMG_4243.AAE"
    aae.write_bytes(b"<plist/>")
    before = content_multiset(root)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    revealed: list[str] = []
    window.show_orphans()
    dialog = window.orphans_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reveal_file = lambda path: revealed.append(path)  # no file manager in the test
    assert sorted(Path(c.path).name for c in dialog.model.rows()) == ["IMG_4242.JPG.xmp", "IMG_4243.AAE"]
    assert "2 sidecar file(s) whose photo is gone" in dialog.summary.text()
    dialog.view.selectRow(1)
    dialog.reveal_button.click()
    assert revealed == [str(aae)]
    assert content_multiset(root) == before and orphan.exists()

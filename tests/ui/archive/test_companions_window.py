"""From the window: a phone copy with its iPhone companions and a phone copy that alone has its
GPS position. The dialog's answer "keep it" keeps that copy (and its companions) in the library;
the other copy leaves with its .AAE and Live Photo video; Undo brings the whole unit back."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from desktop_app.workflow.archive import ArchiveFolder
from tests.ui.conftest import wait_scan_done
from tests.ui.photos import content_multiset


def _photo(path: Path, arr: np.ndarray, *, gps: bool = False, quality: int = 92) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Apple", "iPhone 12"
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.6), 3: "E", 4: (2.0, 17.0, 40.2)}
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def test_window_archives_units_and_keeps_the_flagged_copy(qtbot, make_window, confirm, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from skimage import data

    root, archive = tmp_path / "Library", tmp_path / "Archive"
    old = 1_600_000_000
    _photo(root / "Best/IMG_0001.JPG", data.astronaut())
    _photo(root / "Phone/IMG_0001.JPG", data.astronaut())
    (root / "Phone/IMG_0001.AAE").write_bytes(b"<plist>phone edits</plist>")
    (root / "Best/IMG_0001.AAE").write_bytes(b"<plist>kept edits</plist>")
    (root / "Phone/IMG_0001.MOV").write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 5000)
    _photo(root / "Best/IMG_0002.JPG", data.coffee(), quality=97)
    _photo(root / "Phone/IMG_0002.JPG", data.coffee(), gps=True, quality=85)
    (root / "Phone/IMG_0002.JPG.xmp").write_bytes(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>')
    for p in (root / "Best").iterdir():
        os.utime(p, (old, old))   # the older copies are the originals the proposal keeps
    before = content_multiset(root, archive)
    window = make_window()
    window.open_folders([str(root)])
    wait_scan_done(qtbot, window)
    page = window.duplicates
    assert {os.path.basename(m.path) for g in page.model.groups() for m in g.archived} == {"IMG_0001.JPG", "IMG_0002.JPG"}
    flagged = str(root / "Phone/IMG_0002.JPG")
    confirm.answer = (ArchiveFolder(str(archive)), (flagged,))   # the dialog: "keep it instead"
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        page.archive_marked()
    entries = confirm.calls[-1][0]
    assert next(e for e in entries if e.source == flagged).loses == ("GPS position",)
    assert sorted(p.name for p in (archive / "Phone").iterdir()) == ["IMG_0001.AAE", "IMG_0001.JPG", "IMG_0001.MOV"]
    assert (root / "Phone/IMG_0002.JPG").exists() and (root / "Phone/IMG_0002.JPG.xmp").exists()
    assert (root / "Best/IMG_0001.AAE").exists()
    said = page.messages.text()
    assert "with 2 companion file(s)" in said and "1 kept in the library, as you chose" in said
    assert "changed since the scan" not in said
    assert content_multiset(root, archive) == before
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        window.undo_action.trigger()
    assert (root / "Phone/IMG_0001.MOV").exists() and (root / "Phone/IMG_0001.AAE").exists()
    assert content_multiset(root, archive) == before

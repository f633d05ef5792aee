"""Companion files found by name (both XMP styles, .AAE, Live Photo .MOV, RAW+JPEG sharing a
sidecar), stored by the scan, and orphan sidecars listed (never deleted)."""

from __future__ import annotations

from pathlib import Path

from desktop_app.context.companions import DiskCompanions, match_folder, scan_companions
from desktop_app.context.store import ContextStore
from tests.unit.conftest import save_photo

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'


def test_both_xmp_styles_aae_live_video_and_thm_belong_to_their_photo() -> None:
    found = match_folder(["IMG_0001.JPG", "img_0001.xmp", "IMG_0001.JPG.XMP", "IMG_0001.AAE",
                          "IMG_0001.mov", "IMG_0001.THM", "IMG_0001.pp3", "notes.txt"])
    assert found == {n: ["IMG_0001.JPG"] for n in
                     ["img_0001.xmp", "IMG_0001.JPG.XMP", "IMG_0001.AAE", "IMG_0001.mov", "IMG_0001.THM", "IMG_0001.pp3"]}


def test_raw_and_jpeg_share_the_stem_sidecar_but_not_the_name_style_one() -> None:
    found = match_folder(["IMG_0002.CR2", "IMG_0002.JPG", "IMG_0002.xmp", "IMG_0002.CR2.xmp", "IMG_0002.CR2.dop"])
    assert found["IMG_0002.xmp"] == ["IMG_0002.CR2", "IMG_0002.JPG"]
    assert found["IMG_0002.CR2.xmp"] == ["IMG_0002.CR2"]
    assert found["IMG_0002.CR2.dop"] == ["IMG_0002.CR2"]


def test_an_unclaimed_sidecar_is_an_orphan_but_a_lone_video_is_just_a_video() -> None:
    found = match_folder(["IMG_0003.xmp", "IMG_0004.MOV", "IMG_0005.HEIC", "IMG_0005.JPG.xmp"])
    assert found == {"IMG_0003.xmp": [], "IMG_0005.JPG.xmp": []}


def test_disk_companions_reads_the_folders_as_they_are(tmp_path: Path) -> None:
    photo = save_photo(tmp_path / "a" / "IMG_0001.jpg", "astronaut")
    (tmp_path / "a" / "IMG_0001.xmp").write_bytes(XMP)
    (tmp_path / "a" / "IMG_0001.MOV").write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 64)
    got = DiskCompanions().companions([str(photo)])[str(photo)]
    assert [(Path(c.path).name, c.kind, c.photos) for c in got] == [
        ("IMG_0001.MOV", "live", (str(photo),)), ("IMG_0001.xmp", "xmp", (str(photo),))]
    assert all(c.size == Path(c.path).stat().st_size for c in got)


def test_scan_stores_companions_and_lists_orphans_without_deleting_them(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    photo = save_photo(lib / "2024" / "IMG_0001.jpg", "astronaut")
    (lib / "2024" / "IMG_0001.JPG.xmp").write_bytes(XMP)
    orphan = lib / "2024" / "IMG_0009.xmp"
    orphan.write_bytes(XMP)
    gone = lib / "empty" / "IMG_0010.AAE"
    gone.parent.mkdir()
    gone.write_bytes(b"<plist/>")
    with ContextStore(tmp_path / "db.sqlite") as store:
        ctx = store.create("t", [lib])
        ctx.index(workers=1)
        assert [Path(c.path).name for c in ctx.companions([str(photo)])[str(photo)]] == ["IMG_0001.JPG.xmp"]
        assert sorted(Path(c.path).name for c in ctx.orphans()) == ["IMG_0009.xmp", "IMG_0010.AAE"]
        assert orphan.exists() and gone.exists()
        # The photo of IMG_0001.JPG.xmp is deleted outside Lookalike: its sidecar becomes an orphan.
        photo.unlink()
        ctx.index(workers=1)
        assert sorted(Path(c.path).name for c in ctx.orphans()) == ["IMG_0001.JPG.xmp", "IMG_0009.xmp", "IMG_0010.AAE"]
        # Archived with its photo (forgotten): neither companion nor orphan any more.
        ctx.forget([str(lib / "2024" / "IMG_0001.JPG.xmp")])
        assert "IMG_0001.JPG.xmp" not in {Path(c.path).name for c in ctx.orphans()}


def test_scan_companions_skips_archive_folders(tmp_path: Path) -> None:
    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / ".lookalike-archive").write_text("x")
    (tmp_path / "arch" / "IMG_1.xmp").write_bytes(XMP)
    (tmp_path / "IMG_2.xmp").write_bytes(XMP)
    assert [Path(c.path).name for c in scan_companions([str(tmp_path)])] == ["IMG_2.xmp"]

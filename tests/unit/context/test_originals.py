"""Originals and relation labels through a real context: the camera file is the original."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore
from tests.provenance_library import BY_NAME, DAY, camera_file, write_derivative
from tests.unit.conftest import sample

T0 = 1_600_000_000 * 10**9

# photo -> derivatives written next to its camera file (each scenario in its own group)
SCENARIOS = {
    "coffee": ["letterboxed export", "thumbnail 25", "png conversion"],
    "chelsea": ["bordered copy", "sharpened"],
    "rocket": ["tiff conversion", "gamma", "black and white"],
}


@pytest.fixture(scope="module")
def library_ctx(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("originals")
    lib = tmp / "library"
    for n, (photo, derivatives) in enumerate(SCENARIOS.items()):
        # Derivatives are named and dated to come first in any naive order.
        data = camera_file(lib / "Camera" / f"IMG_{n:04d}.JPG", sample(photo), mtime_ns=T0 + n)
        for i, name in enumerate(derivatives):
            write_derivative(lib / "Exports" / f"{photo} {i}", data, BY_NAME[name],
                             mtime_ns=T0 + DAY + i)
    # An EXIF-rotated camera file (stored on its side, orientation 6) and an export whose
    # pixels were rotated instead (no EXIF): they look the same.
    data = camera_file(lib / "Camera" / "IMG_0100.JPG", sample("astronaut"), mtime_ns=T0,
                       orientation=6)
    write_derivative(lib / "Exports" / "astronaut upright", data, BY_NAME["recompressed"],
                     mtime_ns=T0 + DAY)
    store = ContextStore(tmp / "db" / "lookalike.sqlite")
    ctx = store.create("originals", [lib])
    ctx.index(workers=1)
    yield ctx
    store.close()


def test_the_camera_file_is_the_original_of_every_group(library_ctx: SearchContext) -> None:
    groups = library_ctx.find_duplicates(threshold=70)
    assert len(groups) == 4
    for group in groups:
        assert group.original.path.split("/")[-2] == "Camera", [m.image.name for m in group.members]
        assert group.original.facts.camera
        assert group.relations[0].kind.value == "original"
        assert group.reason.startswith("camera file")


def test_every_member_has_its_relation(library_ctx: SearchContext) -> None:
    groups = library_ctx.find_duplicates(threshold=70)
    seen = {}
    for group in groups:
        for member, rel in zip(group.members[1:], group.relations[1:]):
            seen[member.image.name] = rel
    expected = {f"{photo} {i}": BY_NAME[name].relation for photo, names in SCENARIOS.items()
                for i, name in enumerate(names)}
    expected["astronaut upright"] = "recompressed"
    got = {name.rsplit(".", 1)[0]: rel.kind.value for name, rel in seen.items()}
    assert got == expected
    letterbox = next(r for n, r in seen.items() if n.startswith("coffee 0"))
    assert letterbox.label.startswith("letterbox added")
    assert next(r for n, r in seen.items() if n.startswith("coffee 1")).label == "resized to 25 %"


def test_a_group_does_not_split_around_a_derivative(library_ctx: SearchContext) -> None:
    # At every threshold, every file scoring at or above it against the camera file is in the
    # camera file's group (the letterboxed export, first by pixels, never takes the centre).
    pairs = library_ctx.scored_pairs()
    for threshold in (70, 80, 85, 90, 95):
        groups = library_ctx.find_duplicates(threshold=threshold, pairs=pairs)
        for group in groups:
            cam = group.original
            ids = {m.image.id for m in group.members}
            for a, b, s in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.score.tolist()):
                if s >= threshold and cam.id in (a, b):
                    assert (b if a == cam.id else a) in ids, (threshold, cam.name)


def test_a_letterboxed_export_first_by_pixels_does_not_split_the_group(tmp_path: Path) -> None:
    # No EXIF anywhere: by the facts alone the letterboxed export (most pixels) comes first.
    # The thumbnail scores >= 90 against the source only; it must join the source's group.
    from PIL import Image

    from tests.provenance_library import encode

    lib = tmp_path / "library"
    lib.mkdir()
    source = lib / "scan.jpg"
    source.write_bytes(encode(Image.fromarray(sample("chelsea"))))
    import os
    os.utime(source, ns=(T0, T0))
    data = source.read_bytes()
    for i, name in enumerate(["letterboxed export", "thumbnail 25", "png conversion"]):
        write_derivative(lib / name, data, BY_NAME[name], mtime_ns=T0 + DAY + i)
    store = ContextStore(tmp_path / "db.sqlite")
    try:
        ctx = store.create("split", [lib])
        ctx.index(workers=1)
        pairs = ctx.scored_pairs()
        ids = {r.name: r.id for r in ctx.images()}
        score = {frozenset((a, b)): s for a, b, s in zip(pairs.a.tolist(), pairs.b.tolist(),
                                                          pairs.score.tolist())}
        box, thumb = ids["letterboxed export.jpg"], ids["thumbnail 25.jpg"]
        assert score.get(frozenset((box, thumb)), 0.0) < 90 <= score[frozenset((ids["scan.jpg"], thumb))]
        for threshold in (90, 80, 70):
            groups = ctx.find_duplicates(threshold=threshold, pairs=pairs)
            source_group = next(g for g in groups if g.original.name == "scan.jpg")
            names = {m.image.name for m in source_group.members}
            assert {"thumbnail 25.jpg", "png conversion.png"} <= names, threshold
            assert len(groups) == 1
            assert source_group.reason.startswith("no camera data, oldest file")
    finally:
        store.close()


@pytest.mark.parametrize("copy_path", ["Backup/IMG_0001.JPG", "Camera/IMG_0001 copy.JPG",
                                       "Camera/IMG_0001 (1).JPG", "Exports/IMG_0001.JPG"])
def test_of_byte_identical_copies_the_one_not_named_a_copy_is_the_original(
        tmp_path: Path, copy_path: str) -> None:
    # Same bytes, same dates (a copy that kept its mtime): only the names tell them apart, and
    # "Backup", "Exports", "copy" and "(1)" say which one is the copy, whatever the path order.
    lib = tmp_path / "library"
    camera = lib / "Camera" / "IMG_0001.JPG"
    camera_file(camera, sample("chelsea"), mtime_ns=T0)
    copy = lib / copy_path
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(camera.read_bytes())
    import os
    os.utime(copy, ns=(T0, T0))
    store = ContextStore(tmp_path / "db.sqlite")
    try:
        ctx = store.create("copies", [lib])
        ctx.index(workers=1)
        (group,) = ctx.find_duplicates(threshold=90)
        assert group.original.path == str(camera)
        assert [m.image.path for m in group.members] == [str(camera), str(copy)]
    finally:
        store.close()

"""Relation labels and the original rule on real files: a camera JPEG and its derivatives."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.engine import similarity
from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.provenance import Candidate, choose_original
from desktop_app.engine.relation import Relation, RelationKind, relate
from desktop_app.engine.types import AnalyzedImage
from tests.provenance_library import BY_NAME, DAY, DERIVATIVES, camera_file, write_derivative
from tests.unit.conftest import sample

CAMERA_MTIME = 1_600_000_000 * 10**9


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AnalyzedImage]:
    """The camera file of 'coffee' and one file per derivative, analysed."""
    tmp = tmp_path_factory.mktemp("relation")
    data = camera_file(tmp / "camera.jpg", sample("coffee"), mtime_ns=CAMERA_MTIME)
    out = {"camera": analyze_file(tmp / "camera.jpg")}
    for i, d in enumerate(DERIVATIVES):
        path = write_derivative(tmp / f"d{i}", data, d, mtime_ns=CAMERA_MTIME + DAY)
        out[d.name] = analyze_file(path)
    return out


def _relation(a: AnalyzedImage, b: AnalyzedImage) -> Relation:
    return relate(a.facts, a.features, b.facts, b.features,
                  similarity.compare_features(a.features, b.features),
                  same_bytes=a.content_hash == b.content_hash, size_a=a.size, size_b=b.size)


@pytest.mark.parametrize("name", [d.name for d in DERIVATIVES])
def test_each_relation_label_on_its_own_pair(files: dict[str, AnalyzedImage], name: str) -> None:
    rel = _relation(files["camera"], files[name])
    assert rel.kind.value == BY_NAME[name].relation, rel.label
    assert rel.proposes_archive == BY_NAME[name].proposed, rel.label


def test_labels_carry_the_figures(files: dict[str, AnalyzedImage]) -> None:
    cam = files["camera"]
    assert _relation(cam, files["thumbnail 25"]).label == "resized to 25 %"
    assert _relation(cam, files["rotated 90"]).label == "rotated 90°"      # not "cropped"
    assert _relation(cam, files["rotated 180"]).label == "rotated 180°"
    crop = _relation(cam, files["crop 70"])
    assert crop.label.startswith("cropped to ") and 0.66 <= crop.kept_area <= 0.74
    box = _relation(cam, files["letterboxed export"])
    assert box.label.startswith("letterbox added") and 0.15 <= box.border_share <= 0.25
    assert _relation(cam, files["bordered copy"]).label.startswith("border added")
    assert _relation(cam, files["png conversion"]).label == "same pixels (PNG)"
    assert _relation(cam, files["straightened"]).label == "straightened 4°"


def test_the_reverse_relations_say_the_original_derives_from_the_camera_file(
        files: dict[str, AnalyzedImage]) -> None:
    cam = files["camera"]
    assert _relation(files["crop 70"], cam).kind is RelationKind.LARGER_VIEW
    assert _relation(files["letterboxed export"], cam).kind is RelationKind.WITHOUT_BORDER
    assert _relation(files["black and white"], cam).kind is RelationKind.IN_COLOUR
    assert _relation(files["thumbnail 25"], cam).scale > 3.9


def _choose(files: dict[str, AnalyzedImage], names: list[str]) -> tuple[str, str]:
    by_id = {i: files[n] for i, n in enumerate(names)}
    cands = [Candidate(i, f.facts, size=f.size, mtime_ns=f.mtime_ns, path=f.path)
             for i, f in by_id.items()]
    choice = choose_original(cands, lambda a, b: _relation(by_id[a], by_id[b]))
    return names[choice.original], choice.reason


@pytest.mark.parametrize("derivative", [
    "letterboxed export", "bordered copy", "png conversion", "tiff conversion", "sharpened",
    "gamma", "saturation", "thumbnail 25", "crop 70", "rotated 90", "black and white",
    "recompressed", "mirrored", "straightened"])
def test_the_camera_file_is_the_original_whoever_is_asked_first(
        files: dict[str, AnalyzedImage], derivative: str) -> None:
    assert _choose(files, [derivative, "camera"])[0] == "camera"
    assert _choose(files, ["camera", derivative])[0] == "camera"


def test_the_whole_library_picks_the_camera_file_with_a_reason(
        files: dict[str, AnalyzedImage]) -> None:
    names = ["letterboxed export", "png conversion", "sharpened", "camera", "crop 70",
             "thumbnail 25", "bordered copy"]
    original, reason = _choose(files, names)
    assert original == "camera"
    assert reason.startswith("camera file, earliest capture") or reason.startswith(
        "camera file, oldest file")
    assert "full frame" in reason


def test_a_lossless_copy_is_not_better_for_being_lossless(files: dict[str, AnalyzedImage]) -> None:
    # Neither has camera metadata: the PNG made from the JPEG loses on the file date, not on
    # its format (it has the same pixels).
    png = files["png conversion"]
    assert png.facts.lossless and png.facts.camera is None
    assert _choose(files, ["png conversion", "camera"])[0] == "camera"


def test_two_camera_files_taken_apart_are_other_shots(tmp_path: Path) -> None:
    # A locked-off burst: nearly the same pixels, but the camera says two moments.
    import numpy as np

    rgb = sample("coffee")
    noise = np.random.default_rng(1).integers(-3, 4, rgb.shape)
    camera_file(tmp_path / "IMG_1.JPG", rgb, taken="2021:06:05 10:00:00")
    camera_file(tmp_path / "IMG_2.JPG", np.clip(rgb + noise, 0, 255).astype(np.uint8),
                taken="2021:06:05 10:00:01")
    a, b = analyze_file(tmp_path / "IMG_1.JPG"), analyze_file(tmp_path / "IMG_2.JPG")
    assert similarity.compare_features(a.features, b.features).score >= 90
    assert _relation(a, b).kind is RelationKind.OTHER_SHOT
    assert not _relation(a, b).proposes_archive


def test_a_frame_where_the_subject_moved_is_another_shot(tmp_path: Path) -> None:
    # Two exported burst frames (no camera dates): same framing, a block of the scene moved.
    import numpy as np
    from PIL import Image

    rgb = sample("coffee")
    h, w = rgb.shape[:2]
    moved = rgb.copy()
    bh, bw, y0, x0, dx = int(h * 0.4), int(w * 0.4), int(h * 0.25), int(w * 0.2), int(w * 0.12)
    moved[y0:y0 + bh, x0 + dx:x0 + dx + bw] = rgb[y0:y0 + bh, x0:x0 + bw]
    Image.fromarray(rgb).save(tmp_path / "frame1.jpg", quality=92)
    Image.fromarray(moved).save(tmp_path / "frame2.jpg", quality=92)
    a, b = analyze_file(tmp_path / "frame1.jpg"), analyze_file(tmp_path / "frame2.jpg")
    c = similarity.compare_features(a.features, b.features)
    assert 70 <= c.score < 90 and "subject moved" in c.reason, (c.score, c.reason)
    rel = _relation(a, b)
    assert rel.kind is RelationKind.OTHER_SHOT and not rel.proposes_archive, rel

"""A small held-out regression check: real photos the engine was never tuned on.

The photos come from Debian packages (``tuxpaint-data``'s templates and ``sddm-theme-maldives``,
installed by ``.ci/run``); the transforms are the benchmark's (``tests/benchmarks/corpus_attacks``).
The floors sit a little under what ``tests/benchmarks/bench_accuracy.py --set heldout`` measures
on the full held-out set, so a change that makes the engine worse on unseen photos fails here.
In CI (``CI=true``) missing photos fail the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.engine.analyze import analyze_file
from desktop_app.engine.similarity import compare_features
from desktop_app.engine.types import ImageFeatures

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from corpus_attacks import ATTACKS, SCENE_ATTACKS  # noqa: E402

TEMPLATES = Path("/usr/share/tuxpaint/templates")
MALDIVES = Path("/usr/share/sddm/themes/maldives/background.jpg")
# Textured, low-texture, letterboxed, portrait and dark photos of the held-out set.
PHOTOS = {
    "cliff": TEMPLATES / "cliff.jpg",
    "sheep": TEMPLATES / "sheep.jpg",
    "mossy_bark": TEMPLATES / "mossy_bark.jpg",
    "lighthouse": TEMPLATES / "lighthouse.jpg",
    "trees_at_dusk": TEMPLATES / "trees_at_dusk.jpg",
    "maldives": MALDIVES,
}
MINOR = ["jpeg q30", "resize 25%", "gamma", "watermark", "retouch"]
BIGGER = ["crop 50%", "crop 50% edge", "crop 75% off", "mirror", "mirror crop 75%", "mirror border",
          "border 5% white", "letterbox 1:1", "rotate 90", "instagram"]
SCENES = ["burst frame", "viewpoint"]


def _photos_or_skip() -> dict[str, Path]:
    missing = [str(p) for p in PHOTOS.values() if not p.is_file()]
    if missing:
        why = (f"held-out photos missing ({', '.join(missing)}): "
               "apt-get install tuxpaint-data sddm-theme-maldives")
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    return PHOTOS


@pytest.fixture(scope="module")
def heldout(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], ImageFeatures]:
    """(photo, attack) -> features of the file written for it ("original" for the photo itself)."""
    photos = _photos_or_skip()
    root = tmp_path_factory.mktemp("heldout")
    out: dict[tuple[str, str], ImageFeatures] = {}
    for seed, (name, path) in enumerate(photos.items()):
        with Image.open(path) as im:
            img = im.convert("RGB")
        files: list[tuple[str, Image.Image, str, dict]] = [("original", img, "PNG", {})]
        for attack in MINOR + BIGGER:
            _, fn, fmt, kw = ATTACKS[attack]
            files.append((attack, fn(img), fmt, kw))
        for attack in SCENES:
            files.append((attack, SCENE_ATTACKS[attack](img, seed), "JPEG", {"quality": 92}))
        for attack, picture, fmt, kw in files:
            target = root / f"{name}__{attack.replace(' ', '_').replace('%', 'pc').replace(':', 'x')}.{fmt.lower()}"
            picture.save(target, fmt, **kw)
            out[(name, attack)] = analyze_file(target).features
    return out


def _scores(heldout: dict[tuple[str, str], ImageFeatures], attacks: list[str]) -> dict[str, list[float]]:
    return {attack: [compare_features(heldout[(name, "original")], heldout[(name, attack)]).score
                     for name in PHOTOS] for attack in attacks}


def test_minor_changes_stay_the_same_photo(heldout: dict[tuple[str, str], ImageFeatures]) -> None:
    scores = _scores(heldout, MINOR)
    low = {a: min(s) for a, s in scores.items() if min(s) < 90}
    assert not low, f"minor changes of held-out photos below 90: {low}"


def test_bigger_changes_are_found_at_70_and_stay_below_90(heldout: dict[tuple[str, str], ImageFeatures]) -> None:
    scores = _scores(heldout, BIGGER)
    flat = [s for v in scores.values() for s in v]
    # measured: every class 6/6 except the low-texture sheep's instagram export
    assert np.mean([s >= 70 for s in flat]) >= 0.97, scores
    for attack, s in scores.items():
        assert sum(x >= 70 for x in s) >= len(s) - 1, f"{attack}: {s}"
        assert max(s) < 90, f"{attack} scored like a minor change: {s}"
    assert min(scores["mirror"] + scores["mirror crop 75%"] + scores["mirror border"]) >= 70


def test_other_shots_stay_below_90(heldout: dict[tuple[str, str], ImageFeatures]) -> None:
    scores = _scores(heldout, SCENES)
    assert min(scores["viewpoint"]) >= 70, scores
    # measured on the full held-out set: no burst frame >= 90 (the 128 px detail tile sees the
    # moved patch of grass the 64 px thumbnail missed)
    assert max(scores["burst frame"]) < 90, scores
    assert sum(s >= 70 for s in scores["burst frame"]) == len(PHOTOS), scores


def test_different_photos_stay_unrelated_even_with_the_same_frame(
        heldout: dict[tuple[str, str], ImageFeatures]) -> None:
    worst = []
    for attack in ("original", "border 5% white", "letterbox 1:1", "mirror border"):
        for a, b in itertools.combinations(PHOTOS, 2):
            c = compare_features(heldout[(a, attack)], heldout[(b, attack)])
            worst.append((c.score, attack, a, b))
    assert max(worst)[0] < 50, sorted(worst, reverse=True)[:3]

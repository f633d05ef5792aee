"""The difference map's words match what it draws: a map full of red is never "no visible
change", and no page shows the SSIM jargon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from desktop_app.engine.preview import difference_map
from desktop_app.ui.common.difference import NOTHING_CHANGED, DifferenceLegend, difference_note, difference_words


def _rgb(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array[..., :3])


def test_a_recompressed_copy_shows_nothing_and_says_so(tmp_path: Path) -> None:
    from skimage import data

    a = data.chelsea()
    Image.fromarray(a).save(tmp_path / "q90.jpg", quality=92)
    result = difference_map(a, np.asarray(Image.open(tmp_path / "q90.jpg")))
    assert result.slight_fraction < 0.01 and result.changed_fraction < 0.005
    assert difference_words(result) == NOTHING_CHANGED


def test_a_tinted_map_is_described_by_what_is_tinted() -> None:
    from skimage import data

    a = data.chelsea()
    # A strong but even edit: most of the frame differs a little, some of it clearly.
    b = np.asarray(ImageEnhance.Contrast(Image.fromarray(a)).enhance(1.9))
    b = b.copy()
    b[100:180, 150:300] = 255 - b[100:180, 150:300]
    result = difference_map(a, b)
    words = difference_words(result)
    assert words != NOTHING_CHANGED
    assert "clearly changed" in words
    tinted = result.slight_fraction + result.changed_fraction
    assert tinted > 0.05
    note = difference_note(result, score=80)
    assert "SSIM" not in note and "Below 90" in note


def test_the_legend_paints(qtbot) -> None:
    legend = DifferenceLegend()
    qtbot.addWidget(legend)
    legend.resize(legend.sizeHint())
    image = legend.grab().toImage()
    assert image.width() > 200
    assert "clearly changed" in legend.toolTip()


def test_a_brightness_edit_tinted_red_is_not_called_unchanged() -> None:
    """The issue's case: the map was visibly red while the words said "no visible change"."""
    from skimage import data

    a = data.chelsea()
    b = np.asarray(ImageEnhance.Brightness(Image.fromarray(a)).enhance(1.1))
    result = difference_map(a, b)
    tinted = (result.rgb[..., 0].astype(int) - result.rgb[..., 1].astype(int) > 12).mean()
    assert tinted > 0.02                                   # the map shows red ...
    assert difference_words(result).startswith("slight differences over")   # ... and says so

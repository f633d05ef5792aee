"""The threshold slider: whole numbers, band edges easy to hit with the mouse, keyboard steps of
1 and (Page Up/Down) 10."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.ui.duplicates.detect_bar import DetectBar, snap_threshold


@pytest.mark.parametrize(("dragged", "lands"), [(71, 70), (72, 70), (68, 70), (89, 90), (88, 90), (92, 90),
                                                (98, 100), (51, 50), (81, 80), (79, 80), (75, 75), (83, 83), (0, 0)])
def test_a_drag_snaps_to_the_labelled_values(dragged: int, lands: int) -> None:
    assert snap_threshold(dragged) == lands


def test_slider_keys_and_drag(qtbot) -> None:
    bar = DetectBar(debounce_ms=0)
    qtbot.addWidget(bar)
    bar.show()
    slider = bar.slider
    slider.setFocus()
    assert slider.value() == 90
    qtbot.keyClick(slider, Qt.Key.Key_Left)
    assert slider.value() == 89                     # the keyboard steps by 1, no snapping
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert slider.value() == 79
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    assert slider.value() == 99
    # a mouse drag (sliderMoved, as Qt reports it) that ends at 71 lands on 70, and the label
    # and the regroup say 70
    with qtbot.waitSignal(bar.threshold_changed) as blocker:
        slider.setSliderDown(True)
        slider.setSliderPosition(71)
        slider.setSliderDown(False)
    assert slider.value() == 70 and blocker.args == [70]
    assert bar.value_label.text().startswith("<b>70</b>")

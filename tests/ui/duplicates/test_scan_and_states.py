"""Scanning (progress, cancel keeps partial results), empty states, folders panel, entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from desktop_app import __version__
from desktop_app.ui.duplicates.scan_controller import STAGE_INDEX, ScanController
from tests.ui.photos import make_library, make_many


def test_cancel_mid_scan_keeps_what_was_read(qtbot, make_window, tmp_path: Path) -> None:
    root = tmp_path / "Many"
    total = len(make_many(root, 60))
    window = make_window()
    window.show()
    page = window.duplicates
    seen: list[int] = []

    def on_progress(stage: str, progress: object) -> None:
        if stage == STAGE_INDEX and 0 < progress.done < progress.total:  # type: ignore[attr-defined]
            seen.append(progress.done)  # type: ignore[attr-defined]
            if len(seen) == 1:
                qtbot.mouseClick(page.scan_panel.cancel_button, Qt.MouseButton.LeftButton)

    page.scanner.progressed.connect(on_progress)
    with qtbot.waitSignal(page.scanner.finished, timeout=60000) as blocker:
        window.open_folders([str(root)])
    outcome = blocker.args[0]
    assert seen, "no progress was reported while indexing"
    assert outcome.index_cancelled
    assert 0 < outcome.image_count < total           # partial, and kept
    assert page.pairs is not None                    # what was read is grouped
    assert not page.scan_panel.isVisible()
    assert "Scan stopped" in page.messages.text()
    # Scanning again reads the rest (the library resumes, not restarts).
    with qtbot.waitSignal(page.scanner.finished, timeout=60000) as blocker:
        page.messages.button("Scan Again").click()
    assert blocker.args[0].image_count == total
    assert not blocker.args[0].index_cancelled


def test_progress_shows_count_file_rate(qtbot, make_window, tmp_path: Path) -> None:
    root = tmp_path / "Some"
    make_many(root, 12)
    window = make_window()
    page = window.duplicates
    texts: list[tuple[str, str]] = []
    page.scanner.progressed.connect(
        lambda stage, p: texts.append((page.scan_panel.bar.format(), page.scan_panel.detail.text()))
    )
    with qtbot.waitSignal(page.scanner.finished, timeout=60000):
        window.open_folders([str(root)])
    assert any("/ 12" in bar for bar, _ in texts)
    assert any(".jpg" in detail for _, detail in texts)


def test_scan_failure_is_shown_plainly(qtbot) -> None:
    class Broken:
        def index(self, **_: object) -> None:
            raise OSError("disk on fire")

    controller = ScanController()
    with qtbot.waitSignal(controller.failed) as blocker:
        controller.start(Broken())
    assert "disk on fire" in blocker.args[0]
    assert not controller.is_running


def test_no_duplicates_state_offers_a_lower_threshold(qtbot, make_window, tmp_path: Path) -> None:
    root = tmp_path / "Distinct"
    make_library(root, long_side=160, groups=0, extras=False)   # originals only
    window = make_window()
    page = window.duplicates
    with qtbot.waitSignal(page.groups_changed, timeout=60000):
        window.open_folders([str(root)])
    assert page.stack.currentWidget() is page.empty
    assert page.empty.title.text() == "No duplicates at 90"
    assert page.empty.button.text() == "Lower to 80"
    with qtbot.waitSignal(page.groups_changed):
        qtbot.mouseClick(page.empty.button, Qt.MouseButton.LeftButton)
    assert page.detect.threshold() == 80
    assert not page.detect.archive_button.isEnabled()


def test_empty_library_asks_for_a_folder(qtbot, make_window) -> None:
    window = make_window()
    window.store.create("Empty")
    window.open_library("Empty")
    page = window.duplicates
    assert page.stack.currentWidget() is page.empty
    assert page.empty.title.text() == "Add a folder to start"


def test_folders_dropped_on_the_panel_are_added(qtbot, make_window, tmp_path: Path) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    make_many(a, 3)
    make_many(b, 3)
    window = make_window()
    window.show()
    with qtbot.waitSignal(window.duplicates.scanner.finished, timeout=60000):
        window.open_folders([str(a)])
    panel = window.duplicates.folders
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(b)), QUrl.fromLocalFile(str(tmp_path / "A" / "img_0000.jpg"))])
    event = QDropEvent(QPoint(10, 10).toPointF(), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.duplicates.scanner.finished, timeout=60000) as blocker:
        panel.dropEvent(event)   # what Qt calls on a drop (sendEvent needs a real drag session)
    assert sorted(f.path for f in panel.model.folders()) == [str(a), str(b)]
    assert blocker.args[0].folder_counts == {str(a): 3, str(b): 3}
    assert panel.model.index(1).data(Qt.ItemDataRole.DisplayRole).endswith("3 images")
    # remove B: its files are untouched, the library forgets them
    panel.view.setCurrentIndex(panel.model.index(1))
    with qtbot.waitSignal(window.duplicates.scanner.finished, timeout=60000) as blocker:
        qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert [f.path for f in panel.model.folders()] == [str(a)]
    assert blocker.args[0].image_count == 3
    assert len(list(b.iterdir())) == 3


def test_version_prints_and_exits_without_a_window() -> None:
    code = "import sys; from desktop_app.__main__ import main; sys.exit(main(['--version']))"
    result = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('PySide6' in sys.modules)"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"lookalike {__version__}"
    check = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom desktop_app.__main__ import main\ntry:\n    main(['--version'])\n"
         "except SystemExit:\n    pass\nprint('PySide6.QtWidgets' in sys.modules)"],
        capture_output=True, text=True, timeout=60,
    )
    assert check.stdout.strip().splitlines()[-1] == "False"


def test_usage_error_for_a_missing_folder(tmp_path: Path) -> None:
    from desktop_app.__main__ import main

    assert main([str(tmp_path / "nope")]) == 2


def test_detect_bar_legend_shows_every_band_and_keeps_its_layout(qtbot) -> None:
    from PySide6.QtGui import QTextDocument

    from desktop_app.ui.duplicates.detect_bar import DetectBar

    bar = DetectBar()
    qtbot.addWidget(bar)
    bar.resize(1200, 60)
    bar.show()
    doc = QTextDocument()
    doc.setHtml(bar.legend.text())
    assert doc.toPlainText().startswith("unrelated < 50")      # "<" escaped, not eaten as a tag
    bar.set_summary(5, to_archive=12, bytes_to_free=5_500_000)
    qtbot.waitUntil(lambda: bar.slider.width() > 0)
    width = bar.slider.width()
    bar.set_summary(0)
    bar.layout().activate()
    assert bar.slider.width() == width                          # the slider doesn't jump


def test_not_duplicates_list_explains_itself_when_empty(qtbot) -> None:
    from desktop_app.context.types import DistinctDecision
    from desktop_app.ui.duplicates.lists_dialogs import DecisionsDialog

    dialog = DecisionsDialog()
    qtbot.addWidget(dialog)
    dialog.set_decisions([])
    assert dialog.intro.text().startswith("No decisions yet") and "Not Duplicates" in dialog.intro.text()
    dialog.set_decisions([DistinctDecision("a" * 40, "b" * 40, "/p/a.jpg", "/q/b.jpg", "2026-01-01T10:00:00")])
    assert dialog.intro.text().startswith("You said") and dialog.model.rowCount() == 1
    row = [dialog.model.index(0, c).data() for c in range(dialog.model.columnCount())]
    assert row[:4] == ["a.jpg", "/p", "b.jpg", "/q"]          # each file's own folder


def test_protect_button_protects_the_selected_folder(qtbot) -> None:
    from desktop_app.context.types import Folder
    from desktop_app.ui.duplicates.folders_panel import FoldersPanel

    panel = FoldersPanel()
    qtbot.addWidget(panel)
    panel.set_folders([Folder("/photos/camera"), Folder("/photos/exports")])
    assert not panel.protect_button.isEnabled()                  # nothing selected
    panel.view.setCurrentIndex(panel.model.index(1))
    assert panel.protect_button.isEnabled() and panel.protect_button.text() == "Protect"
    with qtbot.waitSignal(panel.protection_changed) as blocker:
        qtbot.mouseClick(panel.protect_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["/photos/exports", True]
    assert panel.model.folders()[1].protected and panel.protect_button.text() == "Unprotect"
    assert "protected" in panel.model.index(1).data()
    with qtbot.waitSignal(panel.protection_changed) as blocker:
        qtbot.mouseClick(panel.protect_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["/photos/exports", False]


def test_pair_scoring_progress_shows_phase_rate_and_eta(qtbot) -> None:
    from desktop_app.context.pairs import COMPARING, FINDING
    from desktop_app.engine.progress import Progress
    from desktop_app.ui.duplicates.scan_controller import STAGE_PAIRS
    from desktop_app.ui.duplicates.scan_panel import ScanPanel

    panel = ScanPanel()
    qtbot.addWidget(panel)
    panel.start()
    panel.update_progress(STAGE_PAIRS, Progress(2_000, 100_000, FINDING, 1_000.0, 98.0))
    assert "Finding" in panel.title.text() and panel.bar.format() == "2,000 / 100,000 photos"
    assert "1,000 photos/s" in panel.detail.text() and "left" in panel.detail.text()
    panel.update_progress(STAGE_PAIRS, Progress(30_000, 600_000, COMPARING, 1_500.0, 380.0))
    assert "Comparing" in panel.title.text() and panel.bar.format() == "30,000 / 600,000 pairs"
    assert "1,500 pairs/s" in panel.detail.text() and "6 min" in panel.detail.text()
    assert COMPARING not in panel.detail.text()  # a phase, not a file name

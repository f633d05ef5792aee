"""The archive dialog shows each photo with what travels with it, flags a copy that alone has
its GPS position, and asks whether to keep it instead. Real files; nothing moves here."""

from __future__ import annotations

from pathlib import Path

from desktop_app.ui.archive.dialog import ArchiveDialog
from desktop_app.workflow.archive import plan_archive
from tests.ui.photos import content_multiset
from tests.unit.workflow.helpers import group, member
from tests.unit.workflow.photo_files import aae, jpeg, mov, xmp


def test_units_companions_and_a_flagged_copy(qtbot, tmp_path: Path) -> None:
    lib = tmp_path / "Photos"
    (lib / "best").mkdir(parents=True)
    (lib / "phone").mkdir()
    keep1 = lib / "best/IMG_0001.JPG"
    keep1.write_bytes(jpeg(1))
    (lib / "best/IMG_0001.AAE").write_bytes(aae("the kept photo's own edits"))
    copy1 = lib / "phone/IMG_0001.JPG"
    copy1.write_bytes(jpeg(1))
    (lib / "phone/IMG_0001.xmp").write_bytes(xmp(tag="one"))
    (lib / "phone/IMG_0001.AAE").write_bytes(aae("one"))
    (lib / "phone/IMG_0001.MOV").write_bytes(mov("one"))
    keep2 = lib / "best/IMG_0002.JPG"
    keep2.write_bytes(jpeg(2))
    copy2 = lib / "phone/IMG_0002.JPG"
    copy2.write_bytes(jpeg(2, gps=True))
    before = content_multiset(lib)
    groups = [group(member(keep1, lib), member(copy1, lib), archive=[1], index=0),
              group(member(keep2, lib), member(copy2, lib), archive=[1], index=1)]
    plan = plan_archive(groups, tmp_path / "Archive")
    dialog = ArchiveDialog(plan.entries, archive_folder=str(tmp_path / "Archive"))
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() == 2                       # one row per photo
    first, second = dialog.tree.topLevelItem(0), dialog.tree.topLevelItem(1)
    assert first.text(4) == "+ .xmp, .AAE, Live Photo video" and first.text(5) == ""
    assert second.text(5).startswith("GPS position") and not second.icon(5).isNull()
    assert "with 3 companion files" in dialog.heading.text()
    assert not dialog.loss_label.isHidden() and "1 of these files carries" in dialog.loss_label.text()
    # Asked: keep the flagged copy (the default) — one file archived; or archive it too.
    assert dialog.kept() == (str(copy2),) and dialog.ok_button.text() == "Archive 1 File"
    dialog.archive_flagged_radio.setChecked(True)
    assert dialog.kept() == () and dialog.ok_button.text() == "Archive 2 Files"
    assert content_multiset(lib) == before

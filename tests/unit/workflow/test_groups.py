"""DuplicateGroup: the model refuses every state that would lose the last copy of a photo."""

from __future__ import annotations

import pytest

from desktop_app.workflow.groups import DuplicateGroup, Mark, Member, SelectionError, default_marks


def m(path: str, **kw: object) -> Member:
    return Member(path=path, **kw)  # type: ignore[arg-type]


def test_whole_group_archive_is_refused_and_state_unchanged() -> None:
    g = DuplicateGroup((m("/l/a.jpg"), m("/l/b.jpg"), m("/l/c.jpg")))
    g.set_marks({"/l/b.jpg": Mark.ARCHIVE, "/l/c.jpg": Mark.ARCHIVE})
    with pytest.raises(SelectionError, match="At least one file"):
        g.set_mark("/l/a.jpg", Mark.ARCHIVE)
    with pytest.raises(SelectionError):
        g.toggle("/l/a.jpg")
    with pytest.raises(SelectionError):  # all at once, too
        g.set_marks({p: Mark.ARCHIVE for p in g.paths})
    assert [x.mark for x in g] == [Mark.KEEP, Mark.ARCHIVE, Mark.ARCHIVE]
    # Moving the keep elsewhere is fine when done in one step...
    g.set_marks({"/l/a.jpg": Mark.ARCHIVE, "/l/b.jpg": Mark.KEEP})
    assert [x.path for x in g.kept] == ["/l/b.jpg"]


def test_a_group_never_starts_fully_archived() -> None:
    g = DuplicateGroup((m("/l/a.jpg", mark=Mark.ARCHIVE), m("/l/b.jpg", mark=Mark.ARCHIVE)))
    assert g.original.mark is Mark.KEEP


def test_protected_file_is_never_archived_even_by_hand() -> None:
    g = DuplicateGroup((m("/l/a.jpg"), m("/ref/b.jpg", protected=True), m("/l/c.jpg")))
    with pytest.raises(SelectionError, match="protected folder"):
        g.set_mark("/ref/b.jpg", Mark.ARCHIVE)
    with pytest.raises(SelectionError):
        g.set_marks({"/ref/b.jpg": Mark.ARCHIVE, "/l/c.jpg": Mark.ARCHIVE})
    assert g.member("/l/c.jpg").mark is Mark.KEEP  # all-or-nothing
    g2 = DuplicateGroup((m("/l/a.jpg"), m("/ref/b.jpg", protected=True, mark=Mark.ARCHIVE)))
    assert g2.member("/ref/b.jpg").mark is Mark.KEEP


def test_toggle_flips_and_records_hand() -> None:
    g = DuplicateGroup((m("/l/a.jpg"), m("/l/b.jpg")))
    assert g.toggle("/l/b.jpg") is Mark.ARCHIVE
    assert g.member("/l/b.jpg").chosen_by == "hand"
    assert g.bytes_to_free == 0
    assert g.toggle("/l/b.jpg") is Mark.KEEP
    with pytest.raises(KeyError):
        g.toggle("/elsewhere.jpg")


def test_raw_jpeg_pair_is_one_unit_and_kept_together_by_default() -> None:
    g = DuplicateGroup(
        (m("/l/IMG_1.CR2", format="RAW"), m("/l/IMG_1.jpg"), m("/l/copy/IMG_1.jpg"), m("/l/IMG_1.png"))
    )
    assert g.raw_jpeg_pairs == [("/l/IMG_1.CR2", "/l/IMG_1.jpg")]
    assert g.partner("/l/IMG_1.jpg") == "/l/IMG_1.CR2"
    assert g.partner("/l/copy/IMG_1.jpg") is None  # other folder: not its camera JPEG
    assert [tuple(x.path for x in u) for u in g.units()][0] == ("/l/IMG_1.CR2", "/l/IMG_1.jpg")
    marks = default_marks(g)
    assert marks["/l/IMG_1.CR2"] is Mark.KEEP and marks["/l/IMG_1.jpg"] is Mark.KEEP
    assert marks["/l/copy/IMG_1.jpg"] is Mark.ARCHIVE and marks["/l/IMG_1.png"] is Mark.ARCHIVE


def test_pair_of_only_raw_and_jpeg_proposes_nothing() -> None:
    g = DuplicateGroup((m("/l/DSC_9.jpg"), m("/l/DSC_9.NEF")))
    g.reset()
    assert g.archived == ()


def test_reset_returns_to_default_proposal() -> None:
    g = DuplicateGroup((m("/l/a.jpg"), m("/l/b.jpg"), m("/ref/c.jpg", protected=True)))
    g.set_marks({"/l/a.jpg": Mark.ARCHIVE})
    g.reset()
    assert {x.path: x.mark for x in g} == {
        "/l/a.jpg": Mark.KEEP, "/l/b.jpg": Mark.ARCHIVE, "/ref/c.jpg": Mark.KEEP,
    }
    assert g.member("/l/b.jpg").chosen_by == "default"


def test_relative_path_and_facts() -> None:
    x = m("/lib/2020/x.jpg", root="/lib", width=4000, height=3000)
    assert x.relative_path == "2020/x.jpg"
    assert x.pixels == 12_000_000
    assert m("/other/x.jpg", root="/lib").relative_path == "x.jpg"


def test_only_same_photo_copies_are_proposed_for_archiving_by_default() -> None:
    # A crop or another shot of the scene (< 90) is a photographer's call: kept until decided.
    g = DuplicateGroup((m("/l/a.jpg"), m("/l/a_q70.jpg", similarity=99.0), m("/l/a_crop.jpg", similarity=84.0)))
    marks = default_marks(g)
    assert marks == {"/l/a.jpg": Mark.KEEP, "/l/a_q70.jpg": Mark.ARCHIVE, "/l/a_crop.jpg": Mark.KEEP}
    g.toggle("/l/a_crop.jpg")  # the hand can still archive it
    assert g.member("/l/a_crop.jpg").mark is Mark.ARCHIVE

"""Proposals only archive copies; rules by relation; a user's hand marks are theirs.

On a real context over generated files: a camera JPEG and every kind of derivative of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from desktop_app.context.search_context import SearchContext
from desktop_app.context.store import ContextStore
from desktop_app.workflow.groups import DuplicateGroup, Mark, Member
from desktop_app.workflow.rules import RELATION_RULES, RelationRule, parse_rules
from desktop_app.workflow.session import ReviewSession
from tests.provenance_library import DAY, DERIVATIVES, camera_file, write_derivative
from tests.unit.conftest import sample

T0 = 1_600_000_000 * 10**9


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ContextStore, Path]]:
    tmp = tmp_path_factory.mktemp("proposals")
    lib = tmp / "library"
    data = camera_file(lib / "DCIM" / "IMG_0001.JPG", sample("coffee"), mtime_ns=T0)
    for d in DERIVATIVES:
        write_derivative(lib / "Edits" / d.name, data, d, mtime_ns=T0 + DAY)
    store = ContextStore(tmp / "db" / "lookalike.sqlite")
    store.create("proposals", [lib]).index(workers=1)
    yield store, lib
    store.close()


@pytest.fixture
def session(indexed: tuple[ContextStore, Path], tmp_path: Path) -> Iterator[ReviewSession]:
    store, _ = indexed
    ctx: SearchContext = store.open("proposals")
    ctx.save_marks({p: None for p in ctx.load_marks()})   # each test starts from the defaults
    (Path(ctx.data_dir) / "marks-origin.jsonl").unlink(missing_ok=True)
    s = ReviewSession(ctx)
    s.groups(70)
    yield s


def _group(s: ReviewSession) -> DuplicateGroup:
    assert len(s.current_groups) == 1
    return s.current_groups[0]


def _by_name(g: DuplicateGroup) -> dict[str, Member]:
    return {Path(m.path).stem: m for m in g.members}


def test_one_group_around_the_camera_file_with_a_reason(session: ReviewSession) -> None:
    g = _group(session)
    assert Path(g.original.path).name == "IMG_0001.JPG"
    assert g.reason.startswith("camera file")
    assert len(g) == len(DERIVATIVES) + 1
    assert {d.name: _by_name(g)[d.name].relation_kind for d in DERIVATIVES} == {
        d.name: d.relation for d in DERIVATIVES}


def test_default_proposal_archives_only_copies_of_the_original(session: ReviewSession) -> None:
    g = _group(session)
    members = _by_name(g)
    archived = {name for name, m in members.items() if m.mark is Mark.ARCHIVE}
    assert archived == {d.name for d in DERIVATIVES if d.proposed}
    assert archived == {"backup copy", "png conversion", "tiff conversion", "recompressed",
                        "thumbnail 25", "half size"}
    # crops, rotations, mirrors, borders, B&W and edits stay kept, whatever their score
    assert members["black and white"].mark is Mark.KEEP
    assert g.original.mark is Mark.KEEP and g.original_badge() == "ORIGINAL"


def test_relation_rules_archive_resized_copies_and_keep_crops(session: ReviewSession) -> None:
    g = _group(session)
    session.apply_rules("archive:cropped,archive:rotated")
    assert _by_name(g)["crop 70"].mark is Mark.ARCHIVE
    session.apply_rules("keep:cropped")
    members = _by_name(g)
    assert members["crop 70"].mark is Mark.KEEP
    assert members["crop 70"].chosen_by == "rule:keep:cropped"
    assert members["rotated 90"].mark is Mark.ARCHIVE
    assert members["rotated 90"].chosen_by == "rule:archive:rotated"
    assert g.original.mark is Mark.KEEP                 # a relation rule never touches it
    rule = parse_rules("archive:resized")[0]
    assert isinstance(rule, RelationRule) and rule == RelationRule(rule.kind, Mark.ARCHIVE)
    assert "archive resized copies" in {r.description for r in RELATION_RULES}
    assert "keep crops" in {r.description for r in RELATION_RULES}
    with pytest.raises(ValueError, match="Unknown relation 'crops'"):
        parse_rules("keep:crops")


def test_a_rule_leaves_hand_marks_alone_unless_told_to_override(session: ReviewSession) -> None:
    g = _group(session)
    session.set_mark(_by_name(g)["thumbnail 25"].path, Mark.KEEP)     # the user keeps this
    session.set_mark(_by_name(g)["crop 70"].path, Mark.ARCHIVE)       # ...and archives this
    session.apply_rules("largest")
    members = _by_name(g)
    assert members["thumbnail 25"].mark is Mark.KEEP and members["thumbnail 25"].chosen_by == "hand"
    assert members["crop 70"].mark is Mark.ARCHIVE and members["crop 70"].chosen_by == "hand"
    assert session.last_rules is not None and session.last_rules.left_alone == 2
    kept_by_rule = [m for m in g.members if m.mark is Mark.KEEP and m.chosen_by.startswith("rule:")]
    assert len(kept_by_rule) == 1
    # The hand marks survive a regroup at another threshold, and the rule still leaves them.
    session.groups(75)
    g = _group(session)
    assert _by_name(g)["thumbnail 25"].chosen_by == "hand"
    # Only an explicit override changes them.
    session.apply_rules("largest", override=True)
    members = _by_name(g)
    assert members["thumbnail 25"].mark is Mark.ARCHIVE
    assert members["thumbnail 25"].chosen_by.startswith("rule:")
    assert session.last_rules.left_alone == 0   # (narrowed to not None above)


def test_the_original_badge_never_contradicts_its_mark(session: ReviewSession) -> None:
    g = _group(session)
    session.apply_rules("newest")          # keeps a newer derivative: the original is archived
    assert g.original.mark is Mark.ARCHIVE
    assert g.original_archived and g.original_badge() == "ORIGINAL · ARCHIVE"
    session.reset_marks()
    reset = g.original   # a fresh name: mypy would keep the ARCHIVE narrowing of g.original.mark
    assert reset.mark is Mark.KEEP and g.original_badge() == "ORIGINAL"


def test_the_csv_log_names_each_archived_file_relation(tmp_path: Path) -> None:
    import csv
    import io

    from desktop_app.workflow.archive import ArchiveFolder
    from tests.provenance_library import BY_NAME
    from tests.unit.workflow.helpers import content_multiset

    lib, archive = tmp_path / "library", tmp_path / "archive"
    data = camera_file(lib / "IMG_0002.JPG", sample("chelsea"), mtime_ns=T0)
    for name in ("png conversion", "thumbnail 25", "crop 70"):
        write_derivative(lib / name, data, BY_NAME[name], mtime_ns=T0 + DAY)
    before = content_multiset(lib, archive)
    store = ContextStore(tmp_path / "db.sqlite")
    try:
        ctx = store.create("csv", [lib])
        ctx.index(workers=1)
        s = ReviewSession(ctx)
        s.groups(70)
        result = s.archive(s.plan(ArchiveFolder(str(archive))))
        assert {Path(m.source).stem for m in result.moved} == {"png conversion", "thumbnail 25"}
        rows = list(csv.DictReader(io.StringIO(s.log.csv_text())))
        assert {Path(r["original_path"]).stem: r["relation"] for r in rows} == {
            "png conversion": "same pixels (PNG)", "thumbnail 25": "resized to 25 %"}
    finally:
        store.close()
    assert content_multiset(lib, archive) == before

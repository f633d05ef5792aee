"""ReviewSession over a (fake) search context: marks saved and re-applied, rules, "not
duplicates", archive and undo keeping the context in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.context.types import DuplicateCluster, Folder, SimilarResult
from desktop_app.workflow.archive import ArchiveFolder
from desktop_app.workflow.groups import Mark, SelectionError
from desktop_app.workflow.session import ReviewSession
from tests.unit.workflow.helpers import FakeContext, Vault, record


@pytest.fixture
def ctx(vault: Vault) -> FakeContext:
    lib, ref = vault.library, vault.library / "ref"
    files = {
        "a": vault.make("a.jpg"), "b": vault.make("b.jpg"), "c": vault.make("c.jpg"),
        "x": vault.make("x.jpg"), "y": vault.make("y.jpg"), "r": vault.make("ref/r.jpg"),
    }
    sizes = {"a": 100, "b": 400, "c": 300, "x": 100, "y": 100, "r": 50}
    records = [record(i, p, lib, width=sizes[k], height=sizes[k]) for i, (k, p) in enumerate(files.items())]
    clusters = [
        [(str(files["a"]), 100.0), (str(files["b"]), 97.0), (str(files["c"]), 91.0)],
        [(str(files["x"]), 100.0), (str(files["y"]), 99.0), (str(files["r"]), 96.0)],
    ]
    vault.seal()
    return FakeContext(vault.data, [Folder(str(lib)), Folder(str(ref), protected=True)], records, clusters)


def marks(session: ReviewSession) -> dict[str, str]:
    return {Path(m.path).name: m.mark.value for g in session.current_groups for m in g.members}


def test_groups_carry_facts_and_default_marks(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    groups = s.groups(90)
    assert [len(g) for g in groups] == [3, 3]
    b = groups[0].member(str(Path(ctx.data_dir).parent / "library/b.jpg"))
    assert b.pixels == 160_000 and b.similarity == 97.0 and b.content_hash
    assert marks(s) == {"a.jpg": "keep", "b.jpg": "archive", "c.jpg": "archive",
                        "x.jpg": "keep", "y.jpg": "archive", "r.jpg": "keep"}
    assert groups[1].member(str(Path(ctx.data_dir).parent / "library/ref/r.jpg")).protected
    summary = s.summary()
    assert (summary.groups, summary.files, summary.to_archive, summary.kept) == (2, 6, 3, 3)
    assert summary.bytes_to_free == sum(m.size for g in groups for m in g.archived)


def test_marks_survive_regroup_and_resume_tomorrow(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    lib = Path(ctx.data_dir).parent / "library"
    s.toggle(str(lib / "c.jpg"))  # keep c by hand
    s.apply_rules("highest-resolution", groups=[s.current_groups[1]])
    assert marks(s)["c.jpg"] == "keep"
    s.groups(95)  # c drops out of the group; a and b stay together
    assert "c.jpg" not in marks(s) and marks(s)["b.jpg"] == "archive"
    s.groups(90)  # back: the hand mark is still there
    assert marks(s)["c.jpg"] == "keep"
    assert s.current_groups[0].member(str(lib / "c.jpg")).chosen_by == "hand"
    # Tomorrow: a new session on the same context.
    tomorrow = ReviewSession(ctx)
    tomorrow.groups(90)
    assert marks(tomorrow) == marks(s)
    assert tomorrow.current_groups[0].member(str(lib / "c.jpg")).chosen_by == "hand"
    # Reset forgets the saved marks.
    tomorrow.reset_marks()
    assert ctx.marks == {}
    assert marks(tomorrow)["c.jpg"] == "archive"


def test_saved_archive_marks_never_archive_a_whole_regrouped_group(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    lib = Path(ctx.data_dir).parent / "library"
    s.set_mark(str(lib / "b.jpg"), Mark.KEEP)
    s.set_mark(str(lib / "a.jpg"), Mark.ARCHIVE)  # a archived, b kept
    ctx.clusters[0] = [(str(lib / "a.jpg"), 100.0), (str(lib / "c.jpg"), 95.0)]  # re-scan: b gone
    ctx.marks[str(lib / "c.jpg")] = "archive"
    groups = ReviewSession(ctx).groups(90)
    assert groups[0].kept, "a regrouped group must keep at least one file"


def test_refusals_surface_as_selection_errors(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    lib = Path(ctx.data_dir).parent / "library"
    with pytest.raises(SelectionError, match="protected folder"):
        s.toggle(str(lib / "ref/r.jpg"))
    with pytest.raises(SelectionError, match="At least one file"):
        s.set_mark(str(lib / "a.jpg"), "archive")
    with pytest.raises(KeyError):
        s.toggle(str(lib / "nowhere.jpg"))


def test_rules_never_archive_protected_files(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    changed = s.apply_rules("highest-resolution,oldest")
    assert marks(s)["r.jpg"] == "keep" and marks(s)["b.jpg"] == "keep" and marks(s)["a.jpg"] == "archive"
    assert s.current_groups[0] in changed
    assert ctx.marks[str(Path(ctx.data_dir).parent / "library/a.jpg")] == "archive"


def test_not_duplicates_for_a_pair_and_a_group_and_clearing(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    lib = Path(ctx.data_dir).parent / "library"
    groups = s.not_duplicates((str(lib / "a.jpg"), str(lib / "c.jpg")))
    assert [Path(m.path).name for m in groups[0].members] == ["a.jpg", "b.jpg"]
    groups = s.not_duplicates(groups[1])
    assert len(groups) == 1 and len(s.decisions()) == 4
    s.clear_decisions(s.decisions()[:1])
    assert len(s.groups(90)[0]) == 3


def test_archive_updates_context_groups_and_marks_then_undo_re_adds(ctx: FakeContext, vault: Vault) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    lib = vault.library
    s.set_mark(str(lib / "c.jpg"), Mark.ARCHIVE)
    plan = s.plan(ArchiveFolder(str(vault.archive)))
    assert plan.files == 3 and plan.refused == ()
    dry = s.archive(plan, dry_run=True)
    assert len(dry.moved) == 3 and (lib / "b.jpg").exists()
    result = s.archive(plan)
    assert len(result.moved) == 3
    assert sorted(Path(p).name for p in ctx.forgotten) == ["b.jpg", "c.jpg", "y.jpg"]
    assert [len(g) for g in s.current_groups] == [2]  # a's group is gone, x+r remain
    assert str(lib / "c.jpg") not in ctx.marks
    assert [op.id for op in s.operations()] == [result.operation_id]
    back = s.undo()
    assert len(back.restored) == 3 and sorted(Path(p).name for p in ctx.added) == ["b.jpg", "c.jpg", "y.jpg"]
    assert (lib / "b.jpg").exists()


def test_session_start_recovers_an_interrupted_archive(ctx: FakeContext, vault: Vault) -> None:
    from desktop_app.workflow.journal import ArchiveLog

    lib = vault.library
    journal = ArchiveLog(ctx.data_dir).begin("archive", destination=str(vault.archive))
    # A crash right after the intent of a move that did happen (the file is in the archive).
    (vault.archive).mkdir(exist_ok=True)
    st = (lib / "b.jpg").stat()
    (lib / "b.jpg").rename(vault.archive / "b.jpg")
    journal.write("intent", seq=0, source=str(lib / "b.jpg"), destination=str(vault.archive / "b.jpg"),
                  method="move", size=st.st_size, sha256="", src_dev=st.st_dev, src_ino=st.st_ino)
    journal.close()
    s = ReviewSession(ctx)
    assert s.recovery is not None and s.recovery.completed == (str(lib / "b.jpg"),)
    assert ctx.forgotten == [str(lib / "b.jpg")]
    assert [len(g) for g in s.groups(90)] == [2, 3]


def test_mark_origins_log_is_compacted_and_survives_a_torn_line(ctx: FakeContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.workflow import session as session_mod

    monkeypatch.setattr(session_mod, "COMPACT_AFTER", 3)
    s = ReviewSession(ctx)
    s.groups(90)
    lib = Path(ctx.data_dir).parent / "library"
    for _ in range(3):
        s.toggle(str(lib / "c.jpg"))
    s.apply_rules("largest", groups=[s.current_groups[1]])
    y_reason = s.current_groups[1].member(str(lib / "y.jpg")).chosen_by
    origins = Path(ctx.data_dir) / session_mod.ORIGINS_FILE
    with open(origins, "a") as f:
        f.write('{"torn": ')
    again = ReviewSession(ctx)
    again.groups(90)
    assert again.current_groups[0].member(str(lib / "c.jpg")).chosen_by == "hand"
    assert again.current_groups[1].member(str(lib / "y.jpg")).chosen_by == y_reason
    assert len(origins.read_text().splitlines()) == 1  # compacted


def adhoc(ctx: FakeContext, *names: str) -> DuplicateCluster:
    """A cluster of the library's files ``names`` (first = reference), as a find-similar search
    would make one: not one of the duplicate groups."""
    lib = Path(ctx.data_dir).parent / "library"
    return DuplicateCluster(tuple(
        SimilarResult(ctx._rec(str(lib / n)), 100.0 if i == 0 else 80.0) for i, n in enumerate(names)))


def test_groups_from_can_build_without_replacing_the_current_groups(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    current = s.groups(95)
    lib = Path(ctx.data_dir).parent / "library"
    s.toggle(str(lib / "b.jpg"))  # kept by hand: saved
    built = s.groups_from([adhoc(ctx, "a.jpg", "b.jpg", "x.jpg")], make_current=False)
    assert s.current_groups is current and s.threshold == 95
    assert [Path(p).name for p in built[0].paths] == ["a.jpg", "b.jpg", "x.jpg"]
    assert built[0].member(str(lib / "b.jpg")).chosen_by == "hand"  # saved marks applied
    made = s.groups_from([adhoc(ctx, "a.jpg", "x.jpg")], threshold=70)
    assert s.current_groups == made and s.threshold == 70  # the default still makes them current


def test_marks_on_a_given_group_are_checked_saved_and_seen_by_the_review(ctx: FakeContext) -> None:
    s = ReviewSession(ctx)
    s.groups(90)
    lib = Path(ctx.data_dir).parent / "library"
    group, with_ref = s.groups_from([adhoc(ctx, "x.jpg", "c.jpg"), adhoc(ctx, "b.jpg", "ref/r.jpg")],
                                    make_current=False)
    s.set_mark(str(lib / "x.jpg"), Mark.KEEP, group=group)  # hand-kept (the default kept it too)
    assert s.toggle(str(lib / "c.jpg"), group=group) is Mark.ARCHIVE
    assert (group.member(str(lib / "c.jpg")).mark, group.member(str(lib / "c.jpg")).chosen_by) == (Mark.ARCHIVE, "hand")
    assert ctx.marks[str(lib / "c.jpg")] == "archive" and ctx.marks[str(lib / "x.jpg")] == "keep"
    # The same checks as for the current groups, about *this* group: x is its last kept file
    # (in the current groups x has y and r beside it), r is protected.
    with pytest.raises(SelectionError, match="At least one file"):
        s.set_mark(str(lib / "x.jpg"), "archive", group=group)
    with pytest.raises(SelectionError, match="protected folder"):
        s.toggle(str(lib / "ref/r.jpg"), group=with_ref)
    with pytest.raises(KeyError):
        s.toggle(str(lib / "a.jpg"), group=group)  # in a current group, not in this one
    assert group.member(str(lib / "x.jpg")).mark is Mark.KEEP and ctx.marks[str(lib / "x.jpg")] == "keep"
    assert str(lib / "ref/r.jpg") not in ctx.marks
    # The current groups weren't touched, and pick the saved mark up when rebuilt; tomorrow too.
    assert s.current_groups[0].member(str(lib / "c.jpg")).chosen_by == "default"
    for session in (s, ReviewSession(ctx)):
        regrouped = session.groups(90)[0].member(str(lib / "c.jpg"))
        assert (regrouped.mark, regrouped.chosen_by) == (Mark.ARCHIVE, "hand")


def test_undo_restores_the_marks_and_removes_the_folders_it_made(vault: Vault) -> None:
    lib = vault.library
    files = {k: vault.make(rel) for k, rel in (("a", "a.jpg"), ("b", "trip/day1/b.jpg"), ("c", "trip/day2/c.jpg"),
                                                 ("d", "trip/d.jpg"))}
    sizes = {"a": 100, "b": 400, "c": 300, "d": 200}
    records = [record(i, p, lib, width=sizes[k], height=sizes[k]) for i, (k, p) in enumerate(files.items())]
    clusters = [[(str(files["a"]), 100.0), (str(files["b"]), 97.0), (str(files["c"]), 91.0), (str(files["d"]), 92.0)]]
    (vault.archive / "old").mkdir()          # the user's own (empty) folder in the archive stays
    vault.seal()
    ctx = FakeContext(vault.data, [Folder(str(lib))], records, clusters)
    s = ReviewSession(ctx)
    s.groups(90)
    s.apply_rules("highest-resolution")       # keeps b, archives a, c, d "by the rule"
    s.set_mark(str(files["d"]), Mark.KEEP)    # ... but d by hand
    before = {Path(m.path).name: (m.mark, m.chosen_by) for g in s.current_groups for m in g.members}
    assert before["a.jpg"] == (Mark.ARCHIVE, "rule:highest-resolution")
    plan = s.plan(ArchiveFolder(str(vault.archive)))
    assert plan.files == 2
    s.archive(plan)
    assert (vault.archive / "trip" / "day2" / "c.jpg").exists()
    back = s.undo()
    assert len(back.restored) == 2
    # the folders the archive made are gone; the archive folder and the user's own folder stay
    assert not (vault.archive / "trip").exists()
    assert vault.archive.is_dir() and (vault.archive / "old").is_dir()
    # the marks are as they were: the same plan again
    s.groups(90)
    after = {Path(m.path).name: (m.mark, m.chosen_by) for g in s.current_groups for m in g.members}
    assert after == before
    assert s.plan(ArchiveFolder(str(vault.archive))).files == 2
    # and they survive a restart (saved, with who chose them)
    again = ReviewSession(ctx)
    again.groups(90)
    assert {Path(m.path).name: (m.mark, m.chosen_by) for g in again.current_groups for m in g.members} == before
    vault.check()

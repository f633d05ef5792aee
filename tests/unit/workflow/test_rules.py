"""Keep rules: criteria chained as tie-breakers, in the user's order; protected files stay."""

from __future__ import annotations

import pytest

from desktop_app.workflow.groups import DuplicateGroup, Mark, Member
from desktop_app.workflow.rules import RULES, apply_rules, choose, parse_rules


def m(path: str, **kw: object) -> Member:
    return Member(path=path, **kw)  # type: ignore[arg-type]


def kept(g: DuplicateGroup) -> list[str]:
    return [x.path for x in g.kept]


def test_every_named_rule_exists() -> None:
    names = ["highest-resolution", "largest", "lossless", "oldest", "newest", "most-metadata",
             "protected", "raw", "jpeg"]
    assert all(n in RULES for n in names)
    assert parse_rules("path:*/keep/*")[0].name == "path:*/keep/*"
    with pytest.raises(ValueError, match="Unknown keep rule 'biggest'"):
        parse_rules("largest,biggest")
    with pytest.raises(ValueError):
        parse_rules("")


@pytest.mark.parametrize(
    "rule, winner",
    [
        ("highest-resolution", "/l/big.jpg"),
        ("largest", "/l/heavy.jpg"),
        ("lossless", "/l/lossless.png"),
        ("oldest", "/l/old.jpg"),
        ("newest", "/l/new.jpg"),
        ("most-metadata", "/l/rich.jpg"),
        ("path:*/heavy.*", "/l/heavy.jpg"),
    ],
)
def test_each_rule_keeps_its_choice(rule: str, winner: str) -> None:
    g = DuplicateGroup((
        m("/l/plain.jpg", width=100, height=100, size=10, mtime_ns=1_700_000_000 * 10**9),
        m("/l/big.jpg", width=400, height=300, size=20, mtime_ns=1_700_000_000 * 10**9),
        m("/l/heavy.jpg", width=100, height=100, size=99, mtime_ns=1_700_000_000 * 10**9),
        m("/l/lossless.png", width=100, height=100, size=30, lossless=True, mtime_ns=1_700_000_000 * 10**9),
        m("/l/old.jpg", size=1, date_taken="2001-01-01T10:00:00", mtime_ns=9_000_000_000),
        m("/l/new.jpg", size=1, date_taken="2030-01-01T10:00:00", mtime_ns=1_000_000_000),
        m("/l/rich.jpg", size=1, metadata_count=50, mtime_ns=1_700_000_000 * 10**9),
    ))
    before = {x.path: (x.mark, x.chosen_by) for x in g}
    apply_rules([g], rule)
    assert kept(g) == [winner]
    # The rule takes credit for the marks it changed; the others keep who chose them.
    for x in g:
        if x.mark is before[x.path][0]:
            assert x.chosen_by == before[x.path][1]
        else:
            assert x.chosen_by.startswith("rule:")
    assert any(x.chosen_by.startswith("rule:") for x in g)


def test_oldest_uses_exif_date_before_mtime_and_mtime_breaks_ties() -> None:
    g = DuplicateGroup((
        m("/l/a.jpg", date_taken="2020-05-01T12:00:00", mtime_ns=10),       # older by mtime only
        m("/l/b.jpg", date_taken="2019-05-01T12:00:00", mtime_ns=10**19),   # older by EXIF
    ))
    apply_rules([g], "oldest")
    assert kept(g) == ["/l/b.jpg"]
    same_date = DuplicateGroup((
        m("/l/a.jpg", date_taken="2020-05-01T12:00:00", mtime_ns=2 * 10**18),
        m("/l/b.jpg", date_taken="2020-05-01T12:00:00", mtime_ns=1 * 10**18),
    ))
    apply_rules([same_date], "oldest")
    assert kept(same_date) == ["/l/b.jpg"]


def test_chain_order_matters_and_ties_fall_through() -> None:
    def fresh() -> DuplicateGroup:
        return DuplicateGroup((
            m("/l/a.jpg", width=200, height=200, size=50, mtime_ns=3),
            m("/l/b.jpg", width=200, height=200, size=90, mtime_ns=2),
            m("/l/c.jpg", width=100, height=100, size=99, mtime_ns=1),
        ))

    g1 = fresh()
    apply_rules([g1], "highest-resolution,largest")  # a and b tie on pixels; b is larger
    assert kept(g1) == ["/l/b.jpg"]
    assert g1.member("/l/c.jpg").chosen_by == "rule:highest-resolution"
    assert g1.member("/l/a.jpg").chosen_by == "rule:largest"
    g2 = fresh()
    apply_rules([g2], ["largest", "highest-resolution"])
    assert kept(g2) == ["/l/c.jpg"]
    g3 = fresh()
    apply_rules([g3], "highest-resolution,oldest")
    assert kept(g3) == ["/l/b.jpg"]
    # Full tie: the original stays.
    tie = DuplicateGroup((m("/l/x.jpg"), m("/l/y.jpg")))
    apply_rules([tie], "largest")
    assert kept(tie) == ["/l/x.jpg"] and tie.member("/l/y.jpg").chosen_by == "rule:original"


def test_protected_files_stay_kept_whatever_the_rule() -> None:
    g = DuplicateGroup((
        m("/ref/small.jpg", width=10, height=10, protected=True),
        m("/l/big.jpg", width=1000, height=1000),
        m("/l/mid.jpg", width=500, height=500),
    ))
    apply_rules([g], "highest-resolution")
    assert kept(g) == ["/ref/small.jpg", "/l/big.jpg"]
    assert g.member("/ref/small.jpg").chosen_by == "protected"
    g2 = DuplicateGroup((m("/l/big.jpg", width=1000, height=1000), m("/ref/small.jpg", width=1, height=1, protected=True)))
    apply_rules([g2], "protected")
    assert kept(g2) == ["/ref/small.jpg"]


def test_all_protected_group_keeps_everything() -> None:
    g = DuplicateGroup((m("/ref/a.jpg", protected=True, size=1), m("/ref/b.jpg", protected=True, size=2)))
    apply_rules([g], "largest")
    assert g.archived == ()


def test_raw_jpeg_pair_stays_together_unless_raw_or_jpeg_rule() -> None:
    def fresh() -> DuplicateGroup:
        return DuplicateGroup((
            m("/l/IMG_7.jpg", width=6000, height=4000, size=8),
            m("/l/IMG_7.CR3", width=6000, height=4000, size=30, lossless=True),
            m("/l/web/IMG_7.jpg", width=1200, height=800, size=1),
        ))

    g = fresh()
    apply_rules([g], "largest")  # the pair competes as one photo; never against each other
    assert kept(g) == ["/l/IMG_7.jpg", "/l/IMG_7.CR3"]
    g = fresh()
    apply_rules([g], "lossless")
    assert kept(g) == ["/l/IMG_7.jpg", "/l/IMG_7.CR3"]
    g = fresh()
    apply_rules([g], "raw")
    assert kept(g) == ["/l/IMG_7.CR3"]
    g = fresh()
    apply_rules([g], "jpeg,highest-resolution")
    assert kept(g) == ["/l/IMG_7.jpg"]


def test_rules_apply_to_a_chosen_subset_only() -> None:
    g1 = DuplicateGroup((m("/l/a.jpg", size=1), m("/l/b.jpg", size=2)), index=0)
    g2 = DuplicateGroup((m("/l/c.jpg", size=1), m("/l/d.jpg", size=2)), index=1)
    changed = apply_rules([g2], "largest")
    assert changed == [g2]
    assert kept(g1) == ["/l/a.jpg", "/l/b.jpg"] and kept(g2) == ["/l/d.jpg"]
    assert choose(g1, parse_rules("largest"))["/l/a.jpg"][0] is Mark.ARCHIVE


def test_a_rule_takes_credit_only_for_the_marks_it_changes() -> None:
    g = DuplicateGroup((
        m("/l/orig.jpg", width=100, height=100),
        m("/l/big.jpg", width=400, height=300, similarity=97.0),
        m("/l/copy.jpg", width=100, height=100, similarity=97.0),
    ))
    g.reset()
    assert [x.chosen_by for x in g] == ["default"] * 3
    apply_rules([g], "highest-resolution")
    reasons = {x.path: (x.mark.value, x.chosen_by) for x in g}
    assert reasons["/l/big.jpg"] == ("keep", "rule:highest-resolution")      # changed: the rule's
    assert reasons["/l/orig.jpg"] == ("archive", "rule:highest-resolution")   # changed: the rule's
    assert reasons["/l/copy.jpg"] == ("archive", "default")                   # unchanged: the proposal's

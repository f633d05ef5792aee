"""The information-loss guard: a copy that alone carries something is flagged with the reason,
and a plan can keep those copies instead. Real files; the vault ledger holds in every test."""

from __future__ import annotations

from desktop_app.workflow.archive import execute, plan_archive
from tests.unit.workflow.helpers import Vault, group, member
from tests.unit.workflow.photo_files import jpeg, png16, xmp


def test_a_copy_that_alone_has_gps_is_flagged_and_can_be_kept_instead(vault: Vault) -> None:
    keep = vault.make("best/IMG_0001.jpg", jpeg(1))
    copy = vault.make("phone/IMG_0001.jpg", jpeg(1, gps=True))
    side = vault.make("phone/IMG_0001.xmp", xmp(rating=5, keywords=("Eiffel",), edits=True))
    vault.seal()
    g = group(member(keep, vault.library), member(copy, vault.library, date_taken="2024-05-01T10:00:00"), archive=[1])
    plan = plan_archive([g], vault.archive)
    assert [e.source for e in plan.flagged] == [str(copy)]
    assert plan.flagged[0].loses == (
        "GPS position", "capture date", "XMP rating (5★)", "keywords (Eiffel)", "edits in a sidecar (.xmp)")
    assert plan.to_dict()["entries"][0]["loses"][0] == "GPS position"
    kept = plan.without([e.source for e in plan.flagged], "kept: only this copy has its GPS position")
    assert kept.entries == () and kept.refused == ((str(copy), "kept: only this copy has its GPS position"),)
    result = execute(kept, log_dir=vault.data)
    assert not result.moved and copy.exists() and side.exists()


def test_more_pixels_higher_bit_depth_and_a_lossless_master_are_flagged(vault: Vault) -> None:
    keep = vault.make("k.jpg", jpeg(7, size=(32, 24)))
    big = vault.make("big.jpg", jpeg(7))
    master = vault.make("master.png", png16(7))
    vault.seal()
    g = group(member(keep, vault.library, width=32, height=24),
              member(big, vault.library, width=64, height=48),
              member(master, vault.library, width=64, height=48, format="PNG", lossless=True), archive=[1, 2])
    loses = {e.source: e.loses for e in plan_archive([g], vault.archive).flagged}
    assert loses[str(big)] == ("more pixels (64×48 vs 32×24)",)
    assert loses[str(master)] == ("more pixels (64×48 vs 32×24)", "higher bit depth (16 vs 8 bits)",
                                  "lossless master (PNG)")


def test_an_exact_copy_with_nothing_of_its_own_is_not_flagged(vault: Vault) -> None:
    keep = vault.make("best/IMG_0001.jpg", jpeg(1, gps=True))
    vault.make("best/IMG_0001.xmp", xmp(rating=5, keywords=("Eiffel",), edits=True))
    copy = vault.make("phone/IMG_0001.jpg", jpeg(1, gps=True))
    vault.make("phone/IMG_0001.xmp", xmp(rating=3, keywords=("Eiffel",), edits=True))
    vault.seal()
    g = group(member(keep, vault.library), member(copy, vault.library), archive=[1])
    plan = plan_archive([g], vault.archive)
    assert plan.flagged == () and plan.companions == 1


def test_a_png_conversion_of_the_kept_camera_jpeg_is_no_lossless_master(vault: Vault) -> None:
    # Same decoded pixels as the kept original: the PNG holds nothing the JPEG doesn't. A PNG
    # whose relation is unknown (or that is not of the kept original) still counts as a master.
    from desktop_app.engine.relation import ORIGINAL, Relation, RelationKind

    keep = vault.make("Camera/IMG_0001.jpg", jpeg(3))
    png = vault.make("Converted/IMG_0001.png", png16(3))
    vault.seal()
    same = Relation(RelationKind.SAME_PIXELS, "same pixels (PNG)")
    converted = group(member(keep, vault.library, relation=ORIGINAL),
                      member(png, vault.library, format="PNG", lossless=True, relation=same), archive=[1])
    loses = {e.source: e.loses for e in plan_archive([converted], vault.archive).flagged}
    assert "lossless master (PNG)" not in loses.get(str(png), ())
    unknown = group(member(keep, vault.library, relation=ORIGINAL),
                    member(png, vault.library, format="PNG", lossless=True), archive=[1])
    loses = {e.source: e.loses for e in plan_archive([unknown], vault.archive).flagged}
    assert "lossless master (PNG)" in loses[str(png)]

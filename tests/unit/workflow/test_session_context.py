"""ReviewSession on a real SearchContext, real photos (scikit-image samples) and real files:
review -> rules -> archive -> context updated -> resume -> undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from desktop_app.workflow.archive import ArchiveFolder
from desktop_app.workflow.groups import Mark
from desktop_app.workflow.session import ReviewSession
from tests.unit.workflow.helpers import Vault

store_mod = pytest.importorskip("desktop_app.context.store")
skdata = pytest.importorskip("skimage.data")


@pytest.fixture
def photo_ctx(vault: Vault):  # type: ignore[no-untyped-def]
    lib = vault.library
    astronaut = Image.fromarray(skdata.astronaut())
    (lib / "2019").mkdir()
    astronaut.save(lib / "2019/astronaut.png")                      # lossless original, 512x512
    astronaut.save(lib / "2019/astronaut.jpg", quality=90)           # recompressed
    astronaut.resize((256, 256)).save(lib / "astronaut small.jpg", quality=80)
    Image.fromarray(skdata.coffee()).save(lib / "coffee.jpg")         # unrelated
    vault.seal()
    store = store_mod.ContextStore(vault.data / "db.sqlite")
    ctx = store.create("review", [lib])
    report = ctx.index(workers=1)
    assert report.added == 4
    yield store, ctx
    store.close()


def test_review_archive_resume_and_undo_on_a_real_context(photo_ctx, vault: Vault) -> None:  # type: ignore[no-untyped-def]
    store, ctx = photo_ctx
    lib = vault.library
    session = ReviewSession(ctx)
    groups = session.groups(95)
    assert len(groups) == 1
    g = groups[0]
    assert {Path(m.path).name for m in g.members} == {"astronaut.png", "astronaut.jpg", "astronaut small.jpg"}
    session.apply_rules("lossless,highest-resolution")
    assert [Path(m.path).name for m in g.kept] == ["astronaut.png"]
    session.set_mark(str(lib / "2019/astronaut.jpg"), Mark.KEEP)  # by hand: keep this one too

    # Resume tomorrow: same store file, new session; marks come back, with who chose them.
    store2 = store_mod.ContextStore(vault.data / "db.sqlite")
    try:
        resumed = ReviewSession(store2.open("review"))
        r = resumed.groups(95)[0]
        # (the rule agreed with the proposal on the PNG and the small JPEG: it takes no credit)
        assert {Path(m.path).name: (m.mark.value, m.chosen_by) for m in r.members} == {
            "astronaut.png": ("keep", "default"),
            "astronaut.jpg": ("keep", "hand"),
            "astronaut small.jpg": ("archive", "default"),
        }
    finally:
        store2.close()

    plan = session.plan(ArchiveFolder(str(vault.archive)))
    assert [Path(e.source).name for e in plan.entries] == ["astronaut small.jpg"]
    result = session.archive(plan)
    assert [m.method for m in result.moved] == ["rename"]
    assert (vault.archive / "astronaut small.jpg").exists()
    assert ctx.image_by_path(str(lib / "astronaut small.jpg")) is None     # the context forgot it
    assert {Path(m.path).name for m in session.groups(95)[0].members} == {"astronaut.png", "astronaut.jpg"}

    back = session.undo()
    assert back.restored == (str(lib / "astronaut small.jpg"),)
    assert ctx.image_by_path(str(lib / "astronaut small.jpg")) is not None  # and knows it again
    assert len(session.groups(95)[0]) == 3


def test_not_duplicates_is_remembered_by_the_context(photo_ctx) -> None:  # type: ignore[no-untyped-def]
    _, ctx = photo_ctx
    session = ReviewSession(ctx)
    g = session.groups(90)[0]
    assert session.not_duplicates(g) == []
    assert len(session.decisions()) == 3
    assert session.groups(50) == [] or all(len(x) < 3 for x in session.groups(50))
    session.clear_decisions(session.decisions())
    assert len(session.groups(90)[0]) == 3

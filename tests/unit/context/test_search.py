"""Scored pairs, duplicate groups, similar images and comparisons through a SearchContext."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_app.context import blobs, verify
from desktop_app.context import pairs as pair_scoring
from desktop_app.context.search_context import SearchContext
from desktop_app.context.types import ScoredPairs
from desktop_app.engine.types import ImageFeatures
from desktop_app.errors import DecodeError

from tests.unit.conftest import save_photo


@pytest.fixture
def indexed(ctx: SearchContext) -> SearchContext:
    ctx.index(workers=1)
    return ctx


def _id(ctx: SearchContext, path: Path) -> int:
    record = ctx.image_by_path(path)
    assert record is not None
    return record.id


def test_near_duplicate_grouped_with_bigger_copy_as_original(indexed: SearchContext,
                                                             library: Path) -> None:
    groups = indexed.find_duplicates(threshold=90)
    assert len(groups) == 1
    members = [(m.image.name, m.similarity) for m in groups[0].members]
    assert members[0] == ("astronaut.jpg", 100.0)  # most pixels wins
    assert members[1][0] == "astronaut small.jpg" and members[1][1] >= 90


def test_exact_copies_score_100_and_older_copy_is_original(indexed: SearchContext,
                                                           library: Path) -> None:
    shutil.copy2(library / "coffee.png", library / "coffee copy.png")
    newer = (library / "coffee.png").stat().st_mtime_ns + 3600 * 10**9
    os.utime(library / "coffee copy.png", ns=(newer, newer))
    indexed.index(workers=1)
    groups = indexed.find_duplicates(threshold=99)
    coffee = [g for g in groups if g.original.name.startswith("coffee")]
    assert len(coffee) == 1
    assert [(m.image.name, m.similarity) for m in coffee[0].members] == [
        ("coffee.png", 100.0), ("coffee copy.png", 100.0)]


def test_scored_pairs_are_cached_and_incremental(indexed: SearchContext, library: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = indexed.scored_pairs()
    assert first.floor == 50 and len(first.a) >= 1
    assert np.all(first.a < first.b) and np.all(first.score >= 50)
    assert indexed.scored_pairs() is first  # in memory
    verified: list[tuple[int, int]] = []
    real = verify.score_pair

    def spy(fa, fb):
        verified.append((id(fa), id(fb)))
        return real(fa, fb)

    monkeypatch.setattr(verify, "score_pair", spy)
    indexed.cache.invalidate()
    again = indexed.scored_pairs()  # from SQLite, nothing recomputed
    assert verified == [] and again.extra["computed"] == 0
    assert sorted(zip(again.a.tolist(), again.b.tolist())) == sorted(zip(first.a.tolist(),
                                                                         first.b.tolist()))
    save_photo(library / "astronaut q60.jpg", "astronaut", long_side=350, quality=60)
    indexed.index(workers=1)
    third = indexed.scored_pairs()
    new_id = _id(indexed, library / "astronaut q60.jpg")
    assert third.extra["computed"] == 1 and 0 < len(verified) <= pair_scoring.CANDIDATES_PER_IMAGE + 1
    involving = {(a, b) for a, b in zip(third.a.tolist(), third.b.tolist()) if new_id in (a, b)}
    assert len(involving) >= 2  # the new copy pairs with both astronauts
    groups = indexed.find_duplicates(threshold=90, pairs=third)
    assert sorted(m.image.name for m in groups[0].members) == [
        "astronaut q60.jpg", "astronaut small.jpg", "astronaut.jpg"]


def test_changed_image_drops_its_cached_pairs(indexed: SearchContext, library: Path) -> None:
    indexed.scored_pairs()
    small = _id(indexed, library / "astronaut small.jpg")
    save_photo(library / "astronaut small.jpg", "coffee", long_side=300)
    os.utime(library / "astronaut small.jpg", ns=(10**18, 10**18))
    indexed.index(workers=1)
    pairs = indexed.scored_pairs()
    assert pairs.extra["computed"] == 1
    assert indexed.find_duplicates(threshold=90, pairs=pairs)[0].original.name == "coffee.png"
    assert all(g.original.id != small for g in indexed.find_duplicates(threshold=99))


def test_no_chaining_through_the_context(indexed: SearchContext, library: Path) -> None:
    a = _id(indexed, library / "astronaut.jpg")
    b = _id(indexed, library / "coffee.png")
    c = _id(indexed, library / "trips" / "chelsea.jpg")
    pairs = ScoredPairs(a=np.array([a, b]), b=np.array([b, c]),
                        score=np.array([95.0, 95.0], np.float32))
    groups = indexed.find_duplicates(threshold=90, pairs=pairs)
    assert len(groups) == 1
    ids = [m.image.id for m in groups[0].members]
    assert len(ids) == 2 and not {a, c} <= set(ids)


def test_distinct_decision_splits_a_group_even_after_rename(indexed: SearchContext,
                                                           library: Path) -> None:
    big, small = library / "astronaut.jpg", library / "astronaut small.jpg"
    assert len(indexed.find_duplicates(threshold=90)) == 1
    indexed.mark_distinct([(str(big), str(small))])
    assert indexed.find_duplicates(threshold=90) == []
    os.rename(small, library / "trips" / "moved.jpg")
    indexed.index(workers=1)
    assert indexed.find_duplicates(threshold=90) == []
    indexed.unmark_distinct(indexed.distinct_decisions())
    assert len(indexed.find_duplicates(threshold=90)) == 1


def test_find_similar_external_file_is_not_added(indexed: SearchContext, tmp_path: Path) -> None:
    outside = save_photo(tmp_path / "elsewhere" / "astro.webp", "astronaut", long_side=360)
    count = indexed.image_count()
    results = indexed.find_similar(outside, threshold=70, max_count=5)
    assert indexed.image_count() == count and indexed.image_by_path(outside) is None
    names = [r.image.name for r in results]
    assert names[:2] and set(names[:2]) == {"astronaut.jpg", "astronaut small.jpg"}
    assert all(r.similarity >= 70 for r in results)
    assert [r.similarity for r in results] == sorted((r.similarity for r in results), reverse=True)


def test_find_similar_reference_in_context_excluded_and_limits_respected(
        indexed: SearchContext, library: Path) -> None:
    save_photo(library / "astronaut cropped.jpg", "astronaut", long_side=600)
    from PIL import Image

    with Image.open(library / "astronaut cropped.jpg") as img:
        img.crop((60, 40, 560, 560)).resize((400, 416)).save(library / "astronaut cropped.jpg")
    indexed.index(workers=1)
    ref = library / "astronaut.jpg"
    ref_id = _id(indexed, ref)
    by_path = indexed.find_similar(str(ref), threshold=0, max_count=20)
    names = [r.image.name for r in by_path]
    assert ref_id not in [r.image.id for r in by_path]
    assert names[:2] == ["astronaut small.jpg", "astronaut cropped.jpg"]
    assert by_path[0].similarity >= 90 > by_path[1].similarity >= 70
    by_id = indexed.find_similar(ref_id, threshold=0, max_count=1)
    assert [r.image.name for r in by_id] == ["astronaut small.jpg"]
    strict = indexed.find_similar(ref_id, threshold=90, max_count=5)
    assert [r.image.name for r in strict] == ["astronaut small.jpg"]
    assert indexed.find_similar(ref_id, threshold=0, max_count=0) == []
    with pytest.raises(DecodeError, match="not found"):
        indexed.find_similar(library / "missing.jpg")


def test_compare_ids_paths_and_external(indexed: SearchContext, library: Path,
                                        tmp_path: Path) -> None:
    big = _id(indexed, library / "astronaut.jpg")
    same = indexed.compare(big, str(library / "astronaut.jpg"))
    assert same.score == pytest.approx(100.0)
    copy = tmp_path / "copy.jpg"
    shutil.copy(library / "astronaut.jpg", copy)
    assert indexed.compare(copy, big).score == pytest.approx(100.0)
    unrelated = indexed.compare(library / "coffee.png", library / "trips" / "rocket.JPG")
    assert unrelated.score < 50
    near = indexed.compare(library / "astronaut.jpg", library / "astronaut small.jpg")
    assert near.score >= 90 and near.phash_distance <= 10


def test_pair_verification_on_worker_processes_matches_in_process(
        indexed: SearchContext, monkeypatch: pytest.MonkeyPatch) -> None:
    here = indexed.scored_pairs(workers=1)
    with indexed.store.conn() as conn:
        conn.execute("DELETE FROM pair_scores")
        conn.execute("UPDATE images SET paired=0")
    indexed.cache.invalidate()
    monkeypatch.setattr(pair_scoring, "VERIFY_POOL_MIN_PAIRS", 0)
    pooled = indexed.scored_pairs(workers=2)
    assert pooled.extra["computed"] == indexed.image_count()
    key = lambda p: sorted(zip(p.a.tolist(), p.b.tolist(), np.round(p.score, 3).tolist()))  # noqa: E731
    assert key(pooled) == key(here)


def test_index_features_slice_gives_the_same_candidates_and_is_backfilled(
        indexed: SearchContext) -> None:
    from desktop_app.engine.index import SimilarityIndex

    full = SimilarityIndex()
    for record in indexed.images():
        full.add(record.id, indexed.features(record.id))
    sliced = indexed.cache.similarity_index(indexed)
    for record in indexed.images():
        feats = indexed.features(record.id)
        assert sliced.candidates(feats, limit=10) == full.candidates(feats, limit=10)
    conn = indexed.store.conn()
    conn.execute("DELETE FROM index_features")  # as after a migration from schema 1
    indexed.cache.invalidate()
    assert len(indexed.cache.similarity_index(indexed)) == indexed.image_count()
    assert conn.execute("SELECT COUNT(*) FROM index_features").fetchone()[0] == indexed.image_count()


def test_cancelled_pair_scoring_keeps_verified_pairs_and_resumes_without_redoing_them(
        indexed: SearchContext, library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.engine.progress import CancelToken
    from desktop_app.errors import Cancelled

    for name, side in (("coffee", 300), ("chelsea", 320), ("rocket", 350)):
        save_photo(library / f"{name} copy.jpg", name, long_side=side, quality=70)
    indexed.index(workers=1)
    monkeypatch.setattr(pair_scoring, "VERIFY_CHUNK", 1)
    calls = [0]
    token = CancelToken()
    stop_at = [10**9]
    real = verify.score_pair

    def counting(fa, fb):
        calls[0] += 1
        if calls[0] == stop_at[0]:
            token.cancel()
        return real(fa, fb)

    monkeypatch.setattr(verify, "score_pair", counting)
    full = indexed.scored_pairs()
    expected = sorted(zip(full.a.tolist(), full.b.tolist()))
    total = calls[0]
    assert total >= 4
    conn = indexed.store.conn()
    conn.execute("DELETE FROM pair_scores")
    conn.execute("UPDATE images SET paired=0")
    indexed.cache.invalidate()
    calls[0], stop_at[0] = 0, total // 2
    with pytest.raises(Cancelled):
        indexed.scored_pairs(cancel=token)
    assert calls[0] == total // 2  # stopped right after the chunk that saw the cancel
    stored = conn.execute("SELECT COUNT(*) FROM pair_scores").fetchone()[0]
    assert stored >= total // 2  # every verified pair is kept, also those under the floor
    calls[0], stop_at[0] = 0, 10**9
    resumed = indexed.scored_pairs()
    assert calls[0] == total - total // 2  # the rest, nothing verified twice
    assert sorted(zip(resumed.a.tolist(), resumed.b.tolist())) == expected
    assert conn.execute("SELECT COUNT(*) FROM images WHERE paired=0").fetchone()[0] == 0


def test_byte_identical_copies_share_scores_without_new_verification(
        indexed: SearchContext, library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = indexed.scored_pairs()
    big = _id(indexed, library / "astronaut.jpg")
    small = _id(indexed, library / "astronaut small.jpg")
    score = {(a, b): s for a, b, s in zip(first.a.tolist(), first.b.tolist(), first.score.tolist())}
    verified: list[int] = []
    real = verify.score_pair

    def counting(fa: ImageFeatures, fb: ImageFeatures) -> float:
        verified.append(1)
        return real(fa, fb)

    monkeypatch.setattr(verify, "score_pair", counting)
    shutil.copy2(library / "astronaut.jpg", library / "trips" / "astronaut backup.jpg")
    indexed.index(workers=1)
    copy = _id(indexed, library / "trips" / "astronaut backup.jpg")
    pairs = indexed.scored_pairs()
    assert verified == []  # inherited from the scored twin
    got = {(a, b): s for a, b, s in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.score.tolist())}
    assert got[(big, copy)] == 100.0
    assert got[(min(small, copy), max(small, copy))] == pytest.approx(score[(min(big, small),
                                                                             max(big, small))])


def test_new_copies_are_verified_once_per_content(store, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "copies"
    save_photo(lib / "a.jpg", "astronaut")
    for name in ("a copy 1.jpg", "a copy 2.jpg"):
        shutil.copy2(lib / "a.jpg", lib / name)
    save_photo(lib / "a small.jpg", "astronaut", long_side=300, quality=70)
    ctx = store.create("copies", [lib])
    ctx.index(workers=1)
    verified: list[int] = []
    real = verify.score_pair

    def counting(fa: ImageFeatures, fb: ImageFeatures) -> float:
        verified.append(1)
        return real(fa, fb)

    monkeypatch.setattr(verify, "score_pair", counting)
    pairs = ctx.scored_pairs()
    assert len(verified) == 1  # one pair of contents
    assert len(pairs.a) == 6  # 3 exact pairs + the small one with each of the 3 copies
    groups = ctx.find_duplicates(threshold=90, pairs=pairs)
    assert len(groups) == 1 and len(groups[0].members) == 4


def test_blobs_by_id_loads_in_chunks_and_only_feature_tables(
        ctx: SearchContext, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx.index(workers=1)
    ids = [r.id for r in ctx.images()]
    monkeypatch.setattr(blobs, "IN_CHUNK", 2)       # several chunks for a small library
    full = blobs.blobs_by_id(ctx.conn, "features", ids + [10**9])
    assert sorted(full) == sorted(ids)
    assert all(type(b) is bytes and len(b) > 0 for b in full.values())
    assert ctx.features(ids[0]).working_size == ImageFeatures.from_bytes(full[ids[0]]).working_size
    assert sorted(blobs.blobs_by_id(ctx.conn, "index_features", iter(ids))) == sorted(ids)
    assert blobs.blobs_by_id(ctx.conn, "features", []) == {}
    with pytest.raises(ValueError):
        blobs.blobs_by_id(ctx.conn, "images; DROP TABLE images", ids)


def test_an_added_image_verifies_only_pairs_that_involve_it(
        indexed: SearchContext, library: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    indexed.scored_pairs()
    chunks: list[list[list[int]]] = []
    real = verify.verify_chunk_job

    def spy(job):
        chunks.append(job[1].tolist())
        return real(job)

    monkeypatch.setattr(verify, "verify_chunk_job", spy)
    save_photo(library / "chelsea small.jpg", "chelsea", long_side=300, quality=80)
    indexed.index(workers=1)
    new_id = _id(indexed, library / "chelsea small.jpg")
    pairs = indexed.scored_pairs()
    verified = [p for chunk in chunks for p in chunk]
    assert verified and all(new_id in p for p in verified)
    chelsea = _id(indexed, library / "trips" / "chelsea.jpg")
    assert (min(chelsea, new_id), max(chelsea, new_id)) in set(zip(pairs.a.tolist(),
                                                                  pairs.b.tolist()))


def test_pair_scoring_reports_finding_then_comparing_with_rate(
        indexed: SearchContext, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.context import reporting
    from desktop_app.engine.progress import Progress

    monkeypatch.setattr(reporting, "PROGRESS_INTERVAL", 0.0)
    seen: list[Progress] = []
    indexed.scored_pairs(progress=seen.append)
    phases = [p.current for p in seen]
    assert phases[0] == pair_scoring.FINDING and phases[-1] == pair_scoring.COMPARING
    assert phases.index(pair_scoring.COMPARING) > phases.index(pair_scoring.FINDING)
    last = seen[-1]
    assert last.done == last.total > 0 and last.rate > 0

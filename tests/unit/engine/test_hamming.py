"""Multi-index Hamming search: exactly the rows within the radius, over all 8 variants."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.engine.hamming import MAX_RADIUS, HashTable


def _flip(codes: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    out = codes.copy()
    for i in range(len(out)):
        for b in rng.choice(64, size=bits, replace=False):
            out[i] ^= np.uint64(1) << np.uint64(b)
    return out


@pytest.mark.parametrize("radius", [0, 4, 8, MAX_RADIUS])
def test_search_equals_brute_force(radius: int) -> None:
    rng = np.random.default_rng(radius)
    rows = rng.integers(0, 2**63, (400, 8), dtype=np.uint64)
    queries = rng.integers(0, 2**63, 60, dtype=np.uint64)
    # plant near neighbours at every distance up to the radius + 2, in any variant
    for q in range(60):
        r, k = int(rng.integers(0, 400)), int(rng.integers(0, 8))
        rows[r, k] = _flip(queries[q:q + 1], int(rng.integers(0, radius + 3)), rng)[0]
    qi, row, dist = HashTable(rows).search(queries, radius)
    brute = np.bitwise_count(queries[:, None, None] ^ rows[None, :, :]).min(axis=2)
    want = {(int(a), int(b), int(brute[a, b])) for a, b in zip(*np.nonzero(brute <= radius))}
    assert {(int(a), int(b), int(c)) for a, b, c in zip(qi, row, dist)} == want


def test_a_radius_the_search_cannot_guarantee_is_refused() -> None:
    table = HashTable(np.zeros((3, 8), np.uint64))
    with pytest.raises(ValueError):
        table.search(np.zeros(1, np.uint64), MAX_RADIUS + 1)

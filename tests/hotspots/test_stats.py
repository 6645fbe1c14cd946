"""The hot spot statistics: exact hypergeometric tail (scipy.stats as oracle), Benjamini-Hochberg."""

from __future__ import annotations

import numpy as np
from scipy import stats

from procatlas.hotspots.hotspots import _bh, hypergeom_sf


def test_hypergeom_tail_equals_scipy():
    rng = np.random.default_rng(3)
    for total in (30, 300, 13_087, 500_000):
        good = int(rng.integers(1, total))
        drawn = rng.integers(1, total, 40)
        k = np.array([rng.integers(0, min(d, good) + 1) for d in drawn])
        want = stats.hypergeom.sf(k - 1, total, good, drawn)
        got = hypergeom_sf(k, total, good, drawn)
        assert np.allclose(got, want, rtol=1e-6, atol=1e-300), (total, good)


def test_benjamini_hochberg_equals_scipy():
    p = np.random.default_rng(4).random(200) ** 3
    assert np.allclose(_bh(p), stats.false_discovery_control(p, method="bh"))

"""Properties of working-time durations and of the Benjamini-Hochberg adjustment."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from procatlas.metrics.calendar import BusinessCalendar
from procatlas.metrics.compare import benjamini_hochberg

minutes = st.integers(min_value=0, max_value=60 * 24 * 60)  # within 60 days
base = np.datetime64("2025-01-01T00:00", "us")


@settings(max_examples=200, deadline=None)
@given(minutes, minutes, minutes, st.sampled_from(["1111100", "1111111", "0111110"]),
       st.integers(0, 12), st.integers(13, 24))
def test_working_seconds_add_up_and_stay_within_elapsed(a, b, c, mask, h0, h1):
    a, b, c = sorted((a, b, c))
    cal = BusinessCalendar(working_days=mask, from_hour=h0, to_hour=h1, holidays=("2025-01-06",))
    t = base + np.array([a, b, c]).astype("timedelta64[m]")
    ab, bc, ac = cal.working_seconds(t[[0, 1, 0]], t[[1, 2, 2]])
    assert abs(ab + bc - ac) < 1e-6
    assert 0 <= ac <= (c - a) * 60 + 1e-6


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=40))
def test_bh_is_monotone_and_not_below_p(p):
    q = benjamini_hochberg(p)
    assert all(qi >= pi - 1e-12 and qi <= 1 for pi, qi in zip(p, q))
    order = np.argsort(p)
    qs = np.asarray(q)[order]
    assert all(np.diff(qs) >= -1e-12)

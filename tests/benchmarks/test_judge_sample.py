"""The sampled estimate of the IMf quality table (benchmarks/judge_sample.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import judge_sample as js  # noqa: E402


def _exact(a0, b0, w, terms) -> float:
    a = a0 + sum(wk * t[0] for wk, t in zip(w, terms) if t is not None)
    b = b0 + sum(wk * t[1] for wk, t in zip(w, terms) if t is not None)
    return 1 - a / b if b else 1.0


units = st.lists(st.tuples(st.integers(1, 50), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=40)


@given(units, st.integers(0, 2**32 - 1))
@settings(max_examples=150)
def test_draws_are_from_the_rest_and_a_longer_sample_extends_a_shorter(us, seed):
    w = [u[0] for u in us]
    start = len(w) // 2
    short, long_ = js.draw(w, start, 10, seed), js.draw(w, start, 25, seed)
    assert long_[:10] == short and all(start <= k < len(w) for k in long_)
    assert js.draw([0, 0, 0], 1, 5, seed) == []


@given(units, st.integers(0, 40), st.integers(1, 60))
@settings(max_examples=150)
def test_exact_where_the_rest_cannot_vary(us, h, m):
    """All units judged (h = n), or every unit of the rest alike: the estimate is the exact value
    and the interval has no width."""
    w = [u[0] for u in us]
    h = min(h, len(w))
    terms = [(min(a, b), b) for _, a, b in us]
    alike = terms[:h] + [terms[-1]] * (len(w) - h)
    draws = js.draw(w, h, m, 0)
    for t in (terms, alike) if h == len(w) else (alike,):
        got = js.estimate({"ours": {"a0": 1, "b0": 4, "terms": dict(enumerate(t))},
                           "pm4py": {"a0": 0, "b0": 2, "terms": dict(enumerate(t))}}, w, h, draws, boot=200)
        for who, (a0, b0) in (("ours", (1, 4)), ("pm4py", (0, 2))):
            assert abs(got[who].value - _exact(a0, b0, w, t)) < 1e-9
            assert abs(got[who].high - got[who].low) < 1e-9
        assert abs(got["diff"].value - (_exact(1, 4, w, t) - _exact(0, 2, w, t))) < 1e-9


def test_the_interval_covers_the_true_value_about_95_in_100():
    """A population like an ETC prefix table (heavy-tailed weights, a few unaligned units); 200
    samples of 150 draws from the rest after an exact head of 20 units."""
    rng = np.random.default_rng(7)
    n = 3000
    w = (rng.pareto(1.2, n) * 10 + 1).astype(int).tolist()
    b = rng.integers(1, 8, n)
    ours = [None if rng.random() < 0.01 else (int(rng.integers(0, bk + 1)), int(bk)) for bk in b]
    theirs = [None if t is None else (min(t[1], t[0] + int(rng.integers(0, 2))), t[1]) for t in ours]
    truth = {"ours": _exact(0, 0, w, ours), "pm4py": _exact(0, 0, w, theirs)}
    truth["diff"] = truth["ours"] - truth["pm4py"]
    covered = {k: 0 for k in truth}
    for seed in range(200):
        draws = js.draw(w, 20, 150, seed)
        got = js.estimate({"ours": {"a0": 0, "b0": 0, "terms": dict(enumerate(ours))},
                           "pm4py": {"a0": 0, "b0": 0, "terms": dict(enumerate(theirs))}}, w, 20, draws,
                          boot=500, seed=seed)
        for k, e in got.items():
            covered[k] += e.low <= truth[k] <= e.high
    assert all(175 <= c <= 200 for c in covered.values()), covered  # 87.5%..100% of 95% intervals


def test_verdict_reads_the_interval_of_the_difference():
    assert js.verdict(js.Estimate(0.0, -0.019, 0.01)) == "within 0.02 or better"
    assert js.verdict(js.Estimate(-0.05, -0.06, -0.021)) == "worse by more than 0.02"
    assert js.verdict(js.Estimate(-0.02, -0.03, -0.01)) == "undecided: the interval crosses -0.02"

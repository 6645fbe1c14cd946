"""Before/after comparison of KPIs: change, bootstrap CI, a test suited to the measure, BH, verdict."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from procatlas.model.metrics import Comparison, KpiChange, KpiValue, Metrics, statistic

BOOTSTRAP = 1000


def _boot(sample: np.ndarray, stat: str, rng: np.random.Generator, b: int) -> np.ndarray:
    """``b`` bootstrap replicates of ``stat`` over ``sample``.

    Shares draw a binomial (exactly the resampling distribution); quantiles take the order
    statistic at a binomial rank (the resampling distribution of a quantile, to first order);
    means resample in chunks.
    """
    n = len(sample)
    if stat == "share":
        return rng.binomial(n, float(np.mean(sample)), size=b) / n
    if stat in ("median", "p90"):
        q = 0.5 if stat == "median" else 0.9
        s = np.sort(sample)
        return s[np.clip(rng.binomial(n, q, size=b), 0, n - 1)]
    out = np.empty(b)
    chunk = max(1, 2_000_000 // max(n, 1))
    for i in range(0, b, chunk):
        m = min(chunk, b - i)
        idx = rng.integers(0, n, size=(m, n))
        vals = sample[idx]
        out[i:i + m] = vals.sum(axis=1) if stat == "sum" else vals.mean(axis=1)
    return out


def _quantile_test(a: np.ndarray, b: np.ndarray, q: float) -> tuple[float, str]:
    """Mood's median test generalised to quantile ``q``: is the share of each sample above the
    pooled quantile the same?  (Tests the statistic the KPI reports, not the whole distribution.)"""
    cut = np.quantile(np.concatenate([a, b]), q)
    p, _ = _proportions(float((a > cut).sum()), len(a), float((b > cut).sum()), len(b))
    return p, "median test" if q == 0.5 else f"quantile test (q={q:g})"


def _test(kind: str, stat: str, a: np.ndarray, b: np.ndarray) -> tuple[float | None, str | None]:
    if len(a) < 2 or len(b) < 2:
        return None, None
    if kind == "rate":
        return _proportions(float(a.sum()), len(a), float(b.sum()), len(b))
    if stat in ("median", "p90"):
        return _quantile_test(a, b, 0.5 if stat == "median" else 0.9)
    if np.all(a == a[0]) and np.all(b == a[0]):
        return 1.0, "mann-whitney"
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue), "mann-whitney"


def _proportions(s1: float, n1: int, s2: float, n2: int) -> tuple[float, str]:
    """Two-proportion z test, or Fisher's exact test when an expected cell count is below 5."""
    x1, x2 = int(round(s1)), int(round(s2))
    pooled = (x1 + x2) / (n1 + n2)
    expected = min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))
    if expected < 5:
        return float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])[1]), "fisher"
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0, "two-proportion z"
    z = (x2 / n2 - x1 / n1) / se
    return float(2 * stats.norm.sf(abs(z))), "two-proportion z"


def benjamini_hochberg(p: list[float]) -> list[float]:
    """BH-adjusted p-values (q-values) in the input order."""
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p)
    ranked = np.asarray(p, dtype=float)[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out.tolist()


def _verdict(direction: str | None, change: float, significant: bool) -> str:
    if not significant:
        return "no significant change"
    if direction is None:
        return "significant change"
    better = change < 0 if direction == "lower" else change > 0
    return "better" if better else "worse"


def compare_metrics(before: Metrics, after: Metrics, *, alpha: float = 0.05, bootstrap: int = BOOTSTRAP,
                    seed: int = 0, before_label: str = "before", after_label: str = "after") -> Comparison:
    """Compare every KPI of ``before`` with the same KPI of ``after`` (matched by process and name)."""
    rng = np.random.default_rng(seed)
    current = {(k.process, k.kpi): k for k in after.kpis}
    pending: list[tuple[KpiValue, KpiValue | None, dict]] = []
    for b in before.kpis:
        a = current.get((b.process, b.kpi))
        pending.append((b, a, {}))
    tested = []
    for b, a, res in pending:
        res.update(before=b.value, after=None if a is None else a.value, change=None, rel=None, lo=None, hi=None,
                   p=None, test=None, verdict="missing", n_after=0 if a is None else a.n)
        if a is None:
            continue
        if b.value is not None and a.value is not None:
            res["change"] = a.value - b.value
            res["rel"] = res["change"] / abs(b.value) if b.value else None
        if a.definition_hash != b.definition_hash:
            res["verdict"] = "definition changed"
            res["change"] = res["rel"] = None
            continue
        if b.kind == "count" or b.sample is None or a.sample is None or b.value is None or a.value is None:
            res["verdict"] = "not tested"
            continue
        sb, sa = np.asarray(b.sample, dtype=float), np.asarray(a.sample, dtype=float)
        if len(sb) < 2 or len(sa) < 2:
            res["verdict"] = "not tested"
            continue
        # CI of the change in the KPI's own statistic
        diff = _boot(sa, b.stat, rng, bootstrap) - _boot(sb, b.stat, rng, bootstrap)
        res["lo"], res["hi"] = (float(x) for x in np.quantile(diff, [0.025, 0.975]))
        res["p"], res["test"] = _test(b.kind, b.stat, sb, sa)
        if res["p"] is None:
            res["verdict"] = "not tested"
        else:
            tested.append(res)
    q = benjamini_hochberg([r["p"] for r in tested])
    for r, qv in zip(tested, q):
        r["q"] = qv
    changes = []
    for b, a, r in pending:
        if "q" in r:
            r["verdict"] = _verdict(b.direction, r["change"], r["q"] <= alpha)
        changes.append(KpiChange(b.kpi, b.process, r["before"], r["after"], r["change"], r["rel"], r["lo"], r["hi"],
                                 r["p"], r.get("q"), r["test"], r["verdict"], b.unit, int(b.n), int(r["n_after"])))
    return Comparison(before_label, after_label, tuple(changes), alpha)


__all__ = ["benjamini_hochberg", "compare_metrics", "statistic"]

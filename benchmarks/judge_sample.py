"""A sampled estimate of a judge's ratio metric where the full judgement would take days.

Both metrics of the IMf quality table are a ratio of weighted sums over units (variants for
fitness, ETC prefixes for precision):

    value = 1 - (a0 + sum_k w_k a_k) / (b0 + sum_k w_k b_k)

fitness: a = alignment cost, b = worst-case cost, w = cases of the variant (pm4py's
``log_fitness``); precision: a = escaping activities, b = enabled activities after the prefix,
w = cases through the prefix, a0/b0 the empty prefix (pm4py's ETC).

The estimate is stratified. The units ``k < h`` (those judged exactly for both models) are
summed exactly. The rest is a sample drawn with replacement with probability proportional to
``w`` (Hansen-Hurwitz): with ``W`` the rest's total weight and ``m`` draws, ``W/m * sum a_d``
estimates ``sum w_k a_k`` without bias, and likewise for ``b``. The ratio of the two estimates is
consistent. A percentile bootstrap over the draws gives the interval; both models are judged on
the same draws, so their difference is bootstrapped paired.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def draw(weights: Sequence[float], start: int, k: int, seed: int) -> list[int]:
    """``k`` unit indices from ``start`` on, with replacement, with probability proportional to
    ``weights[i]`` (the same seed gives the same first draws for any ``k``)."""
    rest = list(weights[start:])
    if not rest or sum(rest) <= 0:
        return []
    return random.Random(seed).choices(range(start, len(weights)), weights=rest, k=k)


@dataclass(frozen=True)
class Estimate:
    """One model's or the difference's point estimate with its 95% bootstrap interval."""

    value: float
    low: float
    high: float


def _ratio(a0, b0, ah, bh, scale, a_draws, b_draws):
    """1 - A/B with the rest's sums estimated from the draws (arrays: one row per bootstrap)."""
    a = a0 + ah + scale * a_draws
    b = b0 + bh + scale * b_draws
    return np.where(b > 0, 1.0 - a / np.where(b > 0, b, 1.0), 1.0)


def estimate(models: dict[str, dict], weights: Sequence[float], h: int, draws: Sequence[int], *,
             boot: int = 2000, seed: int = 0) -> dict[str, Estimate]:
    """Estimates per model and of ``ours - pm4py`` (when both are given).

    ``models[who]`` holds ``a0``, ``b0`` and ``terms``: a mapping of unit index to ``(a, b)`` for
    every unit below ``h`` and every drawn unit (``None`` for a unit the judge could not align:
    it adds nothing, as in pm4py's sums).
    """
    w = np.asarray(weights, dtype=float)
    rest = float(w[h:].sum())
    m = len(draws)
    idx = np.random.default_rng(seed).integers(0, m, size=(boot, m)) if m else np.zeros((boot, 0), int)
    scale = rest / m if m else 0.0
    out: dict[str, Estimate] = {}
    reps: dict[str, np.ndarray] = {}
    for who, mod in models.items():
        terms = mod["terms"]
        head = [(w[k], terms[k]) for k in range(h) if terms[k] is not None]
        ah = sum(wk * t[0] for wk, t in head)
        bh = sum(wk * t[1] for wk, t in head)
        ad = np.array([0.0 if terms[d] is None else terms[d][0] for d in draws])
        bd = np.array([0.0 if terms[d] is None else terms[d][1] for d in draws])
        point = float(_ratio(mod["a0"], mod["b0"], ah, bh, scale, ad.sum(), bd.sum()))
        reps[who] = _ratio(mod["a0"], mod["b0"], ah, bh, scale, ad[idx].sum(axis=1), bd[idx].sum(axis=1))
        lo, hi = np.percentile(reps[who], [2.5, 97.5])
        out[who] = Estimate(point, float(lo), float(hi))
    if {"ours", "pm4py"} <= set(out):
        diff = reps["ours"] - reps["pm4py"]
        lo, hi = np.percentile(diff, [2.5, 97.5])
        out["diff"] = Estimate(out["ours"].value - out["pm4py"].value, float(lo), float(hi))
    return out


def verdict(diff: Estimate, tolerance: float = 0.02) -> str:
    """Whether ours is within ``tolerance`` of pm4py's or better, by the interval of the difference."""
    if diff.low >= -tolerance:
        return f"within {tolerance} or better"
    if diff.high < -tolerance:
        return f"worse by more than {tolerance}"
    return f"undecided: the interval crosses -{tolerance}"

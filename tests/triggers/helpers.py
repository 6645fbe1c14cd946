"""Test helpers: the ground truth of the simulated company in the terms of procatlas.triggers."""

from __future__ import annotations

# The ground truth names triggers per process CSV; the case notion and our (kind, source) for each.
PROCESS_TYPE = {"procure_to_pay": "purchase_requisition", "order_to_cash": "sales_order",
                "complaint_handling": "complaint", "product_return": "return"}
TRUTH_KIND = {
    ("procure_to_pay", "reorder_point"): ("schedule", None),
    ("procure_to_pay", "employee_request"): ("manual", None),
    ("procure_to_pay", "sales_shortage"): ("process", "sales_order"),
    ("complaint_handling", "social_post"): ("external", "social"),
    ("product_return", "complaint_resolution"): ("process", "complaint"),
}


def truth_triggers(truth: dict) -> dict[tuple, float]:
    """{(object type, kind, source): share} of the ground truth (schedule/manual without source)."""
    out = {}
    for proc, items in truth["triggers"].items():
        for t in items:
            if t["count"] == 0:
                continue
            kind, source = TRUTH_KIND.get((proc, t["kind"]), ("external", t["kind"]))
            out[(PROCESS_TYPE[proc], kind, source)] = t["share"]
    return out


def found_triggers(result, *, min_share: float = 0.05) -> dict[tuple, float]:
    """Our triggers of the ground-truth processes with at least ``min_share``, same keys as above."""
    out: dict[tuple, float] = {}
    for t in result.triggers:
        if t.process not in PROCESS_TYPE.values():
            continue
        key = (t.process, t.kind, None if t.kind in ("schedule", "manual", "unknown") else t.source)
        out[key] = out.get(key, 0.0) + t.share
    return {k: v for k, v in out.items() if v >= min_share}


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    hit = len(found & truth)
    return (hit / len(found) if found else 0.0), (hit / len(truth) if truth else 1.0)

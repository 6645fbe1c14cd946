"""The ground truth agrees with the configured rates and, independently, with the events."""

from __future__ import annotations

import numpy as np

from tests.simulate.helpers import cases_with, local_seconds, read_csv, truth, working_seconds


def _truth_sets(gt: dict) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for row in gt["exceptions"]["objects"]:
        out.setdefault((row["object_type"], row["exception"]), set()).add(row["object_id"])
    return out


def test_drawn_rates_within_tolerance(large):
    gt = truth(large.out)
    drawn = [r for r in gt["exceptions"]["rates"] if r["drawn"]]
    assert len(drawn) >= 12
    for r in drawn:
        e, n = r["expected_rate"], r["eligible"]
        tol = 4 * np.sqrt(e * (1 - e) / n) + 1.0 / n
        assert abs(r["observed_rate"] - e) <= tol, r
        if r["configured_rate"] is not None:  # hot spots raise the mean, never lower it
            assert e >= r["configured_rate"] - 1e-9, r


def test_events_show_every_planted_exception(large):
    gt = _truth_sets(truth(large.out))
    pr, so = read_csv(large.out, "procure_to_pay"), read_csv(large.out, "order_to_cash")
    cm, rt = read_csv(large.out, "complaint_handling"), read_csv(large.out, "product_return")
    ids, counts = np.unique(pr["case:concept:name"][pr["concept:name"] == "Approve purchase requisition"],
                           return_counts=True)
    amount = dict(zip(pr["case:concept:name"], pr["amount"]))
    skipped = {c for c, a in amount.items() if a >= 5000} - cases_with(pr, "Approve purchase order")
    from_events = {
        ("purchase_requisition", "rework_repeated_approval"): set(ids[counts >= 2].tolist()),
        ("purchase_requisition", "skipped_approval"): skipped,
        ("purchase_requisition", "order_change_after_approval"): cases_with(pr, "Change purchase order"),
        ("purchase_requisition", "cancellation"): cases_with(pr, "Cancel purchase order"),
        ("purchase_requisition", "reversal"): cases_with(pr, "Reverse goods receipt"),
        ("purchase_requisition", "missing_goods_receipt"):
            cases_with(pr, "Perform three-way match", result="missing goods receipt"),
        ("purchase_requisition", "price_mismatch"): cases_with(pr, "Perform three-way match", result="price mismatch"),
        ("purchase_requisition", "quantity_mismatch"):
            cases_with(pr, "Perform three-way match", result="quantity mismatch"),
        ("sales_order", "order_change_after_approval"): cases_with(so, "Change sales order"),
        ("sales_order", "cancellation"): cases_with(so, "Cancel sales order"),
        ("complaint", "complaint_escalation"): cases_with(cm, "Escalate complaint"),
        ("complaint", "reopened_ticket"): cases_with(cm, "Reopen ticket"),
        ("return", "failed_return_inspection"): cases_with(rt, "Inspect returned goods", result="failed"),
    }
    for key, found in from_events.items():
        assert found, key
        assert found == gt.get(key, set()), key


def test_sla_breaches_match_the_events(large):
    gt = truth(large.out)
    hol = gt["calendar"]["holidays"]
    sets = _truth_sets(gt)
    cm = read_csv(large.out, "complaint_handling")
    t = local_seconds(cm["time:timestamp"])
    w = working_seconds(t, hol)
    case = cm["case:concept:name"]
    first = {c: w[i] for i, c in reversed(list(enumerate(case)))}
    last_res = {c: w[i] for i, c in enumerate(case) if cm["concept:name"][i] == "Resolve ticket"}
    breach = {c for c, r in last_res.items() if r - first[c] > gt["sla"]["complaint_resolution_working_hours"] * 3600}
    assert breach == sets[("complaint", "sla_breach")]
    so = read_csv(large.out, "order_to_cash")
    w = working_seconds(local_seconds(so["time:timestamp"]), hol)
    conf = {c: w[i] for i, c in enumerate(so["case:concept:name"]) if so["concept:name"][i] == "Confirm sales order"}
    ship = {c: w[i] for i, c in enumerate(so["case:concept:name"]) if so["concept:name"][i] == "Ship goods"}
    late = {c for c in ship if ship[c] - conf[c] > gt["sla"]["delivery_after_confirmation_working_hours"] * 3600}
    assert late == sets[("sales_order", "sla_breach")]


def _co_occurrence(flags: list[set[str]], inside: set[str], universe: set[str]) -> tuple[float, float]:
    k = {c: sum(c in f for f in flags) for c in universe}
    a = np.mean([k[c] >= 2 for c in inside])
    b = np.mean([k[c] >= 2 for c in universe - inside])
    return float(a), float(b)


def test_hot_spots_overlap_far_more_than_elsewhere(large):
    gt = truth(large.out)
    spots = {s["name"]: s for s in gt["hot_spots"]}
    pr = read_csv(large.out, "procure_to_pay")
    ids, counts = np.unique(pr["case:concept:name"][pr["concept:name"] == "Approve purchase requisition"],
                           return_counts=True)
    flags = [set(ids[counts >= 2].tolist()), cases_with(pr, "Perform three-way match", result="missing goods receipt"),
             cases_with(pr, "Perform three-way match", result="price mismatch")]
    nordlicht = set(pr["case:concept:name"][pr["supplier_id"] == "SUP-000007"].tolist())
    assert spots["supplier-nordlicht"]["location"]["value"] == "Nordlicht Components"
    a, b = _co_occurrence(flags, nordlicht, set(pr["case:concept:name"].tolist()))
    assert a >= 3 * b and a > 0, (a, b)

    cm = read_csv(large.out, "complaint_handling")
    case = cm["case:concept:name"]
    start = {c: s for c, s in zip(case[::-1], cm["time:timestamp"][::-1])}
    lo, hi = spots["outdoor-spring-campaign"]["location"]["period"]
    inside = {c for c, line in zip(case, cm["product_line"]) if line == "Outdoor" and lo <= start[c][:10] < hi}
    t = local_seconds(cm["time:timestamp"])
    w = working_seconds(t, gt["calendar"]["holidays"])
    first = {c: v for c, v in zip(case[::-1], w[::-1])}
    res = {c: v for c, v, a_ in zip(case, w, cm["concept:name"]) if a_ == "Resolve ticket"}
    slow = {c for c in res if res[c] - first[c] > 45 * 3600}  # stuck tickets show as breaches
    flags = [cases_with(cm, "Escalate complaint"), cases_with(cm, "Reopen ticket"), slow]
    assert len(inside) >= 15
    a, b = _co_occurrence(flags, inside, set(case.tolist()))
    assert a >= 3 * b and a > 0, (a, b)
    for s in gt["hot_spots"]:
        assert s["co_occurrence_at_location"] >= 3 * s["co_occurrence_elsewhere"]


def test_watering_holes_resolve_faster_and_are_in_the_messages(large):
    import json
    from pathlib import Path

    gt = truth(large.out)
    assert len(gt["watering_holes"]) >= 2
    msgs = [json.loads(x) for x in (Path(large.out) / "messages.jsonl").read_text().splitlines()]
    for h in gt["watering_holes"]:
        assert len(h["groups"]) >= 2 and h["cases_discussed"]
        e = h["effect"]
        assert e["discussed_median"] < 0.8 * e["not_discussed_median"], h["venue"]
        refs = {r for m in msgs if m["venue"] == h["venue"] for r in m["case_refs"]}
        assert set(h["cases_discussed"]) <= refs
        senders = {m["sender"] for m in msgs if m["venue"] == h["venue"]}
        assert senders <= set(h["people"])


def test_triggers_and_dependencies(large):
    gt = truth(large.out)
    assert [t["kind"] for t in gt["triggers"]["complaint_handling"]] == ["social_post", "email", "call"]
    for shares in gt["triggers"].values():
        assert abs(sum(t["share"] for t in shares) - 1) < 1e-3
    deps = {(d["from"], d["to"]): d["lag"] for d in gt["dependencies"]}
    assert deps[("sales_order", "purchase_requisition")]["count"] > 0
    assert deps[("sales_order", "complaint")]["median_hours"] > 0

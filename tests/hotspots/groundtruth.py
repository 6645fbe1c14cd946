"""Scoring detectors and hot spots against the demo company's ground_truth.json (tests and benchmarks)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from procatlas import api
from procatlas.hotspots import ExceptionSettings, SlaRule
from procatlas.simulate import simulate

PROCESS = {"purchase_requisition": "procure_to_pay", "sales_order": "order_to_cash",
           "complaint": "complaint_handling", "return": "product_return"}
# simulator exception -> (our type, predicate on a row); activity names from ground_truth "activity"
MAPPING = {
    "rework_repeated_approval": ("rework", lambda r: r["activity"] == "Approve purchase requisition"),
    "skipped_approval": ("skipped_step", lambda r: r["activity"] == "Approve purchase order"),
    "order_change_after_approval": ("change", lambda r: r["activity"] in ("Change purchase order", "Change sales order")),
    "cancellation": ("cancellation", lambda r: r["activity"] in ("Cancel purchase order", "Cancel sales order")),
    "price_mismatch": ("block", lambda r: "price mismatch" in (r["detail"] or "")),
    "quantity_mismatch": ("block", lambda r: "quantity mismatch" in (r["detail"] or "")),
    "missing_goods_receipt": ("block", lambda r: "missing goods receipt" in (r["detail"] or "")),
    "reversal": ("reversal", lambda r: r["activity"] == "Reverse goods receipt"),
    "failed_return_inspection": ("rejection", lambda r: r["activity"] == "Reject return"),
    "complaint_escalation": ("escalation", lambda r: r["activity"] == "Escalate complaint"),
    "reopened_ticket": ("rework", lambda r: r["activity"] == "Resolve ticket"),
    "care_delay": ("long_wait", lambda r: r["target"] == "Resolve ticket"),
    "sla_breach": ("sla_breach", lambda r: True),
}


def settings_for(truth: dict) -> ExceptionSettings:
    """The company's SLAs as a user would enter them (working hours, its calendar)."""
    cal = truth["calendar"]
    hours = tuple(float(h[:2]) for h in cal["working_hours"])
    common = dict(working_hours=hours, timezone=cal["timezone"], holidays=tuple(cal["holidays"]))
    sla = {"complaint_handling": SlaRule(truth["sla"]["complaint_resolution_working_hours"], None, "Resolve ticket", **common),
           "order_to_cash": SlaRule(truth["sla"]["delivery_after_confirmation_working_hours"], "Confirm sales order",
                                    "Ship goods", **common)}
    return ExceptionSettings(sla=sla)


def build(tmp: Path, seed: int, cases: int) -> tuple[Path, dict]:
    out = tmp / f"sim-{seed}-{cases}"
    simulate(out, seed=seed, cases=cases, formats=("csv",))
    ws = tmp / f"sim-{seed}-{cases}.duckdb"
    api.ingest([out / f"{p}.csv" for p in PROCESS.values()], workspace=ws)
    return ws, json.loads((out / "ground_truth.json").read_text())


def score(ws: Path, truth: dict) -> tuple[dict, dict]:
    """(F1 per (object type, exception), hot spot ranks per planted hot spot) of one run."""
    s = settings_for(truth)
    results = {p: api.hotspots(process=p, workspace=ws, settings=s) for p in PROCESS.values()}
    f1 = {}
    for r in truth["exceptions"]["rates"]:
        otype, exc = r["object_type"], r["exception"]
        planted = {o["object_id"] for o in truth["exceptions"]["objects"]
                   if o["object_type"] == otype and o["exception"] == exc}
        typ, pred = MAPPING[exc]
        rows = results[PROCESS[otype]].exceptions.rows()
        found = {x["case_id"] for x in rows if x["type"] == typ and pred(x)}
        tp = len(found & planted)
        prec = tp / len(found) if found else 0.0
        rec = tp / len(planted) if planted else 1.0
        f1[f"{otype}:{exc}"] = {"f1": round(2 * prec * rec / (prec + rec), 3) if tp else 0.0,
                                "precision": round(prec, 3), "recall": round(rec, 3), "planted": len(planted)}
    ranks = {}
    for spot in truth["hot_spots"]:
        loc = spot["location"]
        res = results[PROCESS[loc["object_type"]]]
        top = res.top(5)
        same = same_cases(ws.with_suffix("") / f"{PROCESS[loc['object_type']]}.csv", loc["attribute"], loc["value"])
        hit = [i + 1 for i, h in enumerate(top) if matches(h.kind, h.value, loc, same)]
        ranks[spot["name"]] = {"rank": hit[0] if hit else None, "top5": [f"{h.kind}:{h.value}" for h in top],
                               "precision_top5": round(len(hit) / len(top), 3) if top else 0.0}
    return f1, ranks


def _parts(kind: str, value: str) -> list[tuple[str, str]]:
    if kind != "pair":
        return [(kind, value)]
    return [tuple(part.split(":", 1)) for part in value.split(" & ")]


def _months(kind: str, value: str) -> tuple[date, date] | None:
    """[first day, day after) of a calendar location."""
    if kind == "month":
        a = date.fromisoformat(value + "-01")
        return a, _next_month(a)
    if kind == "period":
        lo, hi = value.split("..")
        return date.fromisoformat(lo + "-01"), _next_month(date.fromisoformat(hi + "-01"))
    if kind == "week":
        a = date.fromisocalendar(int(value[:4]), int(value[6:]), 1)
        return a, a + timedelta(days=7)
    return None


def _next_month(a: date) -> date:
    return date(a.year + a.month // 12, a.month % 12 + 1, 1)


def same_cases(csv: Path, attribute: str, value: str) -> set[str]:
    """``key=value`` of every case attribute whose cases are (Jaccard >= 0.9) those of
    ``attribute=value`` in the data itself (supplier_id=SUP-000007 is supplier=Nordlicht Components)."""
    import pyarrow.csv as pcsv

    t = pcsv.read_csv(csv, convert_options=pcsv.ConvertOptions(strings_can_be_null=True)).to_pydict()
    case = t.pop("case:concept:name")
    planted = {c for c, v in zip(case, t[attribute]) if v is not None and str(v) == value}
    found = {f"{attribute}={value}"}
    for key, col in t.items():
        if key == attribute or ":" in key:
            continue
        by: dict[str, set] = {}
        for c, v in zip(case, col):
            if v is not None and c in planted:
                by.setdefault(str(v), set()).add(c)
        for v, cs in by.items():
            every = {c for c, x in zip(case, col) if x is not None and str(x) == v}
            if len(every & planted) / len(every | planted) >= 0.9:
                found.add(f"{key}={v}")
    return found


def matches(kind: str, value: str, loc: dict, same: set[str] | None = None) -> bool:
    """Does a hot spot's own location (not its aliases) lie at the planted location?  The planted
    attribute value itself (or one with the same cases in the data, ``same``), or a pair containing
    it; a planted period also needs a calendar part that lies mostly (>= half of its length) inside
    the planted period."""
    parts = _parts(kind, value)
    names = same or {f"{loc['attribute']}={loc['value']}"}
    if not any(k == "attribute" and v in names for k, v in parts):
        return False
    if "period" not in loc:
        return True
    lo, hi = (date.fromisoformat(x) for x in loc["period"])
    for k, v in parts:
        span = _months(k, v)
        if span is not None:
            inside = (min(hi, span[1]) - max(lo, span[0])).days
            if inside >= (span[1] - span[0]).days / 2:
                return True
    return False

"""The ground truth: what the simulator actually did, measured on its own output."""

from __future__ import annotations

import dataclasses

import numpy as np

from procatlas.simulate.assemble import PROCESS_NAMES, Events
from procatlas.simulate.calendar import HOUR
from procatlas.simulate.config import (CHANNELS_COMPLAINT, CHANNELS_SALES, PRODUCT_LINES, SLA_DELIVERY_H,
                                       SLA_FIRST_RESPONSE_H, SLA_RESOLUTION_H, SUPPLIERS, TIMEZONE, WORK_HOURS,
                                       WORK_START_H)
from procatlas.simulate.context import Sim
from procatlas.simulate.org import GROUPS
from procatlas.simulate.writer import TRIGGERS

SCHEMA_VERSION = 1
# (object type, exception) -> the Rates field it was drawn with, where the names differ
RATE_NAME = {("purchase_requisition", "cancellation"): "po_cancellation",
             ("sales_order", "cancellation"): "so_cancellation",
             ("purchase_requisition", "reversal"): "goods_receipt_reversal",
             ("sales_order", "order_change_after_approval"): "so_change_after_confirmation"}


def _ids(prefix: str, idx: np.ndarray) -> list[str]:
    return [f"{prefix}-{i + 1:06d}" for i in np.asarray(idx).tolist()]


def _first(ev: Events, process: str, activity: str, n: int) -> np.ndarray:
    """Local time of the first ``activity`` per case of ``process`` (-1 where absent)."""
    out = np.full(n, -1, np.int64)
    m = (ev.process == PROCESS_NAMES.index(process)) & (ev.activity == ev.activities.index(activity))
    case, first = np.unique(ev.case[m], return_index=True)
    out[case] = ev.ts[m][first]
    return out


def _lag(a: np.ndarray, b: np.ndarray) -> dict:
    ok = (a >= 0) & (b >= 0)
    h = (b[ok] - a[ok]) / HOUR
    if not len(h):
        return {"count": 0}
    q = np.percentile(h, [10, 50, 90])
    return {"count": int(ok.sum()), "p10_hours": round(float(q[0]), 2), "median_hours": round(float(q[1]), 2),
            "p90_hours": round(float(q[2]), 2)}


def _iso(sim: Sim, t: int) -> str:
    return str(np.datetime64(int(t), "s").astype("datetime64[D]"))


def ground_truth(sim: Sim, ev: Events, noise: list[dict], *, seed: int, cases: int) -> dict:
    """The ground_truth.json document (schema in docs/demo-organisation.md)."""
    log, cal, org = sim.log, sim.cal, sim.org
    from procatlas.simulate.log import PREFIX
    objects, rates = [], {}
    flags: dict[str, dict[str, set]] = {}
    for p in log.planted:
        ids = _ids(PREFIX[p.object_type], p.index)
        objects += [{"object_id": i, "object_type": p.object_type, "exception": p.exception, "activity": p.activity}
                    for i in ids]
        key = f"{p.object_type}:{p.exception}"
        r = rates.setdefault(key, {"object_type": p.object_type, "exception": p.exception, "count": 0,
                                   "eligible": p.eligible if p.eligible is not None else log.types[p.object_type].count,
                                   "drawn": p.eligible is not None,
                                   "configured_rate": getattr(sim.rates, RATE_NAME.get((p.object_type, p.exception), p.exception), None),
                                   "expected_rate": p.expected_rate})
        r["count"] += len(ids)
        flags.setdefault(p.object_type, {}).setdefault(p.exception, set()).update(p.index.tolist())
    for r in rates.values():
        r["observed_rate"] = round(r["count"] / r["eligible"], 5) if r["eligible"] else None
        if r["expected_rate"] is not None:
            r["expected_rate"] = round(r["expected_rate"], 5)
    objects.sort(key=lambda d: (d["object_type"], d["object_id"], d["exception"], d["activity"]))

    c = sim.state["complaints"]
    months = ((c["start"] // 86400).astype("datetime64[D]").astype("datetime64[M]") - np.datetime64(sim.start, "M")).astype(int)
    spots = []
    for s in sim.rates.hot_spots:
        n = log.types[s.object_type].count
        if s.object_type == "purchase_requisition":
            inside = log.types[s.object_type].attributes["supplier"] == SUPPLIERS.index(s.value)
        else:
            inside = (c["line"] == PRODUCT_LINES.index(s.value)) & (months >= s.period_months[0]) & (months < s.period_months[1])
        k = np.zeros(n, np.int32)
        for e in s.exceptions:
            k[list(flags.get(s.object_type, {}).get(e, ()))] += 1
        co_in = float((k[inside] >= 2).mean()) if inside.any() else 0.0
        co_out = float((k[~inside] >= 2).mean()) if (~inside).any() else 0.0
        loc = {"object_type": s.object_type, "attribute": s.attribute, "value": s.value}
        if s.period_months:
            a = np.datetime64(sim.start, "M") + s.period_months[0]
            b = np.datetime64(sim.start, "M") + s.period_months[1]
            loc["period"] = [str(a.astype("datetime64[D]")), str(b.astype("datetime64[D]"))]
            loc["period_of"] = "complaint start, [from, to)"
        spots.append({"name": s.name, "location": loc, "exception_types": list(s.exceptions),
                      "configured_factor": s.factor, "objects_at_location": int(inside.sum()),
                      "co_occurrence_at_location": round(co_in, 5), "co_occurrence_elsewhere": round(co_out, 5),
                      "co_occurrence_definition": "share of objects with two or more of the exception types"})

    holes = []
    venues = sim.state["venues"]
    wf = sim.state["wh_warehouse_finance"]
    hv = venues["warehouse-finance"]
    inper = wf["hit"] & hv.open_at(wf["block"])
    work = cal.work_between(wf["block"], wf["done"]) / HOUR
    holes.append(_hole(sim, hv, _ids("SI", wf["si"][wf["disc"]]),
                       "working hours from invoice block to goods receipt or quantity correction",
                       work[wf["disc"]], work[inper & ~wf["disc"]]))
    cv = venues["care-quality-coffee"]
    inper = cv.open_at(c["coffee"]) & (c["coffee"] < c["final"])
    work = cal.work_between(c["tk"], c["final"]) / HOUR
    holes.append(_hole(sim, cv, _ids("CMP", c["cmp"][c["disc"]]),
                       "working hours from ticket creation to final resolution", work[c["disc"]],
                       work[inper & ~c["disc"]]))

    pr = log.types["purchase_requisition"].attributes
    so = log.types["sales_order"].attributes
    cm = log.types["complaint"].attributes

    def shares(codes, names):
        cnt = np.bincount(codes, minlength=len(names))
        return [{"kind": k, "count": int(v), "share": round(float(v) / max(1, cnt.sum()), 5)}
                for k, v in zip(names, cnt)]

    n_pr, n_so, n_cm = log.types["purchase_requisition"].count, log.types["sales_order"].count, log.types["complaint"].count
    n_rt = log.types["return"].count
    triggers = {
        "procure_to_pay": shares(pr["trigger"], TRIGGERS),
        "order_to_cash": shares(so["channel"], list(CHANNELS_SALES)),
        "complaint_handling": shares(cm["channel"], ["social_post", "email", "call"]),
        "product_return": [{"kind": "complaint_resolution", "count": n_rt, "share": 1.0}],
    }
    rt = log.types["return"].attributes
    bound = pr["sales_order"] >= 0
    so_conf = _first(ev, "order_to_cash", "Confirm sales order", n_so)
    so_ship = _first(ev, "order_to_cash", "Ship goods", n_so)
    so_dlv = _first(ev, "order_to_cash", "Create delivery", n_so)
    pr_create = _first(ev, "procure_to_pay", "Create purchase requisition", n_pr)
    pr_gr = _last(ev, "procure_to_pay", "Record goods receipt", n_pr)
    cm_start = c["start"]
    cm_res = c["final"]
    rt_req = _first(ev, "product_return", "Request product return", n_rt)
    linked = cm["sales_order"] >= 0
    deps = [
        {"from": "sales_order", "to": "purchase_requisition", "via": "stock shortage at confirmation",
         "from_activity": "Confirm sales order", "to_activity": "Create purchase requisition",
         "lag": _lag(so_conf[pr["sales_order"][bound]], pr_create[bound])},
        {"from": "purchase_requisition", "to": "sales_order", "via": "goods receipt releases the waiting delivery",
         "from_activity": "Record goods receipt", "to_activity": "Create delivery",
         "lag": _lag(pr_gr[bound], so_dlv[pr["sales_order"][bound]])},
        {"from": "sales_order", "to": "complaint", "via": "customer complains about a delivered order",
         "from_activity": "Ship goods", "to_activity": "complaint start",
         "lag": _lag(so_ship[cm["sales_order"][linked]], cm_start[np.flatnonzero(linked)])},
        {"from": "complaint", "to": "return", "via": "resolution opens a product return",
         "from_activity": "Resolve ticket (last)", "to_activity": "Request product return",
         "lag": _lag(cm_res[rt["complaint"]], rt_req)},
        {"from": "delivery", "to": "customer_invoice", "via": "shipment is invoiced (collective invoices at month end)",
         "from_activity": "Ship goods", "to_activity": "Create customer invoice",
         "lag": _lag(so_ship, _first(ev, "order_to_cash", "Create customer invoice", n_so))},
        {"from": "supplier_invoice", "to": "payment_run", "via": "Tuesday payment run",
         "from_activity": "Register supplier invoice", "to_activity": "Pay invoice",
         "lag": _lag(_first(ev, "procure_to_pay", "Register supplier invoice", n_pr),
                     _first(ev, "procure_to_pay", "Pay invoice", n_pr))},
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "seed": seed, "cases": cases, "start": sim.start.isoformat(), "months": sim.months,
        "case_split": {"purchase_requisition": n_pr, "sales_order": n_so, "complaint": n_cm},
        "calendar": {"timezone": TIMEZONE, "working_hours": [f"{WORK_START_H:02d}:00", f"{WORK_START_H + WORK_HOURS:02d}:00"],
                     "working_days": "Monday-Friday", "holidays": [d.isoformat() for d in cal.holidays if d >= sim.start]},
        "sla": {"complaint_resolution_working_hours": SLA_RESOLUTION_H,
                "delivery_after_confirmation_working_hours": SLA_DELIVERY_H,
                "first_response_working_hours": SLA_FIRST_RESPONSE_H},
        "groups": list(GROUPS),
        "exceptions": {"rates": [rates[k] for k in sorted(rates)], "objects": objects},
        "hot_spots": spots,
        "watering_holes": holes,
        "brokers": _brokers(sim),
        "triggers": triggers,
        "dependencies": deps,
        "data_noise": noise,
        "configuration": _config(sim),
    }


def _last(ev: Events, process: str, activity: str, n: int) -> np.ndarray:
    out = np.full(n, -1, np.int64)
    m = (ev.process == PROCESS_NAMES.index(process)) & (ev.activity == ev.activities.index(activity))
    np.maximum.at(out, ev.case[m], ev.ts[m])
    return out


def _hole(sim: Sim, v, cases: list[str], metric: str, disc: np.ndarray, other: np.ndarray) -> dict:
    med = lambda x: round(float(np.median(x)), 2) if len(x) else None  # noqa: E731
    return {"venue": v.venue, "kind": v.kind, "groups": list(v.groups), "people": [sim.org.ids[p] for p in v.members],
            "period": [_iso(sim, v.start), _iso(sim, v.end)], "cases_discussed": cases,
            "effect": {"metric": metric, "discussed_count": int(len(disc)), "discussed_median": med(disc),
                       "not_discussed_count": int(len(other)), "not_discussed_median": med(other)}}


def _brokers(sim: Sim) -> list[dict]:
    """The planted broker: the sales representative who also works in the warehouse (org.SECOND_GROUP[0])."""
    from procatlas.simulate.org import SECOND_GROUP
    group, i, second = SECOND_GROUP[0]
    p = int(sim.org.members(group)[i])
    return [{"person": sim.org.ids[p], "groups": [group, second],
             "note": "works in both groups, so work and chat between them pass through this person"}]


def _config(sim: Sim) -> dict:
    d = dataclasses.asdict(sim.rates)
    d["hot_spots"] = [dataclasses.asdict(s) for s in sim.rates.hot_spots]
    return d

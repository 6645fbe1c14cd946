"""Writes the simulated company: per-process CSVs, Parquet, OCEL 2.0 JSON, people, messages, posts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from procatlas.simulate.assemble import PROCESS_NAMES, Events
from procatlas.simulate.comms import Chunk
from procatlas.simulate.config import CHANNELS_COMPLAINT, CHANNELS_SALES, PRODUCT_LINES, SUPPLIERS
from procatlas.simulate.context import Sim
from procatlas.simulate.log import PROCESSES
from procatlas.simulate.org import GROUPS
from procatlas.simulate.text import (iso_local, jlist, jnum, jstr, json_objects, labels, object_ids, person_ids,
                                     utc_naive)

TRIGGERS = ("reorder_point", "employee_request", "sales_shortage")


def _ref(otype: str, idx: np.ndarray) -> pa.Array:
    """Ids of referenced objects; -1 becomes null."""
    ids = object_ids(otype, np.maximum(idx, 0))
    return pc.if_else(pa.array(np.asarray(idx) >= 0), ids, pa.scalar(None, pa.string()))


def case_attributes(sim: Sim) -> dict[str, dict[str, pa.Array]]:
    """Per process, the case attribute columns (row = case index), as recorded (with noise)."""
    a = {t: o.attributes for t, o in sim.log.types.items()}
    pr, so, cm, rt = a["purchase_requisition"], a["sales_order"], a["complaint"], a["return"]
    n_pr = len(pr["supplier"])
    return {
        "procure_to_pay": {
            "supplier": pa.array(sim.state["supplier_recorded"].tolist(), pa.string()),
            "supplier_id": object_ids("supplier", pr["supplier"]),
            "product_line": labels(pr["product_line"], PRODUCT_LINES),
            "amount": pa.array(pr["amount"]),
            "trigger": labels(pr["trigger"], TRIGGERS),
            "purchase_order": object_ids("purchase_order", np.arange(n_pr)),
            "sales_order": _ref("sales_order", pr["sales_order"]),
        },
        "order_to_cash": {
            "customer": object_ids("customer", so["customer"]),
            "product_line": labels(sim.state["so_line_recorded"], PRODUCT_LINES),
            "amount": pa.array(so["amount"]),
            "channel": labels(so["channel"], list(CHANNELS_SALES)),
        },
        "complaint_handling": {
            "channel": labels(cm["channel"], list(CHANNELS_COMPLAINT)),
            "product_line": labels(cm["product_line"], PRODUCT_LINES),
            "customer": _ref("customer", cm["customer"]),
            "sales_order": _ref("sales_order", cm["sales_order"]),
        },
        "product_return": {
            "complaint": object_ids("complaint", rt["complaint"]),
            "sales_order": object_ids("sales_order", rt["sales_order"]),
        },
    }


def _event_columns(sim: Sim, ev: Events, sel: np.ndarray) -> dict[str, pa.Array]:
    attr_names = sorted({k for s in ev.attr_sets for k, _ in s})
    cols = {
        "concept:name": labels(ev.activity[sel], ev.activities),
        "time:timestamp": iso_local(sim.cal, ev.ts[sel]),
        "org:resource": person_ids(ev.resource[sel], sim.org.ids),
        "org:group": labels(ev.group[sel], GROUPS),
        "lifecycle:transition": labels(ev.lifecycle[sel], ev.lifecycles),
    }
    for name in attr_names:
        vals = [dict(s).get(name) for s in ev.attr_sets]
        cols[name] = labels(np.where([v is not None for v in vals], np.arange(len(vals)), -1)[ev.attrs[sel]],
                            [v or "" for v in vals])
    return cols


def write_csvs(sim: Sim, ev: Events, out: Path) -> dict[str, Path]:
    """One case-centric CSV per process, cases in order, events in time order within a case."""
    attrs = case_attributes(sim)
    paths = {}
    for k, proc in enumerate(PROCESS_NAMES):
        idx = np.flatnonzero(ev.process == k)
        idx = idx[np.lexsort((idx, ev.case[idx]))]
        case = ev.case[idx]
        cols = {"case:concept:name": object_ids(PROCESSES[proc], case)}
        cols.update(_event_columns(sim, ev, idx))
        for name, arr in attrs[proc].items():
            cols[name] = pc.take(arr, pa.array(case))
        path = out / f"{proc}.csv"
        pcsv.write_csv(pa.table(cols), path)
        paths[proc] = path
    return paths


def write_parquet(sim: Sim, ev: Events, out: Path) -> Path:
    """All events of all processes in one case-centric Parquet file (the large benchmark input)."""
    case = pa.chunked_array([object_ids(PROCESSES[p], ev.case[ev.process == k]) for k, p in enumerate(PROCESS_NAMES)])
    order = np.argsort(ev.process, kind="stable")
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    all_ = np.arange(len(ev.ts))
    cols = {"process": labels(ev.process, PROCESS_NAMES),
            "case:concept:name": pc.take(case.combine_chunks(), pa.array(inv))}
    cols.update(_event_columns(sim, ev, all_))
    cols["time:timestamp"] = utc_naive(sim.cal, ev.ts).cast(pa.timestamp("us", "UTC"))
    path = out / "events.parquet"
    pq.write_table(pa.table(cols), path, compression="zstd")
    return path


def people_table(sim: Sim) -> pa.Table:
    org = sim.org
    return pa.table({"person": [org.ids[p] for p, _, _ in org.memberships],
                     "name": [org.names[p] for p, _, _ in org.memberships],
                     "group": [g for _, g, _ in org.memberships],
                     "role": [r for _, _, r in org.memberships]})


def write_people(sim: Sim, out: Path) -> Path:
    path = out / "people.csv"
    pcsv.write_csv(people_table(sim), path)
    return path


def write_lines(path: Path, lines: pa.Array) -> Path:
    """Write text lines (one JSON object each) with a final newline."""
    with open(path, "wb") as f:
        if len(lines):
            joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n")
            f.write(joined[0].as_py().encode("utf-8") + b"\n")
    return path


def message_lines(sim: Sim, chunks: list[Chunk]) -> pa.Array:
    """Messages as JSON lines in time order with ids MSG-0000001..."""
    ts = np.concatenate([c.ts for c in chunks])
    sender = np.concatenate([c.sender for c in chunks])
    rec = [r for c in chunks for r in c.recipients]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rec])]).astype(np.int32)
    flat = np.concatenate(rec).astype(np.int64)
    recip = pa.ListArray.from_arrays(pa.array(offsets), person_ids(flat, sim.org.ids))
    venue = pa.chunked_array([c.venue for c in chunks]).combine_chunks()
    kind = pa.array([c.kind for c in chunks for _ in range(len(c.ts))], pa.string())
    subject = pa.chunked_array([c.subject.cast(pa.string()) for c in chunks]).combine_chunks()
    refs = pa.chunked_array([c.refs for c in chunks]).combine_chunks()
    order = pa.array(np.lexsort((np.arange(len(ts)), ts)))
    n = len(ts)
    mid = pc.binary_join_element_wise(pa.scalar("MSG-"), pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 7, "0"), "")
    fields = [
        ("id", jstr(mid)),
        ("timestamp", jstr(pc.take(iso_local(sim.cal, ts), order))),
        ("sender", jstr(pc.take(person_ids(sender, sim.org.ids), order))),
        ("recipients", pc.take(jlist(recip), order)),
        ("venue", jstr(pc.take(venue, order))),
        ("kind", jstr(pc.take(kind, order))),
        ("subject", pc.fill_null(jstr(pc.take(subject, order)), "null")),
        ("case_refs", pc.take(jlist(refs), order)),
    ]
    return json_objects(fields, n)


def _object_attr_fields(sim: Sim, otype: str) -> list[tuple[str, pa.Array]]:
    a = sim.log.types[otype].attributes
    n = sim.log.types[otype].count
    f: list[tuple[str, pa.Array]] = []
    if "supplier" in a and otype != "purchase_requisition":
        f.append(("supplier", jstr(pc.take(pa.array(list(SUPPLIERS)), pa.array(a["supplier"])))))
    if otype == "purchase_requisition":
        f.append(("supplier", jstr(pa.array(sim.state["supplier_recorded"].tolist(), pa.string()))))
        f.append(("trigger", jstr(labels(a["trigger"], TRIGGERS))))
    if otype == "supplier":
        f.append(("name", jstr(pa.array(a["name"].tolist()))))
    if "product_line" in a:
        line = sim.state["so_line_recorded"] if otype == "sales_order" else a["product_line"]
        f.append(("product_line", jstr(labels(line, PRODUCT_LINES))))
    if "amount" in a:
        f.append(("amount", jnum(a["amount"])))
    if "channel" in a:
        names = list(CHANNELS_SALES) if otype == "sales_order" else list(CHANNELS_COMPLAINT)
        f.append(("channel", jstr(labels(a["channel"], names))))
    if otype == "customer":
        f.append(("collective_invoicing", pc.if_else(pa.array(a["collective_invoicing"]), "true", "false")))
        f.append(("segment", jstr(pa.array(a["segment"].tolist()))))
    if otype in ("delivery", "customer_invoice"):
        kinds = ("delivery", "replacement") if otype == "delivery" else ("invoice", "credit_note")
        f.append(("kind", jstr(labels(a["kind"], kinds))))
    if otype == "payment_run":
        f.append(("run_date", jstr(pa.array(a["date"].tolist()))))
    if otype == "complaint":
        post = np.full(n, -1, np.int64)
        cm, tw = sim.state.get("post_of_complaint", (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        post[cm] = tw
        f.append(("post_id", pc.if_else(pa.array(post >= 0), jstr(pc.cast(pa.array(post), pa.string())),
                                        pa.scalar(None, pa.string()))))
    return f


def write_ocel(sim: Sim, ev: Events, out: Path) -> Path:
    """All processes as one OCEL 2.0 JSON log with object-to-object links and attribute changes."""
    from procatlas.io.ocel_write import write_ocel2_json

    n = len(ev.ts)
    eid = pc.binary_join_element_wise(pa.scalar("e"), pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), "")
    cols = _event_columns(sim, ev, np.arange(n))
    fields = [(k, jstr(cols[k])) for k in ("org:resource", "org:group", "lifecycle:transition")]
    fields += [(k, jstr(v)) for k, v in cols.items() if k not in ("concept:name", "time:timestamp", "org:resource",
                                                                  "org:group", "lifecycle:transition")]
    events = pa.table({"event_id": eid, "activity": cols["concept:name"], "timestamp": utc_naive(sim.cal, ev.ts),
                       "attributes": json_objects([(k, pc.if_else(pc.equal(v, '""'), pa.scalar(None, pa.string()), v))
                                                   for k, v in fields], n)})
    types = list(sim.log.types)
    obj_ids, obj_type, obj_attr = [], [], []
    for t in types:
        cnt = sim.log.types[t].count
        obj_ids.append(object_ids(t, np.arange(cnt)))
        obj_type.append(pa.array([t] * cnt, pa.string()))
        obj_attr.append(json_objects(_object_attr_fields(sim, t), cnt))
    objects = pa.table({"object_id": pa.chunked_array(obj_ids), "type": pa.chunked_array(obj_type),
                        "attributes": pa.chunked_array(obj_attr)})

    def oid(codes: np.ndarray, idx: np.ndarray) -> pa.Array:
        parts = []
        order = np.argsort(codes, kind="stable")
        for k, t in enumerate(types):
            m = codes[order] == k
            parts.append(object_ids(t, idx[order][m]))
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        return pc.take(pa.chunked_array(parts, pa.string()).combine_chunks(), pa.array(inv))

    e2o = pa.table({"event_id": pc.take(eid, pa.array(ev.e2o_event)),
                    "object_id": oid(ev.e2o_type, ev.e2o_object),
                    "qualifier": labels(ev.e2o_qualifier, ev.qualifiers)})
    codes = {t: i for i, t in enumerate(types)}
    src = [oid(np.full(len(s), codes[st], np.int8), s) for st, s, _, _, _ in sim.log.o2o]
    dst = [oid(np.full(len(d), codes[dt], np.int8), d) for _, _, dt, d, _ in sim.log.o2o]
    o2o = pa.table({"source_id": pa.chunked_array(src, pa.string()), "target_id": pa.chunked_array(dst, pa.string()),
                    "qualifier": pa.chunked_array([pa.array([q] * len(s), pa.string()) for _, s, _, _, q in sim.log.o2o],
                                                  pa.string())})
    ch_ids, ch_names, ch_vals, ch_ts = [], [], [], []
    for t, idx, name, vals, ts in sim.log.changes:
        ch_ids.append(object_ids(t, idx))
        ch_names.append(pa.array([name] * len(idx), pa.string()))
        ch_vals.append(jnum(vals) if vals.dtype.kind == "f" else jstr(pa.array(vals.astype(str).tolist())))
        ch_ts.append(utc_naive(sim.cal, ts))
    changes = pa.table({"object_id": pa.chunked_array(ch_ids, pa.string()),
                        "name": pa.chunked_array(ch_names, pa.string()),
                        "value": pa.chunked_array(ch_vals, pa.string()),
                        "timestamp": pa.chunked_array(ch_ts, pa.timestamp("us"))})
    path = out / "company.jsonocel"
    write_ocel2_json(path, events=events, objects=objects, event_objects=e2o, object_objects=o2o,
                     object_changes=changes)
    return path

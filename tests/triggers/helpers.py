"""Test helpers: the simulator's posts as rows of the message table (until posts ingest is used)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa


def insert_posts(ws, posts_jsonl: Path, *, source_id: int = 999) -> int:
    """Insert Twitter/X API v2 tweets as messages of kind 'social' (sender = author_id)."""
    rows = [json.loads(line) for line in Path(posts_jsonl).read_text(encoding="utf-8").splitlines() if line.strip()]
    start = int(ws.rows("SELECT coalesce(max(mid), 0) FROM message")[0][0]) + 1
    attrs = [json.dumps({k: t[k] for k in ("conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang")
                         if k in t}) for t in rows]
    table = pa.table({
        "mid": pa.array(range(start, start + len(rows)), pa.int64()),
        "id": [t["id"] for t in rows],
        "ts": [t["created_at"].replace("Z", "") for t in rows],
        "sender": [t["author_id"] for t in rows],
        "text": [t["text"] for t in rows],
        "attributes": attrs,
    })
    ws.execute("INSERT INTO message (mid, id, source_id, timestamp, sender, recipients, venue, kind, case_refs, "
               "subject, text, attributes) SELECT mid, id, ?, CAST(ts AS TIMESTAMP), sender, [], 'social', 'social', "
               "[], NULL, text, CAST(attributes AS JSON) FROM pa_posts", [source_id], register={"pa_posts": table})
    return len(rows)


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

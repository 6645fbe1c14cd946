"""Referential integrity, time order within objects and working hours of the simulated company."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from tests.simulate.helpers import WORK_CLOSE, WORK_OPEN, local_seconds, read_csv, truth

PROCESSES = ("procure_to_pay", "order_to_cash", "complaint_handling", "product_return")


def _ocel(out: str) -> dict:
    return json.loads((Path(out) / "company.jsonocel").read_text())


def test_ocel_links_resolve(small):
    log = _ocel(small.out)
    objects = {o["id"] for o in log["objects"]}
    assert len(objects) == len(log["objects"])
    types = {t["name"] for t in log["objectTypes"]}
    assert {"purchase_requisition", "purchase_order", "goods_receipt", "supplier_invoice", "payment_run",
            "sales_order", "delivery", "customer_invoice", "complaint", "ticket", "return"} <= types
    for e in log["events"]:
        assert e["relationships"], e["id"]
        for r in e["relationships"]:
            assert r["objectId"] in objects
    n_links = 0
    for o in log["objects"]:
        for r in o.get("relationships", []):
            assert r["objectId"] in objects and r["qualifier"]
            n_links += 1
    assert n_links > len(objects) // 2


def test_timestamps_ordered_within_each_object(small):
    log = _ocel(small.out)
    last: dict[str, str] = {}
    for e in log["events"]:
        for r in e["relationships"]:
            assert last.get(r["objectId"], "") <= e["time"], (r["objectId"], e["id"])
            last[r["objectId"]] = e["time"]
    pr = read_csv(small.out, "procure_to_pay")
    steps = ("Create purchase requisition", "Create purchase order", "Send purchase order",
             "Register supplier invoice", "Pay invoice")
    t = local_seconds(pr["time:timestamp"])
    first = {}
    for c, a, s in zip(pr["case:concept:name"], pr["concept:name"], t):
        first.setdefault((c, a), s)
    for c in set(pr["case:concept:name"].tolist()):
        seq = [first[(c, a)] for a in steps if (c, a) in first]
        assert seq == sorted(seq), c


def test_people_messages_and_case_references(small):
    people = read_csv(small.out, "people")  # people.csv has the same CSV dialect
    ids = set(people["person"].tolist())
    assert 60 <= len(ids) <= 150
    per = {}
    for p, g in zip(people["person"], people["group"]):
        per.setdefault(p, set()).add(g)
    assert 2 <= sum(len(g) == 2 for g in per.values()) <= 6
    objects = {o["id"] for o in _ocel(small.out)["objects"]}
    n = 0
    for line in (Path(small.out) / "messages.jsonl").read_text().splitlines():
        m = json.loads(line)
        assert m["sender"] in ids and m["recipients"] and set(m["recipients"]) <= ids
        assert m["kind"] in ("email", "chat", "meeting")
        refs = set(m["case_refs"]) | set(re.findall(r"\b[A-Z]{2,3}-\d{6}\b", m["subject"] or ""))
        assert refs <= objects, refs - objects
        n += bool(refs)
    assert n > 50
    for proc in PROCESSES:
        cases = set(read_csv(small.out, proc)["case:concept:name"].tolist())
        assert cases <= objects
        res = set(read_csv(small.out, proc)["org:resource"].tolist()) - {""}
        assert res <= ids


def test_posts_are_tweets(small):
    posts = [json.loads(x) for x in (Path(small.out) / "posts.jsonl").read_text().splitlines()]
    by_id = {p["id"]: p for p in posts}
    assert len(by_id) == len(posts)
    replies = [p for p in posts if "referenced_tweets" in p]
    assert replies and len(replies) < len(posts)
    for p in posts:
        assert {"id", "text", "author_id", "created_at", "conversation_id"} <= set(p)
        assert p["created_at"].endswith("Z")
    for r in replies:
        parent = by_id[r["referenced_tweets"][0]["id"]]
        assert r["in_reply_to_user_id"] == parent["author_id"] and r["created_at"] >= parent["created_at"]
        assert r["conversation_id"] == parent["conversation_id"]
    texts = " ".join(p["text"] for p in posts)
    assert re.search(r"SO-\d{6}", texts) and "DM" in texts
    complaints = {o["id"]: o for o in _ocel(small.out)["objects"] if o["type"] == "complaint"}
    posted = {a["value"] for o in complaints.values() for a in o.get("attributes", []) if a["name"] == "post_id"}
    assert posted and posted <= set(by_id)


def test_working_hours(small):
    hol = np.array(truth(small.out)["calendar"]["holidays"], dtype="datetime64[D]")
    human, system = [], []
    for proc in PROCESSES:
        c = read_csv(small.out, proc)
        t = local_seconds(c["time:timestamp"])
        day = (t // 86400).astype("datetime64[D]")
        tod = t % 86400
        inside = np.is_busday(day, holidays=hol) & (tod >= WORK_OPEN) & (tod <= WORK_CLOSE)
        is_human = c["org:resource"] != ""
        human.append(inside[is_human])
        system.append(inside[~is_human])
    human, system = np.concatenate(human), np.concatenate(system)
    assert human.mean() > 0.9
    assert human.mean() < 1.0  # a little overtime
    assert (~system).mean() > 0.1  # batch jobs, web shop and customers work at night

"""Triggers, dependencies and post links recovered from the simulated company's ground truth."""

from __future__ import annotations

import json

import pytest

from procatlas import api
from procatlas.workspace import Workspace
from tests.triggers.helpers import found_triggers, precision_recall, truth_triggers


def test_triggers_precision_recall(company):
    result = api.triggers(workspace=company["workspace"])
    truth = truth_triggers(company["truth"])
    found = found_triggers(result)
    precision, recall = precision_recall(set(found), set(truth))
    assert precision >= 0.9 and recall >= 0.9, (sorted(found), sorted(truth))
    for key, share in truth.items():  # and the shares they explain
        assert found[key] == pytest.approx(share, abs=0.05), key


def test_trigger_lags_match_the_planted_ones(company):
    result = api.triggers(workspace=company["workspace"], process="purchase_requisition")
    shortage = next(t for t in result.triggers if t.kind == "process")
    assert (shortage.source, shortage.activity) == ("sales_order", "Confirm sales order")
    planted = next(d for d in company["truth"]["dependencies"] if d["to"] == "purchase_requisition")
    assert shortage.lag_median_s / 3600 == pytest.approx(planted["lag"]["median_hours"], rel=0.25, abs=0.05)


def test_schedule_found_by_test_not_by_eye(company):
    result = api.triggers(workspace=company["workspace"], process="purchase_requisition")
    hour = next(s for s in result.tests if s.grid == "hour")
    assert hour.significant and hour.p_value < 1e-6 and hour.effect_size >= 0.3
    weekday = next(s for s in result.tests if s.grid == "weekday")
    assert not weekday.significant  # the nightly MRP run runs every day


def _pairs(deps, scope=None):
    return {(d.from_type, d.to_type) for d in deps.dependencies if scope is None or d.scope == scope}


def test_dependencies_precision_recall(company):
    deps = api.dependencies(workspace=company["workspace"])
    truth = {(d["from"], d["to"]) for d in company["truth"]["dependencies"]}
    across = _pairs(deps, "across")
    precision, _ = precision_recall(across, truth)
    _, recall = precision_recall(_pairs(deps), truth)
    assert precision >= 0.9, sorted(across - truth)
    assert recall >= 0.9, sorted(truth - _pairs(deps))
    # the lags agree with what was planted (same activities where the truth names ours)
    for d in company["truth"]["dependencies"]:
        ours = [x for x in deps.dependencies if (x.from_type, x.to_type) == (d["from"], d["to"])
                and (x.from_activity, x.to_activity) == (d["from_activity"], d["to_activity"])]
        if ours and d["lag"]["count"] >= 10:
            assert ours[0].lag_median_s / 3600 == pytest.approx(d["lag"]["median_hours"], rel=0.3, abs=0.1), d


def test_relations_and_sync_points(company):
    deps = api.dependencies(workspace=company["workspace"])
    card = {(r.source_type, r.target_type): r.cardinality for r in deps.relations}
    assert card[("purchase_order", "purchase_requisition")] == "1:1"
    assert card[("sales_order", "customer")] == "n:1"
    assert card[("payment_run", "supplier_invoice")] == "1:n"
    match = next(s for s in deps.sync_points if s.activity == "Perform three-way match")
    sides = {s.object_type: s for s in match.sides}
    assert set(sides) == {"goods_receipt", "supplier_invoice"}
    # invoices mostly arrive after the goods: the match waits for the invoice side
    assert sides["supplier_invoice"].last_share > 0.8
    assert sides["supplier_invoice"].wait_caused_median_s > sides["goods_receipt"].wait_caused_median_s


def test_inventory_roles(company):
    inv = api.processes(workspace=company["workspace"])
    roles = {p.process: (p.role, p.part_of) for p in inv.processes}
    for p in ("purchase_requisition", "sales_order", "complaint", "return"):
        assert roles[p][0] == "process"
    assert roles["purchase_order"] == ("document", "purchase_requisition")
    assert roles["ticket"] == ("document", "complaint")
    assert roles["payment_run"][0] == "batch"
    assert roles["supplier"][0] == "master data"
    so = inv["sales_order"]
    assert so.start_activities[0][0] == "Receive sales order"
    assert so.objects == company["truth"]["case_split"]["sales_order"]
    assert sum(n for _, n in so.volume) == so.objects and so.people > 0 and so.groups


def test_posts_linked_to_the_right_complaint(company, writable):
    links = api.link_posts(workspace=writable, target="complaint", write=True)
    with Workspace(writable, read_only=True) as ws:
        truth = {}
        for oid, attrs in ws.rows("SELECT id, attributes FROM object WHERE type = 'complaint'"):
            post = json.loads(attrs or "{}").get("post_id")
            if post:
                truth[post] = oid
        refs = ws.rows("SELECT count(*) FROM message WHERE kind = 'social' AND len(case_refs) > 0")[0][0]
    to_complaint = [x for x in links.links if x["object_type"] == "complaint"]
    right = sum(truth.get(x["post_id"]) == x["object_id"] for x in to_complaint)
    assert right / len(to_complaint) >= 0.95
    assert right / len(truth) >= 0.9  # recall
    assert links.linked + links.unlinked == links.posts and refs == links.linked
    assert {r.split(":")[0] for r, _ in links.by_rule} == {"id_in_text", "time"}
    assert links.own_accounts == ("1400000000000000001",)
    assert links.responded >= 0.9 * len(truth) and links.first_response_median_s > 0
    # linked posts now show up as the external trigger of their complaints
    result = api.triggers(workspace=writable, process="complaint", channel_keys=())
    social = [t for t in result.triggers if t.kind == "external" and t.source == "social"]
    assert social and social[0].cases == right

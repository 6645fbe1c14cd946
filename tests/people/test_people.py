"""People statistics, networks at both levels, missing resources, roles, CLI JSON and the SVG."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lxml import etree

from procatlas import api
from procatlas.errors import InputError
from procatlas.people.stats import adjusted_rand
from procatlas.simulate import simulate
from tests.people.conftest import data_file

EVENTS = """case,activity,timestamp,resource
1,a,2025-01-01T09:00:00Z,ann
1,b,2025-01-01T10:00:00Z,bob
1,c,2025-01-01T11:00:00Z,
1,d,2025-01-01T12:00:00Z,ann
2,a,2025-01-02T09:00:00Z,ann
2,b,2025-01-02T09:30:00Z,bob
2,d,2025-01-02T10:30:00Z,cy
"""


@pytest.fixture()
def tiny(tmp_path):
    (tmp_path / "log.csv").write_text(EVENTS)
    (tmp_path / "people.csv").write_text("person,group\nann,Front\nbob,Back\ncy,Back\n")
    ws = api.open_workspace(tmp_path / "atlas.duckdb")
    api.ingest([tmp_path / "log.csv", tmp_path / "people.csv"], workspace=ws)
    yield ws
    ws.close()


def test_missing_resources_are_explicit(tiny):
    proc = tiny.process("log")
    skip = {k: v for k, v in proc.handover_network().weights().items()}
    # case 1: ann -> bob -> (none) -> ann; skipping the event without a resource joins bob -> ann
    assert skip == {("ann", "bob"): 2 / 4, ("bob", "ann"): 1 / 4, ("bob", "cy"): 1 / 4}
    brk = proc.handover_network(missing="break").weights()
    assert set(brk) == {("ann", "bob"), ("bob", "cy")}
    unk = proc.handover_network(missing="unknown").weights()
    assert ("bob", "(unknown)") in unk and ("(unknown)", "ann") in unk
    assert proc.handover_network().events_without_actor == 1
    with pytest.raises(InputError, match="missing must be one of"):
        proc.handover_network(missing="drop")


def test_waiting_times_and_group_level(tiny):
    edges = {(r["source"], r["target"]): r for r in tiny.process("log").handover_network().edges.to_pylist()}
    assert edges[("ann", "bob")]["mean_wait_s"] == pytest.approx((3600 + 1800) / 2)
    grp = tiny.process("log").handover_network(level="group").weights()
    assert grp[("Front", "Back")] == pytest.approx(2 / 4)
    assert grp[("Back", "Back")] == pytest.approx(1 / 4)


def test_other_networks(tiny):
    proc = tiny.process("log")
    sub = proc.handover_network(kind="subcontracting").weights()
    assert sub == {("ann", "bob"): 1.0}  # ann -> bob -> ann in case 1 (event without resource skipped)
    wt = proc.handover_network(kind="working_together")
    assert {(r["source"], r["target"]): r["cases"] for r in wt.edges.to_pylist()}[("ann", "bob")] == 2
    sim = proc.handover_network(kind="similar_activities").weights()
    assert sim[("ann", "bob")] == pytest.approx(sim[("bob", "ann")])
    nodes = {r["node"]: r for r in proc.handover_network().nodes.to_pylist()}
    assert nodes["bob"]["betweenness"] > 0 and nodes["ann"]["out_degree"] == 1


def test_people_report_stats(tiny):
    report = tiny.people("log")
    stats = {r["person"]: r for r in report.stats.to_pylist()}
    assert stats["ann"]["events"] == 3 and stats["ann"]["cases"] == 2 and stats["ann"]["group"] == "Front"
    assert stats["ann"]["cross_group_share"] == 1.0  # every handover of ann's is to or from Back
    assert report.events_without_resource == 1
    g = tiny.people("log", level="group")
    assert {r["group"] for r in g.stats.to_pylist()} == {"Front", "Back"}
    assert json.loads(json.dumps(report.to_dict(), default=str))["handover"]["edges"]


def test_group_level_needs_groups(tmp_path):
    (tmp_path / "log.csv").write_text(EVENTS)
    ws = api.open_workspace(tmp_path / "a.duckdb")
    api.ingest([tmp_path / "log.csv"], workspace=ws)
    with pytest.raises(InputError, match="no groups known"):
        ws.process("log").handover_network(level="group")


def test_adjusted_rand():
    assert adjusted_rand([1, 1, 2, 2], ["a", "a", "b", "b"]) == pytest.approx(1.0)
    assert adjusted_rand([1, 1, 2, 2], ["a", "b", "a", "b"]) == pytest.approx(-0.5)


def test_bpic2012_missing_resources_do_not_crash(tmp_path):
    path = data_file("pm4py__pm4py-core/bpic2012.xes.gz")
    ws = api.open_workspace(tmp_path / "b.duckdb")
    api.ingest([path], workspace=ws)
    net = ws.process("bpic2012").handover_network()
    assert net.events_without_actor == 18010
    assert abs(sum(net.weights().values()) - 1) < 1e-9
    assert "(unknown)" in {r["source"] for r in ws.process("bpic2012").handover_network(missing="unknown").edges.to_pylist()}
    ws.close()


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    root = tmp_path_factory.mktemp("co")
    simulate(root / "data", seed=3, cases=600, formats=("csv",))
    files = [root / "data" / f for f in ("people.csv", "procure_to_pay.csv", "order_to_cash.csv",
                                         "complaint_handling.csv", "messages.jsonl")]
    api.ingest(files, workspace=root / "atlas.duckdb")
    return root


def test_roles_agree_with_departments(company):
    report, _ = api.people(workspace=company / "atlas.duckdb")
    assert report.roles is not None and report.roles.k >= 5
    assert report.roles.adjusted_rand > 0.6


def test_cli_json_shapes_and_svg(company):
    ws = str(company / "atlas.duckdb")
    cmd = [sys.executable, "-m", "procatlas.cli"]
    r = subprocess.run(cmd + ["watering-holes", "-w", ws, "--format", "json", "--out", str(company / "out")],
                       capture_output=True, text=True, check=True)
    d = json.loads(r.stdout)
    assert d["watering_holes"] and set(d["watering_holes"][0]) >= {
        "venue", "kind", "groups", "people", "messages", "weeks_active", "diversity", "informal_share", "cases",
        "score", "explanation"}
    svg = etree.parse(str(company / "out" / "people.svg")).getroot()
    assert svg.tag.endswith("svg") and "(broker)" in etree.tostring(svg, encoding="unicode")
    r = subprocess.run(cmd + ["people", "-w", ws, "--level", "group", "--format", "csv", "-p", "order_to_cash",
                              "--out", str(company / "p")], capture_output=True, text=True, check=True)
    assert r.stdout.splitlines()[0].startswith("group,events,cases,activities,active_days")
    assert (company / "p" / "handover.svg").exists() and (company / "p" / "matrix.csv").exists()
    r = subprocess.run(cmd + ["people", "-w", ws, "-p", "nope"], capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_email_eu_core_bridges(tmp_path):
    labels = data_file("AashwinS05__Social-Network-Analysis/email-Eu-core-department-labels.txt")
    edges = data_file("AashwinS05__Social-Network-Analysis/email-Eu-core.txt")
    ws = api.open_workspace(tmp_path / "eu.duckdb")
    a, b = api.ingest([labels, edges], workspace=ws).sources
    assert (a.format, b.format, a.rejected, b.rejected) == ("snap-labels", "snap-edges", 0, 0)
    assert ws.scalar('SELECT count(DISTINCT "group") FROM person') == 42
    result = ws.watering_holes()
    assert len(result.holes) == 0  # static edges: nothing can recur across weeks
    top = result.brokers[:3]
    assert top[0].person == "160" and top[0].group == "36"
    assert all(b.cross_group_betweenness > 0 and b.brokerage["liaison"] > 0 for b in top)
    ws.close()

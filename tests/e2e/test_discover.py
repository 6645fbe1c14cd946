"""`procatlas discover` as a user runs it: files written, the documented JSON, filters, errors."""

from __future__ import annotations

import csv
import json

import pytest
from lxml import etree

from tests.conftest import data_file
from tests.e2e.test_cli import run


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    folder = tmp_path_factory.mktemp("discover")
    r = run("ingest", str(data_file("pm4py__pm4py-core/running-example.xes")), "-w", "w.duckdb", cwd=folder)
    assert r.returncode == 0, r.stderr
    return folder


def test_discover_writes_files_and_json(workspace):
    r = run("discover", "--process", "running-example", "-w", "w.duckdb", "--out", "out", "--format", "json",
            cwd=workspace)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {k: data[k] for k in ("process", "cases", "events", "variants")} == {
        "process": "running-example", "cases": 6, "events": 42, "variants": 6}
    assert data["start"] == {"register request": 6}
    assert data["end"] == {"pay compensation": 3, "reject request": 3}
    acts = {a["activity"]: (a["events"], a["cases"]) for a in data["activities"]}
    assert acts["decide"] == (9, 6) and acts["reinitiate request"] == (3, 2) and len(acts) == 8
    edge = next(e for e in data["dfg"] if (e["source"], e["target"]) == ("check ticket", "decide"))
    assert set(edge) == {"source", "target", "frequency", "cases", "mean_s", "median_s", "p90_s"}
    assert (edge["frequency"], edge["cases"]) == (6, 4)
    assert sum(e["frequency"] for e in data["dfg"]) == 42 - 6
    out = workspace / "out"
    for name in ("map.svg", "model.bpmn", "model.pnml", "model.svg", "variants.csv", "dfg.csv"):
        assert data["files"][name] == f"out/{name}" and (out / name).stat().st_size > 0
    assert "missing" not in data["files"]
    for name in ("map.svg", "model.bpmn", "model.pnml", "model.svg"):
        etree.parse(str(out / name))
    bpmn = etree.parse(str(out / "model.bpmn")).getroot()
    tasks = {t.get("name") for t in bpmn.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}task")}
    assert tasks == set(acts)  # every activity is a task of the mined model
    with open(out / "variants.csv", newline="") as fh:
        variants = list(csv.DictReader(fh))
    assert len(variants) == 6 and sum(int(v["cases"]) for v in variants) == 6
    with open(out / "dfg.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(data["dfg"])


def test_map_files_are_deterministic(workspace):
    for folder in ("a", "b"):
        r = run("discover", "--process", "running-example", "-w", "w.duckdb", "--out", folder,
                "--activities", "60", "--paths", "30", "--view", "performance", "--measure", "p90", cwd=workspace)
        assert r.returncode == 0, r.stderr
    assert (workspace / "a" / "map.svg").read_bytes() == (workspace / "b" / "map.svg").read_bytes()


def test_filters_on_the_command_line(workspace):
    r = run("discover", "--process", "running-example", "-w", "w.duckdb", "--format", "json",
            "--with-activity", "reinitiate request", "--top-variants", "1", cwd=workspace)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["cases"] == 1 and data["variants"] == 1
    assert data["filters"] == {"with_activities": ["reinitiate request"], "top_variants": 1}
    r = run("discover", "--process", "running-example", "-w", "w.duckdb", "--format", "json",
            "--event-attr", "org:resource=Mike,Pete", "--max-duration", "7d", cwd=workspace)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert 0 < data["events"] < 42


@pytest.mark.parametrize(("args", "message"), [
    (["--process", "nope"], "no process 'nope' in the workspace; processes: running-example"),
    (["--process", "running-example", "--paths", "120"], "--paths is a percentage between 0 and 100"),
    (["--process", "running-example", "--case-attr", "oops"], "NAME=VALUE"),
    (["--process", "running-example", "--time-mode", "sideways"], "time mode must be one of"),
    (["--process", "running-example", "--start", "yesterday"], "not an ISO date/time"),
    (["--process", "running-example", "--view", "performance", "--measure", "absolute"], "measure of the performance view"),
])
def test_user_mistakes_are_one_line_exit_2(workspace, args, message):
    r = run("discover", "-w", "w.duckdb", *args, cwd=workspace)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and r.stderr.count("\n") == 1


def test_library_discover_result(workspace):
    from procatlas.workspace import Workspace
    with Workspace(workspace / "w.duckdb", read_only=True) as ws:
        result = ws.process("running-example").discover(noise=0.2, paths=0.5)
    assert (result.cases, result.events, len(result.variants)) == (6, 42, 6)
    assert result.to_arrow().num_rows == len(result.dfg) == 16
    assert result.to_svg() == result._repr_svg_() == result.map.to_svg()
    assert result.tree is not None and result.tree.activities() == set(result.activities.events)
    for text in (result.to_bpmn(), result.to_pnml(), result.to_model_svg()):
        etree.fromstring(text.encode())
    assert result.variants.to_pandas()["cases"].sum() == 6

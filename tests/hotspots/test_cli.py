"""`procatlas exceptions` / `procatlas hotspots` as a user runs them: the JSON shape of the issue,
the CSV rows, and the heat map written with --out (helpdesk, a real log with hot spots)."""

from __future__ import annotations

import csv
import io
import json

from procatlas import api
from tests.conftest import data_file
from tests.e2e.test_cli import run


def test_hotspots_json_and_heatmap(tmp_path):
    api.ingest([data_file("pm4py__pm4py-core/helpdesk.xes.gz")], workspace=tmp_path / "w.duckdb", process="helpdesk")
    ws = ["--workspace", str(tmp_path / "w.duckdb")]
    r = run("hotspots", "--process", "helpdesk", "--top", "3", "--format", "json", "--out", str(tmp_path / "out"),
            *ws, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    spots = data["hotspots"]
    assert 1 <= len(spots) <= 3
    for h in spots:
        assert {"location", "exception_types", "cases", "lift", "p_value", "impact_hours", "explanation",
                "example_cases"} <= set(h)
        assert set(h["location"]) == {"kind", "value"}
        assert len(h["exception_types"]) >= 2 and h["lift"] >= 2 and h["p_value"] <= 0.05
        assert h["example_cases"] and h["explanation"].startswith("At ")
    impacts = [h["impact_hours"] for h in spots]
    assert impacts[0] > 0
    svg = (tmp_path / "out" / "heatmap.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg") or svg.lstrip().startswith("<?xml")

    r = run("exceptions", "--process", "helpdesk", "--format", "csv", *ws, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    want = api.exceptions(process="helpdesk", workspace=tmp_path / "w.duckdb")
    assert len(rows) == len(want)
    assert {"case_id", "type", "explanation"} <= set(rows[0])
    assert {x["type"] for x in rows} == set(want.table.column("type").to_pylist())

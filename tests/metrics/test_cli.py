"""The metrics CLI end to end: metrics JSON/CSV, baseline save/list/delete, compare, errors."""

from __future__ import annotations

import json

from procatlas import api
from tests.e2e.test_cli import run
from tests.metrics.helpers import write_log


def test_metrics_baseline_compare_cli(tmp_path):
    ws = tmp_path / "w.duckdb"
    api.ingest([write_log(tmp_path / "log.csv", cases=800)], workspace=ws, process="claims")
    w = ["--workspace", str(ws)]

    r = run("metrics", "--process", "claims", "--format", "json", "--sla-hours", "100", *w, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert all(set(x) == {"kpi", "process", "value", "unit", "n", "definition"} for x in rows)
    assert {"cases", "cycle_time_median", "rework_rate", "first_time_right_rate", "sla_compliance",
            "handovers_per_case", "cross_group_handovers_per_case"} <= {x["kpi"] for x in rows}
    csv_out = run("metrics", "--process", "claims", "--format", "csv", "--no-exceptions", *w, cwd=tmp_path).stdout
    assert csv_out.splitlines()[0] == "kpi,process,value,unit,n,definition"

    r = run("baseline", "save", "h1", "--process", "claims", "--from", "2024-01-01", "--to", "2024-06-30", *w,
            "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["to"] == "2024-06-30"
    listed = json.loads(run("baseline", "list", "--format", "json", *w, cwd=tmp_path).stdout)
    assert [b["name"] for b in listed] == ["h1"] and listed[0]["kpis"] > 10
    again = run("baseline", "save", "h1", "--process", "claims", *w, cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr

    r = run("compare", "h1", "--format", "json", *w, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    by_kpi = {x["kpi"]: x for x in json.loads(r.stdout)}
    assert by_kpi["cycle_time_median"]["verdict"] == "better"
    assert by_kpi["rework_rate"]["verdict"] == "better"
    assert {"kpi", "before", "after", "change", "ci_low", "ci_high", "p_value", "verdict"} <= set(by_kpi["cases"])

    table = run("compare", "--before", "2024-01-01..2024-06-30", "--after", "2024-07-01..2024-12-31",
                "--process", "claims", "--no-exceptions", *w, cwd=tmp_path)
    assert table.returncode == 0 and "better" in table.stdout

    assert run("baseline", "delete", "h1", *w, cwd=tmp_path).returncode == 0
    gone = run("compare", "h1", *w, cwd=tmp_path)
    assert gone.returncode == 2 and "no baseline 'h1'" in gone.stderr
    bad = run("compare", "--before", "2024", "--after", "x..y", *w, cwd=tmp_path)
    assert bad.returncode == 2 and "--before must look like" in bad.stderr

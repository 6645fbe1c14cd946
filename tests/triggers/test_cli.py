"""`procatlas processes|catalog|triggers|dependencies|link-posts` on a simulated company."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from procatlas.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_processes_and_catalog(company, tmp_path):
    ws = str(company["workspace"])
    data = json.loads(_run("processes", "-w", ws, "--format", "json"))
    assert {p["process"] for p in data["processes"]} >= {"purchase_requisition", "sales_order", "complaint", "return"}
    assert "process candidates" in _run("processes", "-w", ws)
    md = tmp_path / "catalog.md"
    _run("catalog", "-w", ws, "--out", str(md))
    assert "## sales_order" in md.read_text()
    out = tmp_path / "catalog.csv"
    _run("catalog", "-w", ws, "--out", str(out), "--format", "csv")
    rows = list(csv.DictReader(out.open()))
    assert {"process", "activity", "events", "cases", "position", "trigger", "before", "after"} <= set(rows[0])


def test_triggers_json_shape(company):
    ws = str(company["workspace"])
    items = json.loads(_run("triggers", "-w", ws, "--process", "return", "--format", "json"))
    assert items and {"process", "trigger", "share", "cases", "lag_median_s"} <= set(items[0])
    top = items[0]
    assert top["process"] == "return" and top["trigger"] == {"kind": "process", "source": "complaint",
                                                             "activity": "Resolve ticket"}
    assert top["lag_median_s"] > 0 and 0.9 <= top["share"] <= 1.0
    everything = json.loads(_run("triggers", "-w", ws, "--format", "json", "--min-share", "0.05"))
    assert {t["trigger"]["kind"] for t in everything} >= {"external", "process", "schedule", "manual"}


def test_dependencies_writes_svg_and_tables(company, tmp_path):
    ws = str(company["workspace"])
    data = json.loads(_run("dependencies", "-w", ws, "--format", "json", "--out", str(tmp_path)))
    assert {"dependencies", "relations", "sync_points", "ocdfg"} <= set(data)
    for name in ("ocdfg.svg", "ocdfg.csv", "relations.csv", "dependencies.csv"):
        assert (tmp_path / name).stat().st_size > 0
    assert "synchronisation points" in _run("dependencies", "-w", ws)


def test_link_posts_cli(company, writable):
    out = _run("link-posts", "-w", str(writable), "--target", "complaint")
    assert "linked" in out and "first response" in out
    links = json.loads(_run("link-posts", "-w", str(writable), "--target", "complaint", "--format", "json"))
    assert links["linked"] and {"post_id", "object_id", "object_type", "rule", "response_s"} <= set(links["links"][0])


def test_unknown_process_is_a_user_error(company):
    result = runner.invoke(app, ["triggers", "-w", str(company["workspace"]), "-p", "nope"])
    assert result.exit_code != 0

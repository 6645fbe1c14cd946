"""`procatlas demo`: simulate, then the whole atlas; a second run reuses the workspace."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_end_to_end_and_rerun(tmp_path):
    cmd = [sys.executable, "-m", "procatlas.cli", "demo", "--out", str(tmp_path / "d"), "--cases", "300",
           "--format", "json"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    sim, info = data["simulation"], data["info"]
    assert info["events"] == sim["events"] > 0 and info["rejected"] == 0
    src = next(s for s in data["ingest"]["sources"] if s["path"].endswith("company.jsonocel"))
    assert not src["skipped"] and src["events"] == sim["events"]
    assert {s["format"] for s in data["ingest"]["sources"]} >= {"people-csv", "messages-jsonl", "posts-jsonl"}
    assert data["atlas"] and (tmp_path / "d" / "atlas.html").stat().st_size > 0
    assert {"purchase_requisition", "sales_order", "complaint"} <= set(data["discovery"])
    for process, found in data["discovery"].items():
        proc = next(p for p in info["processes"] if p["process"] == process)
        assert found["cases"] == proc["cases"] and found["events"] == proc["events"]
        svg = (tmp_path / "d" / "discovery" / process / "map.svg").read_text()
        assert svg.startswith("<svg") or svg.startswith("<?xml")

    again = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout)
    assert all(s["skipped"] for s in again["ingest"]["sources"])  # same seed, same bytes, nothing re-read
    assert again["info"]["events"] == info["events"]

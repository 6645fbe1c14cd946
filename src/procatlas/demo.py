"""The demo: simulate the default company, then build its atlas (ingest, every analysis, atlas.html)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Processes of the demo company whose maps and models the demo writes (object types).
DEMO_PROCESSES = ("purchase_requisition", "purchase_order", "supplier_invoice", "sales_order",
                  "complaint", "return")


@dataclass(frozen=True)
class DemoReport:
    """Where the demo put its data, workspace and results."""

    out: str
    data: str
    workspace: str
    simulation: dict
    ingest: dict
    info: dict
    discovery: dict[str, dict] = field(default_factory=dict)
    atlas: str | None = None
    notes: tuple[str, ...] = ()
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"out": self.out, "data": self.data, "workspace": self.workspace, "simulation": self.simulation,
                "ingest": self.ingest, "info": self.info, "discovery": self.discovery, "atlas": self.atlas,
                "notes": list(self.notes), "seconds": self.seconds}


def run_demo(out: Path, *, seed: int = 7, cases: int = 2000,
             stage: Callable[[str], None] = lambda _name: None) -> DemoReport:
    """Simulate (deterministic), ingest (skipped when unchanged) and analyse into ``out``."""
    from procatlas.simulate import simulate

    out = Path(out)
    data = out / "data"
    workspace = out / "atlas.duckdb"
    stage("simulating the demo company")
    sim = simulate(data, seed=seed, cases=cases, formats=("ocel-json", "csv"))
    stage("building the atlas")
    from procatlas.atlas import build_atlas

    def progress(name: str, done: int, total: int) -> None:
        stage(f"atlas: {name} {done}/{total}")

    # events, then people and messages (watering holes, brokers), then social posts (triggers, response)
    inputs = [data / "company.jsonocel", data / "people.csv", data / "messages.jsonl", data / "posts.jsonl"]
    report = build_atlas([p for p in inputs if p.exists()], workspace=workspace, out=out, progress=progress,
                         title="Atlas of the demo company")
    discovery = {p: {"cases": d["cases"], "events": d["events"], "variants": d["variants"], "files": d["files"]}
                 for p, d in report.processes.items()}
    return DemoReport(str(out), str(data), str(workspace), sim.to_dict(), report.ingest, report.info,
                      discovery, report.html, report.notes, report.seconds)

"""The demo: simulate the default company, ingest it, and run every analysis that exists."""

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

    def to_dict(self) -> dict:
        return {"out": self.out, "data": self.data, "workspace": self.workspace, "simulation": self.simulation,
                "ingest": self.ingest, "info": self.info, "discovery": self.discovery}


def run_demo(out: Path, *, seed: int = 7, cases: int = 2000,
             stage: Callable[[str], None] = lambda _name: None) -> DemoReport:
    """Simulate (deterministic), ingest (skipped when unchanged) and analyse into ``out``."""
    from procatlas import api
    from procatlas.simulate import simulate

    out = Path(out)
    data = out / "data"
    workspace = out / "atlas.duckdb"
    stage("simulating the demo company")
    sim = simulate(data, seed=seed, cases=cases, formats=("ocel-json", "csv"))
    stage("ingesting its event data")
    ingested = api.ingest([data / "company.jsonocel"], workspace=workspace)
    info = api.info(workspace=workspace)
    discovery: dict[str, dict] = {}
    known = {p.process for p in info.processes}
    for process in DEMO_PROCESSES:
        if process not in known:
            continue
        stage(f"discovering {process}")
        result, files = api.discover(process=process, workspace=workspace, out=out / "discovery" / process,
                                     activities=1.0, paths=0.8)
        summary = result.to_dict(files)
        discovery[process] = {"cases": summary["cases"], "events": summary["events"],
                              "variants": summary["variants"], "files": summary["files"]}
    return DemoReport(str(out), str(data), str(workspace), sim.to_dict(), ingested.to_dict(), info.to_dict(),
                      discovery)

"""All exception detectors plus hot spots on every real case-centric log of ../shared/data.

For each file of MANIFEST.md's case-centric table whose kind is "real" (each format of a log is its
own row), ingested as tests/e2e/test_manifest_counts.py does (same flags): events, cases, exception
rows per type, hot spots (of testable candidates), the top hot spot, and the time of
``hotspots()`` (every detector but conformance, plus hot spots; ingest not counted).

Usage: python benchmarks/bench_hotspots_logs.py [--only SUBSTRING,...] [--skip SUBSTRING,...]
Prints a markdown table (benchmarks/README.md, "Exceptions and hot spots on every real log").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.e2e: the manifest reader and the per-file ingest flags
sys.path.insert(0, str(ROOT / "src"))

SHORT = {"rework": "rw", "skipped_step": "skip", "order_violation": "order", "rare_path": "rare",
         "long_wait": "wait", "sla_breach": "sla", "reversal": "rev", "cancellation": "cancel", "change": "chg",
         "block": "block", "rejection": "rej", "escalation": "esc", "unusual_resource": "unusual",
         "social_escalation": "social"}


def real_logs() -> list[str]:
    """Case-centric files of the manifest whose kind starts with "real"."""
    from tests.conftest import DATA
    out, section = [], ""
    for line in (DATA / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line
        if line.startswith("| `") and "Case-centric" in section:
            cells = [c.strip() for c in line.split("|")[1:-1]]
            if cells[2].startswith("real"):
                out.append(cells[0].strip("`"))
    return out


def run(name: str) -> dict:
    from procatlas import api
    from tests.conftest import DATA
    from tests.e2e.test_manifest_counts import FLAGS
    with tempfile.TemporaryDirectory() as tmp:
        ws_path = Path(tmp) / "w.duckdb"
        t = time.perf_counter()
        api.ingest([DATA / name], workspace=ws_path, **FLAGS.get(name, {}))
        t_ingest = time.perf_counter() - t
        ws = api.open_workspace(ws_path)
        proc = ws.process(api.info(workspace=ws).processes[0].process)
        t = time.perf_counter()
        h = proc.hotspots()
        took = time.perf_counter() - t
        types = h.exceptions.table.group_by("type").aggregate([("case_id", "count")]).to_pydict()
        per_type = dict(sorted(zip(types["type"], types["case_id_count"]), key=lambda kv: -kv[1]))
        top = h.top(1)
        ev = ws.scalar("SELECT count(*) FROM event")
        return {"name": name, "events": ev, "cases": h.exceptions.cases, "rows": len(h.exceptions),
                "per_type": per_type, "spots": len(h), "candidates": h.candidates, "seconds": took,
                "ingest": t_ingest,
                "top": (f"{top[0].kind} {top[0].value} ({', '.join(top[0].exception_types)}; {top[0].cases} cases, "
                        f"lift {top[0].lift:.1f}, {top[0].impact_hours:,.0f} h)") if top else "-"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--skip", default="")
    a = ap.parse_args()
    names = real_logs()
    if a.only:
        names = [n for n in names if any(s in n for s in a.only.split(","))]
    if a.skip:
        names = [n for n in names if not any(s in n for s in a.skip.split(","))]
    print("| log | events | cases | exception rows (per type) | hot spots / candidates | top hot spot | s |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        r = run(name)
        types = ", ".join(f"{SHORT.get(k, k)} {v:,}" for k, v in r["per_type"].items())
        print(f"| {r['name'].split('/', 1)[1]} | {r['events']:,} | {r['cases']:,} | {r['rows']:,} ({types}) | "
              f"{r['spots']} / {r['candidates']:,} | {r['top']} | {r['seconds']:.1f} |", flush=True)


if __name__ == "__main__":
    main()

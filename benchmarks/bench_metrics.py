"""Metrics: the full KPI catalog of bpic2012 (target < 3 s) and a before/after comparison; with
``--large`` the catalog on the 10-million-event log (target < 60 s).

Usage: python benchmarks/bench_metrics.py [--large] [--repeat 3]

Each run is a fresh child process (imports and opening the workspace count: what a user waits for);
wall time and the child's CPU time (user + sys, all threads) are printed, since on a shared
machine wall time mostly measures the neighbours.
The bpic2012 workspace is ingested into benchmarks/out/bench_metrics_bpic2012.duckdb on first use;
the large one is a copy of benchmarks/out/bench_x10M.duckdb (benchmarks/bench_discovery.py --large
builds that), migrated to the current schema.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATA = Path(os.environ.get("PROCATLAS_DATA", HERE.parents[1] / "shared" / "data"))

CHILD = """
import os, sys, time
t = time.perf_counter()
from procatlas.workspace import Workspace
from procatlas.metrics import compute_metrics
ws = Workspace(sys.argv[1], read_only=True)
if sys.argv[3] == "catalog":
    m = compute_metrics(ws, process=sys.argv[2])
    took = time.perf_counter() - t
    cpu = sum(os.times()[:2])
    print(f"{took:.3f} cpu {cpu:.2f} s, {len(m)} {m['cases'].value:.0f}")
else:
    from procatlas.metrics.run import compare_windows
    c = compare_windows(ws, "..2011-12-31", "2012-01-01..", process=sys.argv[2])
    took = time.perf_counter() - t
    cpu = sum(os.times()[:2])
    print(f"{took:.3f} cpu {cpu:.2f} s, {len(c)} {sum(x.verdict in ('better', 'worse') for x in c.changes)}")
"""


def bpic_workspace() -> Path:
    ws = OUT / "bench_metrics_bpic2012.duckdb"
    if not ws.exists():
        OUT.mkdir(exist_ok=True)
        from procatlas import api
        api.ingest([DATA / "pm4py__pm4py-core" / "bpic2012.xes.gz"], workspace=ws, process="bpic2012")
    return ws


def large_workspace() -> tuple[Path, str]:
    ws = OUT / "bench_metrics_x10M.duckdb"
    if not ws.exists():
        src = OUT / "bench_x10M.duckdb"
        if not src.exists():
            sys.exit(f"{src} missing: run benchmarks/bench_discovery.py --large first")
        shutil.copy(src, ws)
    from procatlas.workspace import Workspace
    with Workspace(ws) as w:  # writable once: migrates to the current schema
        process = w.scalar("SELECT type FROM object LIMIT 1")
    return ws, process


def run(ws: Path, process: str, what: str, repeat: int) -> list[tuple[float, str]]:
    out = []
    for _ in range(repeat):
        r = subprocess.run([sys.executable, "-c", CHILD, str(ws), process, what], capture_output=True, text=True,
                           check=True)
        took, *rest = r.stdout.split()
        out.append((float(took), " ".join(rest)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    ws = bpic_workspace()
    rows.append(("bpic2012 catalog", run(ws, "bpic2012", "catalog", args.repeat), 3.0, "KPIs cases"))
    rows.append(("bpic2012 compare (2 windows)", run(ws, "bpic2012", "compare", args.repeat), None,
                 "KPIs significant"))
    if args.large:
        big, process = large_workspace()
        rows.append((f"{process} catalog", run(big, process, "catalog", 1), 60.0, "KPIs cases"))
    print(f"{'run':32} {'median s':>9} {'runs':>20} {'limit':>6}  result")
    for name, runs, limit, what in rows:
        times = [t for t, _ in runs]
        print(f"{name:32} {statistics.median(times):9.2f} {', '.join(f'{t:.2f}' for t in times):>20} "
              f"{'' if limit is None else f'{limit:g}':>6}  {runs[-1][1]} ({what})")


if __name__ == "__main__":
    began = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - began:.1f} s")

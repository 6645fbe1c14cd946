"""DuckDB against Spark on the same workspace, same queries, same machine, one run.

Usage: python benchmarks/bench_spark.py --workspace W.duckdb --process NAME [--master local[2]]
       [--parquet DIR] [--repeat 2]

Measures, on the workspace (opened read-only; copy it first if others write it):

- ``export``: ``procatlas export --parquet-dir`` (the Spark engine's input);
- ``discovery summaries``: one selection + DFG with transition times (mean/median/p90/max),
  start/end activities, variants with durations and activity service times;
- ``handover network``: person-level handover edges with waiting times;

on DuckDB (the workspace) and on Spark (``--master``, default local[2]) reading the Parquet
folder; Spark's session start is reported apart.  Each measurement is the best of ``--repeat``
runs (Spark's first run also warms its JIT).  Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from procatlas.engine.choose import export_for_spark
from procatlas.workspace import Workspace


def summaries(ws, process: str) -> int:
    proc = ws.process(process)
    eng = proc.engine
    sel = eng.select(process, None)
    try:
        eng.dfg(sel)
        eng.start_activities(sel)
        eng.end_activities(sel)
        eng.variants(sel)
        eng.activities(sel)
        return sel.events
    finally:
        eng.release(sel)


def handovers(ws, process: str) -> int:
    return ws.process(process).handover_network().edges.num_rows


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--process", required=True)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--parquet", help="Parquet folder (default: beside the workspace, written now)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    ws = Workspace(args.workspace, read_only=True)
    folder = Path(args.parquet or str(args.workspace) + ".parquet")
    t = time.perf_counter()
    export_for_spark(ws, folder)
    export_s = time.perf_counter() - t

    rows = []
    duck_sum, events = best(lambda: summaries(ws, args.process), args.repeat)
    duck_hand, _ = best(lambda: handovers(ws, args.process), args.repeat)

    from procatlas.engine.spark import SparkWorkspace, spark_session
    t = time.perf_counter()
    session = spark_session(args.master)
    start_s = time.perf_counter() - t
    sw = SparkWorkspace(folder, session=session, process=args.process)
    spark_sum, spark_events = best(lambda: summaries(sw, args.process), args.repeat)
    spark_hand, _ = best(lambda: handovers(sw, args.process), args.repeat)
    assert spark_events == events, (spark_events, events)
    rows.append(("discovery summaries", duck_sum, spark_sum))
    rows.append(("handover network", duck_hand, spark_hand))

    load = os.getloadavg()
    print(f"\n{events:,} events of {args.process}; {platform.machine()}, {os.cpu_count()} cores, "
          f"Spark master {args.master}; load average {load[0]:.1f}; "
          f"export --parquet-dir {export_s:.1f} s; Spark session start {start_s:.1f} s\n")
    print("| step | DuckDB (s) | Spark (s) | Spark / DuckDB |")
    print("|---|---:|---:|---:|")
    for name, d, s in rows:
        print(f"| {name} | {d:.2f} | {s:.2f} | {s / d:.1f}x |")
    sw.close()
    ws.close()


if __name__ == "__main__":
    main()

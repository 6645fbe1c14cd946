"""The workspace-wide analyses on DuckDB and on Spark: processes, catalog, triggers, dependencies,
watering holes (with brokers), on the same workspace, same machine.

Usage: python benchmarks/bench_spark_workspace.py --workspace W.duckdb [--master local[2]] [--repeat 2]
       [--only watering-holes ...]

DuckDB runs on the workspace (opened read-only), Spark on its Parquet export (written beside it
when missing, reused while the sources are unchanged).  Each figure is the best of ``--repeat``
runs (Spark's first run also warms its JIT); the Spark session start is reported apart.  Prints
one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import time

from procatlas.engine.choose import parquet_for
from procatlas.people import watering_holes
from procatlas.triggers.catalog import catalog
from procatlas.triggers.dependencies import dependencies
from procatlas.triggers.inventory import inventory
from procatlas.triggers.triggers import triggers
from procatlas.workspace import Workspace

COMMANDS = {"processes": inventory, "catalog": catalog, "triggers": triggers, "dependencies": dependencies,
            "watering-holes": lambda ws: watering_holes(ws, top=5)}


def best(run, ws, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run(ws)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", nargs="+", choices=COMMANDS, help="these commands only (default: all)")
    args = parser.parse_args()
    from procatlas.engine.spark import SparkWorkspace, spark_session
    with Workspace(args.workspace, read_only=True) as ws:
        events = ws.scalar("SELECT count(*) FROM event")
        messages = ws.scalar("SELECT count(*) FROM message")
        folder = parquet_for(ws)
        started = time.perf_counter()
        session = spark_session(args.master)
        start_s = time.perf_counter() - started
        print(f"{events:,} events, {messages:,} messages; Spark session start {start_s:.1f} s\n")
        print("| command | DuckDB (s) | Spark (s) | Spark / DuckDB |\n|---|---:|---:|---:|")
        with SparkWorkspace(folder, session=session) as sw:
            for name in args.only or COMMANDS:
                run = COMMANDS[name]
                d, s = best(run, ws, args.repeat), best(run, sw, args.repeat)
                print(f"| {name} | {d:.2f} | {s:.1f} | {s / d:.0f}x |", flush=True)
        print(f"\nload average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

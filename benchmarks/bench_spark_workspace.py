"""The workspace-wide analyses on DuckDB and on Spark: processes, catalog, triggers, dependencies,
watering holes (with brokers), on the same workspace, same machine.

Usage: python benchmarks/bench_spark_workspace.py --workspace W.duckdb [--master local[2]] [--repeat 2]
       [--only watering-holes ...]
       python benchmarks/bench_spark_workspace.py --workspace W.duckdb --profile dependencies

DuckDB runs on the workspace (opened read-only), Spark on its Parquet export (written beside it
when missing, reused while the sources are unchanged).  Each figure is the best of ``--repeat``
runs (Spark's first run also warms its JIT); the Spark session start is reported apart.  Prints
one Markdown table.  ``--profile COMMAND`` runs one command on Spark instead and prints each
statement of the choke point with its wall time (fetching included) and the Spark jobs, stages
and tasks it ran, slowest first.
"""

from __future__ import annotations

import argparse
import os
import time

from procatlas.engine.choose import parquet_for
from procatlas.errors import EngineError
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


def profile(sw, name: str, top: int = 25) -> None:
    """Wall time and Spark jobs/stages/tasks of each statement ``name`` sends to the choke point."""
    from procatlas.engine.spark import SparkWorkspace
    sc, log, depth = sw.spark.sparkContext, [], [0]

    def timed(method):
        def run(self, sql, *args, **kwargs):
            depth[0] += 1
            if depth[0] == 1:  # arrow/rows call execute: count the outermost call once
                sc.setJobGroup(f"s{len(log)}", "procatlas statement")
            started = time.perf_counter()
            try:
                return method(self, sql, *args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    st = sc.statusTracker()
                    jobs = [st.getJobInfo(j) for j in st.getJobIdsForGroup(f"s{len(log)}")]
                    stages = [st.getStageInfo(s) for j in jobs if j for s in j.stageIds]
                    log.append((time.perf_counter() - started, len(jobs), len(stages),
                                sum(s.numTasks for s in stages if s), " ".join(sql.split())[:110]))
        return run

    originals = {m: getattr(SparkWorkspace, m) for m in ("execute", "rows", "arrow")}
    try:
        for m, method in originals.items():
            setattr(SparkWorkspace, m, timed(method))
        started = time.perf_counter()
        COMMANDS[name](sw)
        total = time.perf_counter() - started
    finally:
        for m, method in originals.items():
            setattr(SparkWorkspace, m, method)
    print(f"{name} on Spark: {total:.1f} s, {len(log)} statements, {sum(r[1] for r in log)} Spark jobs\n")
    print("| s | jobs | stages | tasks | statement |\n|---:|---:|---:|---:|---|")
    for seconds, jobs, stages, tasks, sql in sorted(log, reverse=True)[:top]:
        print(f"| {seconds:.2f} | {jobs} | {stages} | {tasks} | `{sql}` |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", required=True)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", nargs="+", choices=COMMANDS, help="these commands only (default: all)")
    parser.add_argument("--profile", choices=sorted(COMMANDS), help="one command on Spark, statement by statement")
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
        if args.profile:
            with SparkWorkspace(folder, session=session) as sw:
                profile(sw, args.profile)
            return
        print("| command | DuckDB (s) | Spark (s) | Spark / DuckDB |\n|---|---:|---:|---:|")
        with SparkWorkspace(folder, session=session) as sw:
            for name in args.only or COMMANDS:
                run = COMMANDS[name]
                d = best(run, ws, args.repeat)
                try:
                    s = best(run, sw, args.repeat)
                except EngineError as exc:  # a command Spark cannot run: its one-line reason
                    print(f"| {name} | {d:.2f} | fails: {str(exc)[:120]} | |", flush=True)
                    continue
                print(f"| {name} | {d:.2f} | {s:.1f} | {s / d:.0f}x |", flush=True)
        print(f"\nload average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

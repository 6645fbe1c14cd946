"""Discovery speed: procatlas against pm4py on the same machine in the same run.

Usage: python benchmarks/bench_discovery.py [--repeat 5] [--large] [--append]

- bpic2012 after ingest: DFG with transition times + start/end + variants with durations +
  activity service times (target < 0.5 s), next to pm4py ``discover_dfg`` + ``get_variants``
  (+ ``discover_performance_dfg``, the comparable performance statistics) on its DataFrame.
- ``--large``: the 10-million-event log of benchmarks/make_large_log.py (ingested once into
  benchmarks/out/bench_x10M.duckdb): DFG + variants (target < 10 s, peak RSS < 4 GB, measured in
  a child process) and the full ``discover``.
- ``--append`` adds the table to benchmarks/README.md under "Discovery".

pm4py (AGPL) is imported here only, as the benchmark oracle.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATA = Path(os.environ.get("PROCATLAS_DATA", HERE.parents[1] / "shared" / "data"))
BPIC2012 = DATA / "pm4py__pm4py-core" / "bpic2012.xes.gz"
LARGE = OUT / "bpic2012_x10M.parquet"


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(best, median) seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times), result


def workspace_for(src: Path, ws_path: Path, process: str) -> Path:
    from procatlas import api
    if not ws_path.exists():
        t = time.perf_counter()
        api.ingest([src], workspace=ws_path, process=process)
        print(f"  (ingested {src.name} in {time.perf_counter() - t:.1f} s, not part of the timings)")
    return ws_path


def summaries(ws, process: str, *, performance: bool = True, activities: bool = True):
    """DFG (+ transition times) + start/end + variants (+ durations) (+ service times)."""
    proc = ws.process(process)
    from procatlas.model.discovery import Filters
    with proc._selection(Filters()) as sel:
        dfg = proc._dfg(sel, performance)
        variants = proc.engine.variants(sel)
        acts = proc.engine.activities(sel) if activities else None
    return dfg, variants, acts


def bench_bpic2012(repeat: int) -> list[dict]:
    from procatlas.workspace import Workspace
    ws_path = workspace_for(BPIC2012, OUT / "bench_bpic2012.duckdb", "bpic2012")
    rows = []
    with Workspace(ws_path, read_only=True) as ws:
        best, med, (dfg, variants, _) = timed(lambda: summaries(ws, "bpic2012"), repeat)
        rows.append(dict(log="bpic2012", task="DFG+times, start/end, variants+durations, service times",
                         procatlas_s=best, procatlas_median_s=med, edges=len(dfg), variants=variants.num_rows))
        best_c, med_c, _ = timed(lambda: summaries(ws, "bpic2012", performance=False, activities=False), repeat)
        rows.append(dict(log="bpic2012", task="DFG counts, start/end, variants", procatlas_s=best_c,
                         procatlas_median_s=med_c))
    try:
        import pm4py  # benchmark oracle only
    except ImportError:
        print("  pm4py not installed: no ratios (pip install 'procatlas[oracle]')")
        return rows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = pm4py.read_xes(str(BPIC2012), return_legacy_log_object=False)
        keys = dict(case_id_key="case:concept:name", activity_key="concept:name", timestamp_key="time:timestamp")

        def pm_counts():
            return pm4py.discover_dfg(df, **keys), pm4py.get_variants(df, **keys)

        def pm_full():
            return pm_counts(), pm4py.discover_performance_dfg(df, **keys)

        pbest_c, pmed_c, _ = timed(pm_counts, max(1, repeat // 2))
        pbest, pmed, _ = timed(pm_full, max(1, repeat // 2))
    rows[0].update(pm4py_task="discover_dfg + get_variants + discover_performance_dfg", pm4py_s=pbest,
                   pm4py_median_s=pmed)
    rows[1].update(pm4py_task="discover_dfg + get_variants", pm4py_s=pbest_c, pm4py_median_s=pmed_c)
    return rows


def _large_child(ws_path: str) -> None:
    """Runs in a child process so that its peak RSS is its own."""
    from procatlas.workspace import Workspace
    out = {}
    with Workspace(ws_path, read_only=True) as ws:
        t = time.perf_counter()
        dfg, variants, _ = summaries(ws, "bpic2012_x10M", performance=False, activities=False)
        out["counts_s"] = time.perf_counter() - t
        t = time.perf_counter()
        dfg, variants, _ = summaries(ws, "bpic2012_x10M", performance=True, activities=False)
        out["perf_s"] = time.perf_counter() - t
        out["events"] = int(ws.scalar("SELECT count(*) FROM event"))
        out["variants"] = variants.num_rows
        t = time.perf_counter()
        ws.process("bpic2012_x10M").discover()
        out["discover_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def bench_large() -> list[dict]:
    if not LARGE.exists():
        print(f"  {LARGE} missing: run python benchmarks/make_large_log.py first")
        return []
    ws_path = workspace_for(LARGE, OUT / "bench_x10M.duckdb", "bpic2012_x10M")
    r = subprocess.run([sys.executable, __file__, "--_large-child", str(ws_path)], capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr)
        return []
    m = json.loads(r.stdout.strip().splitlines()[-1])
    common = dict(log=f"bpic2012 x10M ({m['events']:,} events, {m['variants']:,} variants)",
                  peak_rss_mb=m["peak_rss_mb"])
    return [dict(common, task="DFG counts, start/end, variants", procatlas_s=m["counts_s"]),
            dict(common, task="DFG+times, start/end, variants+durations", procatlas_s=m["perf_s"]),
            dict(common, task="full discover (summaries, map, IMf, models)", procatlas_s=m["discover_s"])]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}; load average {load} (machine shared with other work)")


def table(rows: list[dict]) -> str:
    lines = ["| log | task | procatlas (best) | median | pm4py (best) | pm4py / procatlas | peak RSS |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        pm = r.get("pm4py_s")
        ours = r["procatlas_s"]
        task = r["task"] + (" vs " + r["pm4py_task"] if pm else "")
        median = r.get("procatlas_median_s", ours)
        pm_text = f"{pm:.3f} s" if pm else "-"
        ratio = f"{pm / ours:.2f}" if pm else "-"
        rss = f"{r['peak_rss_mb']:,.0f} MB" if "peak_rss_mb" in r else "-"
        lines.append(f"| {r['log']} | {task} | {ours:.3f} s | {median:.3f} s | {pm_text} | {ratio} | {rss} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--large", action="store_true", help="also the 10M-event log")
    ap.add_argument("--append", action="store_true", help="append the results to benchmarks/README.md")
    ap.add_argument("--_large-child", dest="large_child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.large_child:
        _large_child(args.large_child)
        return
    OUT.mkdir(exist_ok=True)
    where = machine()  # load average before the run
    print(where)
    print("bpic2012 ...")
    rows = bench_bpic2012(args.repeat)
    if args.large:
        print("10M events ...")
        rows += bench_large()
    text = table(rows)
    print(text)
    if args.append:
        readme = HERE / "README.md"
        head = "" if readme.exists() else "# Benchmarks\n"
        body = readme.read_text(encoding="utf-8") if readme.exists() else ""
        section = "" if "\n## Discovery\n" in body or body.startswith("## Discovery") else (
            "\n## Discovery\n\nRun: `python benchmarks/bench_discovery.py --large --append` "
            "(times are best of --repeat runs after ingest; pm4py on its own DataFrame, read before timing).\n")
        entry = f"\n### {date.today().isoformat()} — {where}\n\n{text}\n"
        readme.write_text(head + body + section + entry, encoding="utf-8")
        print(f"appended to {readme}")


if __name__ == "__main__":
    main()

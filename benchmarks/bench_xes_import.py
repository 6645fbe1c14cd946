"""XES import: our streaming reader (and full ingest) against pm4py.read_xes, same file, same run.

Each side runs in its own subprocess so its peak RSS is its own (``ru_maxrss`` of the child).

    .venv/bin/python benchmarks/bench_xes_import.py [FILE.xes[.gz|.zip]] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "pm4py__pm4py-core" / "bpic2012.xes.gz"

_READER = r"""
import resource, sys, time, duckdb
from pathlib import Path
from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io.xes import read_xes
con = duckdb.connect()
def execute(sql, params=None, register=None):
    for n, o in (register or {}).items():
        con.register(n, o)
    try:
        return con.execute(sql, params or [])
    finally:
        for n in register or {}:
            con.unregister(n)
st = Stager(execute)
c = resource.getrusage(resource.RUSAGE_SELF); c = c.ru_utime + c.ru_stime
t = time.perf_counter()
read_xes(Path(sys.argv[1]), st, ReadOptions())
s = time.perf_counter() - t
c2 = resource.getrusage(resource.RUSAGE_SELF); cpu = c2.ru_utime + c2.ru_stime - c
events = con.execute("SELECT count(*) FROM stage_case_event").fetchone()[0]
cases = con.execute("SELECT count(DISTINCT case_id) FROM stage_case_event").fetchone()[0]
print({"seconds": s, "cpu": cpu, "events": events, "cases": cases,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
"""

_INGEST = r"""
import resource, sys, time, tempfile, os
from procatlas import api
ws = os.path.join(tempfile.mkdtemp(), "bench.duckdb")
c = resource.getrusage(resource.RUSAGE_SELF); c = c.ru_utime + c.ru_stime
t = time.perf_counter()
report = api.ingest([sys.argv[1]], workspace=ws)
s = time.perf_counter() - t
c2 = resource.getrusage(resource.RUSAGE_SELF); cpu = c2.ru_utime + c2.ru_stime - c
src = report.sources[0]
print({"seconds": s, "cpu": cpu, "events": src.events, "cases": src.objects, "rejected": src.rejected,
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
"""

_PM4PY = r"""
import resource, sys, time, io, contextlib, warnings
warnings.filterwarnings("ignore")
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    import pm4py
c = resource.getrusage(resource.RUSAGE_SELF); c = c.ru_utime + c.ru_stime
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    df = pm4py.read_xes(sys.argv[1])
s = time.perf_counter() - t
c2 = resource.getrusage(resource.RUSAGE_SELF); cpu = c2.ru_utime + c2.ru_stime - c
print({"seconds": s, "cpu": cpu, "events": len(df), "cases": df["case:concept:name"].nunique(),
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
"""


def _run(code: str, path: Path, env: dict[str, str] | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a dict literal of results."""
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    import ast

    return ast.literal_eval(proc.stdout.strip().splitlines()[-1])


def _has_ingest() -> bool:
    try:
        from procatlas.api import ingest  # noqa: F401
    except Exception:  # noqa: BLE001 - the workspace layer may not exist yet
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3, help="runs per side; the best time is reported")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    if not args.file.exists():
        sys.exit(f"{args.file}: not found (shared/data absent?)")

    # read_xes takes the vectorised path (io/xes_fast.py) when the file's shape allows;
    # PROCATLAS_XES_FAST=0 forces the general expat reader, measured for comparison
    expat = {"PROCATLAS_XES_FAST": "0"}
    sides = [("procatlas read_xes -> stager", _READER, None),
             ("  same, expat reader forced", _READER, expat)]
    if _has_ingest():
        sides.append(("procatlas api.ingest (full)", _INGEST, None))
        sides.append(("  same, expat reader forced", _INGEST, expat))
    sides.append(("pm4py.read_xes", _PM4PY, None))
    load_before = os.getloadavg()[0]
    results: dict[str, dict] = {}
    for name, code, env in sides:
        runs = []
        for _ in range(args.repeat):
            try:
                runs.append(_run(code, args.file, env))
            except RuntimeError as exc:
                runs.append({"error": str(exc)})
                break
        ok = [r for r in runs if "seconds" in r]
        name = f"{name} " if name in results else name  # the two "same, expat" rows
        results[name] = dict(min(ok, key=lambda r: r["seconds"])) if ok else runs[-1]
        results[name]["runs"] = [round(r["seconds"], 3) for r in ok]

    base = results["pm4py.read_xes"].get("seconds")
    base_cpu = results["pm4py.read_xes"].get("cpu")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"# XES import: {args.file.name}  ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{platform.machine()}, Python {platform.python_version()})")
    print("wall = best of the runs; CPU = user+sys of that run (steady when other jobs share the machine); "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'side':32} {'wall s':>7} {'CPU s':>6} {'peak RSS MB':>12} {'events':>9} {'cases':>7} "
          f"{'x faster (wall)':>15} {'x faster (CPU)':>14}")
    for name, r in results.items():
        if "seconds" not in r:
            print(f"{name:32} error: {r.get('error')}")
            continue
        ratio = f"{base / r['seconds']:.1f}" if base else "-"
        cratio = f"{base_cpu / r['cpu']:.1f}" if base_cpu else "-"
        print(f"{name:32} {r['seconds']:7.2f} {r['cpu']:6.2f} {r['rss_mb']:12.0f} {r['events'] or 0:9,} "
              f"{r['cases'] or 0:7,} {ratio:>15} {cratio:>14}")


if __name__ == "__main__":
    main()

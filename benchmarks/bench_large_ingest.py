"""Stage (and, when procatlas.api.ingest exists, fully ingest) the 10M-event CSV and Parquet.

Usage: python benchmarks/bench_large_ingest.py [--dir benchmarks/out] [--only stage|ingest]
Each run is a fresh subprocess; wall time and peak RSS (ru_maxrss of the child) are reported.
Build the inputs first with benchmarks/make_large_log.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

_STAGE = r"""
import sys, tempfile, time, duckdb
from pathlib import Path
from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io import detect_format
from procatlas.io.readers import reader_for
path = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as d:
    con = duckdb.connect(str(Path(d) / "bench.duckdb"))
    def execute(sql, params=None, register=None):
        for n, o in (register or {}).items():
            con.register(n, o)
        return con.execute(sql, params or [])
    st = Stager(execute)
    t = time.perf_counter()
    reader_for(detect_format(path))(path, st, ReadOptions())
    import resource
    print(st.counts["case_event"], st.counts["reject"], round(time.perf_counter() - t, 2),
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_INGEST = r"""
import sys, tempfile, time
from pathlib import Path
from procatlas import api
path = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as d:
    t = time.perf_counter()
    res = api.ingest([path], workspace=Path(d) / "bench.duckdb")
    import resource
    ev = getattr(res, "events", None) or sum(getattr(f, "events", 0) or 0 for f in getattr(res, "files", []) or [])
    print(ev or "?", 0, round(time.perf_counter() - t, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(script: str, path: Path) -> dict:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    events, rejects, inner, rss_kib = proc.stdout.split()[-4:]
    return {"events": f"{int(events):,}" if events.isdigit() else events, "rejects": rejects,
            "seconds": round(wall, 1), "reader_seconds": float(inner),
            "peak_rss_mb": round(int(rss_kib) / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=HERE / "out")
    ap.add_argument("--only", choices=["stage", "ingest"])
    args = ap.parse_args()
    files = sorted(args.dir.glob("bpic2012_x*.csv")) + sorted(args.dir.glob("bpic2012_x*.parquet"))
    if not files:
        sys.exit("no inputs; run benchmarks/make_large_log.py first")
    try:
        from procatlas import api
        has_ingest = hasattr(api, "ingest")
    except ImportError:
        has_ingest = False
    modes = [("stage", _STAGE)] + ([("ingest", _INGEST)] if has_ingest else [])
    rows = []
    for f in files:
        for mode, script in modes:
            if args.only and mode != args.only:
                continue
            r = run(script, f)
            rows.append({"file": f.name, "mode": mode, **r})
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'file':<28} {'mode':<7} {'events':>11} {'wall s':>7} {'peak RSS MB':>12}")
    for r in rows:
        if "error" in r:
            print(f"{r['file']:<28} {r['mode']:<7} ERROR {r['error']}")
        else:
            print(f"{r['file']:<28} {r['mode']:<7} {r['events']:>11} {r['seconds']:>7} {str(r['peak_rss_mb']):>12}")


if __name__ == "__main__":
    main()

"""Web app latency: the filter interactions a user makes in ``procatlas serve``, timed per request.

Usage: python benchmarks/bench_web.py [--large] [--repeat 5] [--workspace PATH]

bpic2012.xes.gz is ingested into a temporary workspace; with ``--large`` also
benchmarks/out/bpic2012_x10M.parquet (about 40 s; skipped with a note when the file is missing;
benchmarks/make_large_log.py builds it).  The app runs in process behind FastAPI's TestClient (the
ASGI stack, JSON encoding and SVG rendering count; the loopback socket does not).  Each interaction
is timed with ``--repeat`` different parameter values (other slider positions, other windows,
other attribute values, other variants and cases), so most requests are cache misses.  The app is
created as ``procatlas serve`` creates it (``warm=True``: each process's cube, the arrays that
filters are answered from, is built in a background thread at start); the build and the first
request after it (the unfiltered summaries) are reported apart.
Targets (issue 9): under 0.3 s on bpic2012, under 2 s on 10 million events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATA = Path(os.environ.get("PROCATLAS_DATA", HERE.parents[1] / "shared" / "data"))


def interactions(client, process: str, repeat: int) -> list[tuple[str, list[str], list[dict]]]:
    """(label, path, params) per request: what a user does on the process page."""
    base = f"/api/process/{process}"
    full = client.get(base).json()
    attrs = full["case_attributes"]
    variants = [v["variant"] if "variant" in v else i + 1 for i, v in enumerate(full["variants"])]
    first = dt.date.fromisoformat(client.get("/api/overview").json()["workspace"]["first"][:10])
    levels = [(a, p) for a in (0.9, 0.7, 0.5, 0.4, 0.2) for p in (0.8, 0.6, 0.3, 0.1)]
    out: list[tuple[str, str, dict]] = []
    for i in range(repeat):
        a, p = levels[i % len(levels)]
        out.append(("map: activity/path sliders", base, {"activities": a, "paths": p}))
    for i in range(repeat):
        a, p = levels[(i + 7) % len(levels)]
        out.append(("map: performance view", base, {"activities": a, "paths": p, "view": "performance"}))
    for i in range(repeat):
        end = first + dt.timedelta(days=20 + 9 * i)
        out.append(("filter: time window", base, {"start": first.isoformat(), "end": end.isoformat()}))
    if attrs:
        name, values = next(iter(attrs.items()))
        for i in range(repeat):
            out.append(("filter: case attribute", base, {"attribute": name, "value": values[i % len(values)]}))
    for i in range(repeat):
        out.append(("filter: variant", base, {"variant": variants[i % len(variants)]}))
    for i in range(repeat):
        out.append(("drill-down: cases of a variant", base + "/cases",
                    {"variant": variants[i % len(variants)]}))
    cases = client.get(base + "/cases", params={"limit": 200}).json()["rows"]
    for i in range(repeat):
        out.append(("case timeline", base + f"/case/{cases[(i * 37) % len(cases)]['case_id']}", {}))
    return out


def run(ws: Path, process: str, repeat: int) -> tuple[float, float, dict[str, list[float]]]:
    from fastapi.testclient import TestClient

    from procatlas.web.app import create_app
    t = time.perf_counter()
    app = create_app(ws, warm=True)  # as `procatlas serve`: the process cubes are built in the background
    app.state.warming.join()
    build = time.perf_counter() - t
    client = TestClient(app)
    t = time.perf_counter()
    r = client.get(f"/api/process/{process}")
    cold = time.perf_counter() - t
    assert r.status_code == 200, r.text
    times: dict[str, list[float]] = {}
    for label, path, params in interactions(client, process, repeat):
        t = time.perf_counter()
        r = client.get(path, params=params)
        took = time.perf_counter() - t
        assert r.status_code == 200, (path, params, r.text)
        times.setdefault(label, []).append(took)
    return build, cold, times


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="also the 10-million-event log")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workspace", help="an existing workspace instead of ingesting (process bpic2012)")
    args = ap.parse_args()
    from procatlas import api
    print(f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, python {platform.python_version()}")
    inputs = [("bpic2012", DATA / "pm4py__pm4py-core" / "bpic2012.xes.gz", 0.3)]
    if args.large:
        big = OUT / "bpic2012_x10M.parquet"
        if big.exists():
            inputs.append(("10M events", big, 2.0))
        else:
            print(f"# {big} missing: run benchmarks/make_large_log.py first; 10M row skipped")
    with tempfile.TemporaryDirectory(prefix="bench_web_") as tmp:
        for label, src, limit in inputs:
            if args.workspace and label == "bpic2012":
                ws = Path(args.workspace)
            else:
                ws = Path(tmp) / f"{label.replace(' ', '_')}.duckdb"
                t = time.perf_counter()
                opts = {"process": "bpic2012"}
                api.ingest([src], workspace=ws, **opts)
                print(f"# {label}: ingested in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            build, cold, times = run(ws, "bpic2012", args.repeat)
            print(f"\n{label} (limit {limit:.1f} s per interaction; {args.repeat} requests each)")
            print(f"{'interaction':34} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  ok")
            print(f"{'cube build at start (background)':34} {build * 1000:10.0f} {'':>8} {'':>8}")
            print(f"{'first request (after the build)':34} {cold * 1000:10.0f} {'':>8} {'':>8}")
            for what, xs in times.items():
                ok = "yes" if p95(xs) < limit else "NO"
                print(f"{what:34} {statistics.median(xs) * 1000:10.0f} {p95(xs) * 1000:8.0f} "
                      f"{max(xs) * 1000:8.0f}  {ok}")


if __name__ == "__main__":
    main()

"""Exceptions and hot spots: all detectors + hot spots on bpic2012 (target < 10 s) and, with
``--large``, on the 10-million-event log (target < 120 s, peak RSS < 4 GB, in a child process).

Usage: python benchmarks/bench_exceptions.py [--large] [--large-workspace PATH] [--profile]
Workspaces are the ones benchmarks/bench_discovery.py ingests (benchmarks/out/*.duckdb); the large
one can be any workspace holding benchmarks/out/bpic2012_x10M.parquet ingested (process bpic2012_x10M).
Conformance (alignments) is not part of "all detectors": it runs with a model (--model) only.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def run(ws_path: Path, process: str, profile: bool = False) -> None:
    t = time.perf_counter()  # imports count: a cold start is what a user waits for
    from procatlas.workspace import Workspace
    ws = Workspace(ws_path, read_only=True)
    if profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        h = prof.runcall(ws.process(process).hotspots)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
    else:
        h = ws.process(process).hotspots()
    took = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    c = h.exceptions.conformance
    print(f"{ws_path.name}: {h.exceptions.cases:,} cases, {len(h.exceptions):,} exception rows, "
          f"{len(h)} hot spots of {h.candidates:,} candidates in {took:.1f} s; peak RSS {rss:.2f} GB")
    if c is not None:
        print(f"  fitness {c.log_fitness}, {c.aligned_variants}/{c.total_variants} variants aligned; note: {c.note}")
    for x in h.top(5):
        print(f"  {x.kind}: {x.value} | {', '.join(x.exception_types)} | lift {x.lift} | {x.impact_hours:,.0f} h")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--large-workspace", type=Path, default=OUT / "bench_x10M.duckdb")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--child", nargs=2)
    a = ap.parse_args()
    if a.child:
        run(Path(a.child[0]), a.child[1], a.profile)
        return
    prof = ["--profile"] if a.profile else []
    for ws in [OUT / "bench_bpic2012.duckdb"] + ([a.large_workspace] if a.large else []):
        # a workspace of an older schema is migrated once (writable) before the read-only runs
        subprocess.run([sys.executable, "-c", "import sys; from procatlas.workspace import Workspace; "
                        "Workspace(sys.argv[1]).close()", str(ws)], check=False)
    subprocess.run([sys.executable, __file__, "--child", str(OUT / "bench_bpic2012.duckdb"), "bpic2012", *prof],
                   check=True)
    if a.large:
        subprocess.run([sys.executable, __file__, "--child", str(a.large_workspace), "bpic2012_x10M", *prof],
                       check=True)


if __name__ == "__main__":
    main()

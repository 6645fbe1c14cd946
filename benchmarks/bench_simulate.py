"""Time the simulator writing a large company as Parquet + CSV and print events per second."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from procatlas.simulate import simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cases", type=int, default=1_000_000, help="top-level cases (1M gives about 10M events)")
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--out", type=Path, default=None, help="keep the files here (default: a temp dir, removed)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="procatlas-bench-"))
    t = time.perf_counter()
    r = simulate(out, cases=args.cases, formats=tuple(args.formats.split(",")))
    secs = time.perf_counter() - t
    size = sum(Path(p).stat().st_size for p in r.files.values()) / 1e6
    print(f"cases={args.cases} events={r.events} messages={r.messages} posts={r.posts} "
          f"formats={args.formats} seconds={secs:.1f} events/s={r.events / secs:,.0f} written_MB={size:.0f}")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()

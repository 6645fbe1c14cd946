"""Atlas end to end: files -> workspace -> every analysis -> atlas.html (fresh workspace each run).

    .venv/bin/python benchmarks/bench_atlas.py            # bpic2012 (if present) and the demo organisation
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def bpic2012() -> Path | None:
    hits = sorted(DATA.rglob("bpic2012.xes.gz"))
    return hits[0] if hits else None


def run(name: str, files: list[Path], limit_s: float, tmp: Path) -> tuple[str, float, float, int]:
    from procatlas.atlas import build_atlas
    out = tmp / name
    started = time.perf_counter()
    report = build_atlas(files, workspace=out / "atlas.duckdb", out=out)
    took = time.perf_counter() - started
    return name, took, limit_s, report.html_bytes


def main() -> int:
    from procatlas.simulate import simulate
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        log = bpic2012()
        if log is not None:
            rows.append(run("bpic2012", [log], 30.0, tmp))
        else:
            print("bpic2012 not found under ../shared/data; skipped", file=sys.stderr)
        t = time.perf_counter()
        simulate(tmp / "demo-data", seed=7, cases=2000, formats=("ocel-json",))
        sim_s = time.perf_counter() - t
        files = [tmp / "demo-data" / n for n in ("company.jsonocel", "people.csv", "messages.jsonl", "posts.jsonl")]
        name, took, limit, size = run("demo organisation", files, 60.0, tmp)
        rows.append((name + " (incl. simulation)", took + sim_s, limit, size))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'input':<32} {'seconds':>8} {'limit':>6} {'atlas.html MB':>14}")
    for name, took, limit, size in rows:
        print(f"{name:<32} {took:8.1f} {limit:6.0f} {size / 1e6:14.1f}")
    return 0 if all(took < limit for _, took, limit, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

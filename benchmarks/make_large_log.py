"""Build a 10-million-event log by replicating BPIC 2012 with shifted case ids (CSV + Parquet).

Usage: python benchmarks/make_large_log.py [--events 10000000] [--out benchmarks/out]

BPIC 2012 is loaded once (pm4py, a benchmark-only oracle, AGPL: never imported by src/) and
cached as Parquet; the replication and writing are done by DuckDB.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("PROCATLAS_DATA", HERE.parents[1] / "shared" / "data"))
BPIC2012 = DATA / "pm4py__pm4py-core" / "bpic2012.xes.gz"


def base_log(out: Path) -> Path:
    """BPIC 2012 as Parquet with pm4py column names (cached)."""
    cached = out / "bpic2012_base.parquet"
    if cached.exists():
        return cached
    import pm4py  # benchmark-only oracle

    df = pm4py.read_xes(str(BPIC2012), return_legacy_log_object=False)
    df = df.reset_index(drop=True)
    df["time:timestamp"] = df["time:timestamp"].dt.tz_convert("UTC")
    con = duckdb.connect()
    con.register("df", df)
    con.execute(f"COPY (SELECT * FROM df) TO '{cached}' (FORMAT parquet)")
    return cached


def build(events: int, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    base = base_log(out)
    con = duckdb.connect()
    n = con.execute(f"SELECT count(*) FROM read_parquet('{base}')").fetchall()[0][0]
    copies = math.ceil(events / n)
    tag = f"{events // 1_000_000}M" if events % 1_000_000 == 0 else str(events)
    csv_path, pq_path = out / f"bpic2012_x{tag}.csv", out / f"bpic2012_x{tag}.parquet"
    # copy k shifts case ids by k * 1,000,000 and time by k * 200 days; file order is
    # (copy, original order) so every copy is a contiguous block like the original
    con.execute(f"""
        CREATE TEMP TABLE big AS
        SELECT CAST(CAST(b."case:concept:name" AS BIGINT) + k * 1000000 AS VARCHAR) AS "case:concept:name",
               b."concept:name", b."lifecycle:transition", b."org:resource",
               b."time:timestamp" + k * INTERVAL 200 DAY AS "time:timestamp",
               b."case:AMOUNT_REQ", b."case:REG_DATE" + k * INTERVAL 200 DAY AS "case:REG_DATE"
        FROM range({copies}) r(k), (SELECT *, row_number() OVER () AS pos FROM read_parquet('{base}')) b
        ORDER BY k, pos LIMIT {events}""")
    con.execute(f"COPY big TO '{pq_path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    con.execute(f"""COPY (SELECT * REPLACE (strftime(timezone('UTC', "time:timestamp"), '%Y-%m-%d %H:%M:%S.%g') || '+00:00' AS "time:timestamp",
                                         strftime(timezone('UTC', "case:REG_DATE"), '%Y-%m-%d %H:%M:%S.%g') || '+00:00' AS "case:REG_DATE")
                        FROM big) TO '{csv_path}' (FORMAT csv, HEADER true)""")
    return csv_path, pq_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    t = time.perf_counter()
    csv_path, pq_path = build(args.events, args.out)
    for p in (csv_path, pq_path):
        print(f"{p}  {p.stat().st_size / 1e6:,.0f} MB")
    print(f"built in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()

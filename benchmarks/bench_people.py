"""People speed: handover network on bpic2012 (against pm4py) and watering holes over 1 million messages.

Usage: python benchmarks/bench_people.py [--repeat 3] [--messages 1000000] [--append]

- bpic2012: ``proc.handover_network()`` (SQL edge list incl. waiting times, target < 1 s),
  next to pm4py ``discover_handover_of_work_network`` on its DataFrame with the events without
  a resource dropped (pm4py fails on them).
- watering holes: a synthetic organisation (1,000 people in 20 groups, a year of team chat,
  in-group and cross-group e-mail with case references, 5 informal cross-group channels)
  of ``--messages`` messages written straight into a workspace, then ``ws.watering_holes()``
  (candidates, informal share, brokers) in a child process: target < 30 s, peak RSS < 4 GB.
- ``--append`` adds the table to benchmarks/README.md under "People".

pm4py (AGPL) is imported here only, as the benchmark oracle.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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


def synthetic_messages(ws, n: int, *, people: int = 1000, groups: int = 20, seed: int = 1) -> None:
    """Write ``n`` messages of a synthetic organisation into ``ws`` (people and messages tables)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    grp = np.arange(people) % groups
    pid = np.array([f"U{i:05d}" for i in range(people)])
    ws.execute("INSERT INTO person SELECT id, NULL, grp, NULL, NULL, 0 FROM p",
               register={"p": pa.table({"id": pid, "grp": [f"G{g:02d}" for g in grp]})})
    start = np.datetime64("2025-01-06T08:00:00", "s").astype(np.int64)
    ts = start + np.sort(rng.integers(0, 365 * 86400, n))
    kind = rng.choice(3, n, p=[0.55, 0.40, 0.05])  # team chat, e-mail, informal channel
    sender = rng.integers(0, people, n)
    venue = np.empty(n, dtype=object)
    recips: list[list[str]] = []
    refs: list[list[str]] = []
    members = [np.flatnonzero(grp == g) for g in range(groups)]
    holes = [np.concatenate([members[a][:4], members[b][:4]]) for a, b in ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))]
    for i in range(n):
        s = sender[i]
        if kind[i] == 0:
            m = members[grp[s]]
            venue[i] = f"chat:#g{grp[s]:02d}"
            recips.append(list(pid[rng.choice(m, 5, replace=False)]))
            refs.append([])
        elif kind[i] == 1:
            cross = rng.random() < 0.3
            other = rng.integers(0, people) if cross else rng.choice(members[grp[s]])
            venue[i] = "email"
            recips.append([pid[other]])
            refs.append([f"CASE-{rng.integers(0, 200000):06d}"] if cross else [])
        else:
            h = holes[i % len(holes)]
            sender[i] = h[rng.integers(0, len(h))]
            venue[i] = f"chat:#informal-{i % len(holes)}"
            recips.append(list(pid[h[h != sender[i]]]))
            refs.append([])
    table = pa.table({
        "mid": np.arange(n, dtype=np.int64), "id": pa.nulls(n, pa.string()), "source_id": np.zeros(n, np.int32),
        "timestamp": pa.array(ts.astype("datetime64[s]")).cast(pa.timestamp("us")),
        "sender": pid[sender], "recipients": pa.array(recips, pa.list_(pa.string())),
        "venue": pa.array(venue.tolist(), pa.string()),
        "kind": pa.array(np.where(kind == 1, "email", "chat").tolist(), pa.string()),
        "case_refs": pa.array(refs, pa.list_(pa.string())), "subject": pa.nulls(n, pa.string()),
        "text": pa.nulls(n, pa.string()), "attributes": pa.nulls(n, pa.string())})
    ws.execute("INSERT INTO message SELECT * FROM t", register={"t": table})


def child_watering_holes(path: str) -> None:
    from procatlas.workspace import Workspace
    ws = Workspace(path, read_only=True)
    t = time.perf_counter()
    result = ws.watering_holes(top=5)
    elapsed = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "rss_mb": rss, "holes": [h.venue for h in result.holes],
                      "brokers": [b.person for b in result.brokers[:3]], "candidates": result.candidates}))


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--append", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_watering_holes(args.child)
        return
    sys.path.insert(0, str(HERE.parent / "src"))
    from procatlas import api
    from procatlas.workspace import Workspace

    OUT.mkdir(exist_ok=True)
    rows = []
    if BPIC2012.exists():
        wsp = OUT / "bench_people_bpic2012.duckdb"
        if not wsp.exists():
            api.ingest([BPIC2012], workspace=wsp)
        ws = Workspace(wsp, read_only=True)
        proc = ws.process("bpic2012")
        proc.handover_network()  # warm
        ours, net = best(lambda: proc.handover_network(), args.repeat)
        theirs = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pm4py
                df = pm4py.read_xes(str(BPIC2012))
                df = df[df["org:resource"].notna()]
                theirs, _ = best(lambda: pm4py.discover_handover_of_work_network(df), args.repeat)
        except ImportError:
            pass
        rows.append(("bpic2012 (262,200 events, 18,010 without resource)", "handover network (edges, counts, waiting times)",
                     ours, theirs, None))
        print(f"bpic2012 handover: {ours:.3f} s ({net.edges.num_rows} pairs); pm4py {theirs}")
        ws.close()
    wsp = OUT / f"bench_people_{args.messages}.duckdb"
    if not wsp.exists():
        ws = Workspace(wsp)
        t = time.perf_counter()
        synthetic_messages(ws, args.messages)
        print(f"generated {args.messages:,} messages in {time.perf_counter() - t:.1f} s")
        ws.close()
    res = subprocess.run([sys.executable, __file__, "--child", str(wsp)], capture_output=True, text=True, check=True)
    child = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"watering holes over {args.messages:,} messages: {child['seconds']:.2f} s, peak RSS {child['rss_mb']:.0f} MB; "
          f"{child['holes']}, brokers {child['brokers']}")
    rows.append((f"synthetic, {args.messages:,} messages, 1,000 people, 20 groups",
                 f"watering holes ({child['candidates']:,} candidates) + brokers", child["seconds"], None,
                 child["rss_mb"]))
    if args.append:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        lines = [
            "", "## People", "",
            "Run: `python benchmarks/bench_people.py --append` (best of --repeat runs; watering holes once, "
            "in a child process whose peak RSS is shown).", "",
            f"### {date.today()} — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; load average {load} (machine shared with other work)", "",
            "| data | task | procatlas | pm4py | pm4py / procatlas | peak RSS |", "|---|---|---|---|---|---|"]
        for data, task, ours, theirs, rss in rows:
            ratio = f"{theirs / ours:.2f}" if theirs else "-"
            lines.append(f"| {data} | {task} | {ours:.3f} s | {f'{theirs:.3f} s' if theirs else '-'} | {ratio} | "
                         f"{f'{rss:,.0f} MB' if rss else '-'} |")
        with open(HERE / "README.md", "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

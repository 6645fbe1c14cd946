"""Triggers and dependencies: OC-DFG time against pm4py.discover_ocdfg (same run, same machine) on
the OCEL logs of ../shared/data, and the full triggers/dependencies/catalog/linking pipeline on the
simulated company with its ground-truth scores.

Usage: python benchmarks/bench_triggers.py [--repeat 3] [--cases 2000] [--append]

- OC-DFG: procatlas times ``triggers.dependencies.ocdfg`` on an ingested workspace (the
  per-object working tables included); pm4py times ``discover_ocdfg`` on its OCEL object read
  before timing. Best of ``--repeat``.
- ``--append`` adds the tables to benchmarks/README.md under "Triggers and dependencies".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("PROCATLAS_DATA", HERE.parents[1] / "shared" / "data"))
sys.path.insert(0, str(HERE.parent))

LOGS = [("ocpa running-example.sqlite", "ocpm__ocpa/running-example.sqlite", "read_ocel2_sqlite"),
        ("ocpa logistics.sqlite", "ocpm__ocpa/logistics.sqlite", "read_ocel2_sqlite"),
        ("pm4py ocel20_example.jsonocel", "pm4py__pm4py-core/ocel/ocel20_example.jsonocel", "read_ocel2_json"),
        ("pm4py recruiting-red.jsonocel", "pm4py__pm4py-core/ocel/recruiting-red.jsonocel", "read_ocel_json")]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def quiet():
    return contextlib.redirect_stdout(io.StringIO())


def ocdfg_rows(repeat: int) -> list[tuple]:
    from procatlas import api
    from procatlas.triggers.dependencies import ocdfg
    from procatlas.workspace import Workspace
    try:
        with quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pm4py
    except ImportError:
        pm4py = None
    rows = []
    for label, rel, reader in LOGS:
        path = DATA / rel
        if not path.exists():
            continue
        ws = Workspace(":memory:")
        api.ingest([path], workspace=ws)
        events = ws.rows("SELECT count(DISTINCT eid) FROM event_object")[0][0]
        ours, g = best(lambda: ocdfg(ws), repeat)
        theirs = None
        if pm4py is not None:
            with quiet(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                log = getattr(pm4py, reader)(str(path))
                theirs, _ = best(lambda: pm4py.discover_ocdfg(log), repeat)
        rows.append((f"{label} ({events:,} events with objects)", f"OC-DFG ({g.edges.num_rows} edges)", ours, theirs))
        ws.close()
    return rows


def company_rows(cases: int) -> tuple[list[tuple], dict]:
    from procatlas import api
    from procatlas.simulate import simulate
    from tests.triggers.helpers import found_triggers, precision_recall, truth_triggers
    out = Path(tempfile.mkdtemp(prefix="procatlas-bench-triggers-"))
    simulate(out / "data", seed=7, cases=cases, formats=("ocel-json",))
    ws = out / "atlas.duckdb"
    api.ingest([out / "data" / "company.jsonocel"], workspace=ws)
    api.ingest([out / "data" / "posts.jsonl"], workspace=ws, as_="posts")
    truth = json.loads((out / "data" / "ground_truth.json").read_text())
    events = api.info(workspace=ws).events
    rows, scores = [], {}
    for task, fn in (("process inventory", lambda: api.processes(workspace=ws)),
                     ("event catalog", lambda: api.catalog(workspace=ws)),
                     ("triggers", lambda: api.triggers(workspace=ws)),
                     ("dependencies + relations + sync points + OC-DFG", lambda: api.dependencies(workspace=ws)),
                     ("link posts (target complaint)", lambda: api.link_posts(workspace=ws, target="complaint"))):
        t = time.perf_counter()
        result = fn()
        rows.append((f"simulated company, {cases:,} cases ({events:,} events)", task, time.perf_counter() - t, None))
        scores[task] = result
    trig = found_triggers(scores["triggers"])
    tp, tr = precision_recall(set(trig), set(truth_triggers(truth)))
    deps = scores["dependencies + relations + sync points + OC-DFG"]
    gt = {(d["from"], d["to"]) for d in truth["dependencies"]}
    dp, _ = precision_recall({(d.from_type, d.to_type) for d in deps.dependencies if d.scope == "across"}, gt)
    _, dr = precision_recall({(d.from_type, d.to_type) for d in deps.dependencies}, gt)
    return rows, {"triggers_precision": tp, "triggers_recall": tr, "dependencies_precision": dp,
                  "dependencies_recall": dr}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--append", action="store_true")
    args = ap.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = ocdfg_rows(args.repeat)
    more, scores = company_rows(args.cases)
    rows += more
    lines = ["| data | task | procatlas | pm4py | pm4py / procatlas |", "|---|---|---|---|---|"]
    for data, task, ours, theirs in rows:
        ratio = f"{theirs / ours:.2f}" if theirs else "-"
        lines.append(f"| {data} | {task} | {ours:.3f} s | {f'{theirs:.3f} s' if theirs else '-'} | {ratio} |")
    score = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in scores.items())
    print("\n".join(lines))
    print(f"ground truth (seed 7): {score}; load average {load}")
    if args.append:
        with open(HERE / "README.md", "a", encoding="utf-8") as fh:
            fh.write("\n## Triggers and dependencies\n\n"
                     "Run: `python benchmarks/bench_triggers.py --append` (OC-DFG best of --repeat runs; "
                     "the company pipeline once).\n\n"
                     f"### {date.today().isoformat()} — {platform.machine()}, {os.cpu_count()} cores, Python "
                     f"{platform.python_version()}; load average {load} (machine shared with other work)\n\n"
                     + "\n".join(lines) + f"\n\nGround truth of that company (seed 7): {score}.\n")


if __name__ == "__main__":
    main()

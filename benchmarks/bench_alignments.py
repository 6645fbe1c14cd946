"""Alignment fitness against pm4py on the whole log: receipt, helpdesk, BPIC 2013 incidents.

For each log: our IMf (noise 0.2) Petri net, exported as PNML and read back by pm4py, so both tools
align against the same net; ours (`align_variants`, no time budget) next to
`pm4py.fitness_alignments`. Prints both fitness figures, their difference and both times.

Usage: python benchmarks/bench_alignments.py [--only receipt,helpdesk,bpic2013_incidents]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "data" / "pm4py__pm4py-core"
LOGS = {"receipt": DATA / "compressed_input_data/08_receipt.xes.gz",
        "helpdesk": DATA / "helpdesk.xes.gz",
        "bpic2013_incidents": DATA / "compressed_input_data/07_bpic2013_incidents.xes.gz"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=",".join(LOGS))
    a = ap.parse_args()
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    import pm4py

    from procatlas import api
    from procatlas.hotspots.alignments import align_variants
    from procatlas.io.pnml import to_pnml
    from procatlas.mining._models import mine_models

    print("| log | variants | cases | avg trace fitness ours / pm4py | log fitness ours / pm4py | max diff | ours s | pm4py s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in a.only.split(","):
        path = LOGS[name]
        with tempfile.TemporaryDirectory() as tmp:
            ws = api.open_workspace(Path(tmp) / "ws.duckdb")
            api.ingest([path], workspace=ws, process="p")
            variants = ws.process("p").variants().counts
            _tree, net, _ = mine_models(variants, noise=0.2)
            t = time.perf_counter()
            ours = align_variants(net, variants, time_budget_s=None, max_states=5_000_000)
            t_ours = time.perf_counter() - t
            pnml = Path(tmp) / "net.pnml"
            pnml.write_text(to_pnml(net), encoding="utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pn, im, fm = pm4py.read_pnml(str(pnml))
                log = pm4py.read_xes(str(path))
                t = time.perf_counter()
                theirs = pm4py.fitness_alignments(log, pn, im, fm)
                t_pm = time.perf_counter() - t
        diff = max(abs(ours.average_trace_fitness - theirs["average_trace_fitness"]),
                   abs(ours.log_fitness - theirs["log_fitness"]))
        print(f"| {name} | {len(variants):,} | {ours.total_cases:,} | {ours.average_trace_fitness:.6f} / "
              f"{theirs['average_trace_fitness']:.6f} | {ours.log_fitness:.6f} / {theirs['log_fitness']:.6f} | "
              f"{diff:.6f} | {t_ours:.1f} | {t_pm:.1f} |", flush=True)
        if ours.note:
            print(f"  note: {ours.note}")


if __name__ == "__main__":
    main()

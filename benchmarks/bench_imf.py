"""IMf quality and speed: procatlas vs pm4py (the neutral judge) on every real case-centric log.

For every real case-centric log in ../shared/data with at least 1,000 cases: the variant table
(read by pm4py, so both miners see the same traces), our IMf tree -> Petri net (round-tripped
through our PNML writer and pm4py.read_pnml), pm4py's own IMf with the same noise threshold,
and pm4py's alignment-based fitness and precision of both nets. Alignments that do not finish
within the time budget (per model and metric) are replaced, for both models of that log, by
token-based replay; the table says which judge was used.

    .venv/bin/python benchmarks/bench_imf.py [--budget 60] [--only helpdesk,receipt] [--json out.json]

pm4py (AGPL) is used here as an oracle only; it is never imported by procatlas itself.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
warnings.filterwarnings("ignore")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

NOISE = 0.2

# (name, path under shared/data, kind) - real logs with >= 1,000 cases, one file per log
# (receipt.csv / receipt.parquet are the same log as 08_receipt.xes.gz).
LOGS = [
    ("bpic2012", "pm4py__pm4py-core/bpic2012.xes.gz"),
    ("helpdesk", "pm4py__pm4py-core/helpdesk.xes.gz"),
    ("receipt", "pm4py__pm4py-core/compressed_input_data/08_receipt.xes.gz"),
    ("bpic2013_closed", "pm4py__pm4py-core/compressed_input_data/06_bpic2013_closed.xes.gz"),
    ("bpic2013_incidents", "pm4py__pm4py-core/compressed_input_data/07_bpic2013_incidents.xes.gz"),
    ("billing_1t", "pm4py__pm4py-core/compressed_input_data/14_Billing_1t_per_variant.xes.gz"),
    ("bpic2020_permit_1t", "pm4py__pm4py-core/compressed_input_data/15_bpic2020_permit_log_1t_per_variant.xes.gz"),
    ("bpic2019_1t", "pm4py__pm4py-core/compressed_input_data/16_bpic2019_1t_per_variant.xes.gz"),
    ("bpic2012_1t", "pm4py__pm4py-core/compressed_input_data/17_bpic2012_1t_per_variant.xes.gz"),
    ("bpic2012_w_two_ts", "AutomatedProcessImprovement__Simod/BPI_Challenge_2012_W_Two_TS.xes.gz"),
    ("bpic2017_w_two_ts", "AutomatedProcessImprovement__Simod/BPI_Challenge_2017_W_Two_TS_filtered.xes.gz"),
    ("bpic15_1", "AutomatedProcessImprovement__Simod/BPIC15_1.csv.gz"),
    ("intl_declarations", "bptlab__bpi-challenge-2020/InternationalDeclarations.xes.gz"),
    ("permit_log", "bptlab__bpi-challenge-2020/PermitLog.xes.gz"),
    ("prepaid_travel", "bptlab__bpi-challenge-2020/PrepaidTravelCost.xes.gz"),
    ("request_for_payment", "bptlab__bpi-challenge-2020/RequestForPayment.xes.gz"),
    ("road_traffic", "Sophisss__pm_project/Road_Traffic_Fine_Management_Process.xes.zip"),
    ("bpi_12_w_coded", "verenich__ProcessSequencePrediction/bpi_12_w.csv"),
    ("bpi_13_incidents_coded", "verenich__ProcessSequencePrediction/bpi_13_incidents.csv"),
    ("helpdesk_coded", "verenich__ProcessSequencePrediction/helpdesk.csv"),
]


def load(path: Path):
    import pandas as pd
    import pm4py

    if path.suffix == ".zip":
        tmp = Path(tempfile.mkdtemp(prefix="bench_imf_"))
        with zipfile.ZipFile(path) as zf:
            member = next(m for m in zf.namelist() if m.endswith(".xes") and "__MACOSX" not in m)
            zf.extract(member, tmp)
        path = tmp / member
    if path.name.endswith((".csv", ".csv.gz")):
        df = pd.read_csv(path)
        if "CaseID" in df.columns:
            df = df.rename(columns={"CaseID": "case:concept:name", "ActivityID": "concept:name",
                                    "CompleteTimestamp": "time:timestamp"})
        df["case:concept:name"] = df["case:concept:name"].astype(str)
        df["concept:name"] = df["concept:name"].astype(str)
        df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True, format="mixed")
        df = pm4py.format_dataframe(df, case_id="case:concept:name", activity_key="concept:name",
                                    timestamp_key="time:timestamp")
    else:
        df = pm4py.read_xes(str(path), return_legacy_log_object=False)
        df = df.dropna(subset=["concept:name"])
    return df


def variants_of(df) -> dict[tuple[str, ...], int]:
    import pm4py

    out = {}
    for k, v in pm4py.get_variants(df).items():
        out[tuple(k)] = v if isinstance(v, int) else len(v)
    return out


def _metric(kind: str, df, net, im, fm, q):
    import pm4py

    try:
        if kind == "fitness_alignments":
            r = pm4py.fitness_alignments(df, net, im, fm)
            q.put(float(r["log_fitness"]))
        elif kind == "precision_alignments":
            q.put(float(pm4py.precision_alignments(df, net, im, fm)))
        elif kind == "fitness_tbr":
            q.put(float(pm4py.fitness_token_based_replay(df, net, im, fm)["log_fitness"]))
        elif kind == "precision_tbr":
            q.put(float(pm4py.precision_token_based_replay(df, net, im, fm)))
    except Exception as exc:  # noqa: BLE001 - reported in the table
        q.put(f"error: {exc}")


def timed_metric(kind: str, df, model, budget: float | None):
    """Run one pm4py metric in a forked child; None when it exceeds the budget."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_metric, args=(kind, df, *model, q))
    t0 = time.perf_counter()
    p.start()
    p.join(budget)
    if p.is_alive():
        p.kill()
        p.join()
        return None, time.perf_counter() - t0
    value = q.get() if not q.empty() else "error: no result"
    return value, time.perf_counter() - t0


def ours(variants):
    from procatlas.io.pnml import to_pnml
    from procatlas.mining.inductive import discover_tree
    from procatlas.mining.petri import tree_to_petri
    import pm4py

    t0 = time.perf_counter()
    tree = discover_tree(variants, noise=NOISE)
    mine_s = time.perf_counter() - t0
    net = tree_to_petri(tree)
    with tempfile.NamedTemporaryFile("w", suffix=".pnml", delete=False, encoding="utf-8") as fh:
        fh.write(to_pnml(net, layout=False))
    model = pm4py.read_pnml(fh.name)
    os.unlink(fh.name)
    return model, mine_s, tree


def theirs(df):
    import pm4py

    t0 = time.perf_counter()
    model = pm4py.discover_petri_net_inductive(df, noise_threshold=NOISE)
    return model, time.perf_counter() - t0


def bench_log(name: str, rel: str, budget: float) -> dict:
    path = DATA / rel
    row: dict = {"log": name, "file": rel}
    t0 = time.perf_counter()
    df = load(path)
    row["load_s"] = round(time.perf_counter() - t0, 1)
    variants = variants_of(df)
    row["cases"] = sum(variants.values())
    row["variants"] = len(variants)
    row["events"] = sum(len(t) * n for t, n in variants.items())
    m_ours, row["ours_s"], tree = ours(variants)
    row["ours_leaves"] = tree.leaves()
    m_pm4py, row["pm4py_s"] = theirs(df)
    for metric in ("fitness", "precision"):
        vals = {}
        for who, model in (("ours", m_ours), ("pm4py", m_pm4py)):
            vals[who], secs = timed_metric(f"{metric}_alignments", df, model, budget)
            row[f"{metric}_{who}_secs"] = round(secs, 1)
            if vals[who] is None or isinstance(vals[who], str):
                break
        judge = "alignments"
        if any(v is None or isinstance(v, str) for v in vals.values()):
            judge = "token replay"
            for who, model in (("ours", m_ours), ("pm4py", m_pm4py)):
                vals[who], _ = timed_metric(f"{metric}_tbr", df, model, 3 * budget)
                if vals[who] is None:
                    vals[who] = "timeout"
        row[f"{metric}_judge"] = judge
        row[f"{metric}_ours"] = vals["ours"]
        row[f"{metric}_pm4py"] = vals["pm4py"]
    return row


def markdown(rows: list[dict], budget: float) -> str:
    def f(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = [
        f"IMf, noise threshold {NOISE}; judge: pm4py alignments (budget {budget:.0f} s per model "
        "and metric, else token-based replay for both models of that log).",
        "",
        "| log | cases | variants | fitness ours | fitness pm4py | precision ours | precision pm4py "
        "| judge (fit / prec) | IMf ours s | IMf pm4py s |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['log']} | error: {r['error']} |||||||||")
            continue
        lines.append(
            f"| {r['log']} | {r['cases']:,} | {r['variants']:,} | {f(r['fitness_ours'])} | "
            f"{f(r['fitness_pm4py'])} | {f(r['precision_ours'])} | {f(r['precision_pm4py'])} | "
            f"{'A' if r['fitness_judge'] == 'alignments' else 'TBR'} / "
            f"{'A' if r['precision_judge'] == 'alignments' else 'TBR'} | "
            f"{r['ours_s']:.2f} | {r['pm4py_s']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per alignment run")
    ap.add_argument("--only", default="", help="comma-separated log names")
    ap.add_argument("--json", default="", help="append one JSON line per log to this file")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"shared data folder not found: {DATA}")
    only = {s for s in args.only.split(",") if s}
    rows = []
    # smallest files first, so an interrupted run still covers most logs
    for name, rel in sorted(LOGS, key=lambda x: (DATA / x[1]).stat().st_size if (DATA / x[1]).exists() else 0):
        if only and name not in only:
            continue
        try:
            row = bench_log(name, rel, args.budget)
        except Exception as exc:  # noqa: BLE001
            row = {"log": name, "error": repr(exc)[:200]}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
    print()
    print(markdown(rows, args.budget))


if __name__ == "__main__":
    main()

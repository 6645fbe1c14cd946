"""Deterministic demo organisation: a simulated company with its ground truth."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from procatlas.errors import InputError
from procatlas.simulate import care, procurement, returns, sales
from procatlas.simulate.assemble import PROCESS_NAMES, assemble
from procatlas.simulate.calendar import WorkCalendar
from procatlas.simulate.comms import messages
from procatlas.simulate.config import CASE_SHARES, Rates
from procatlas.simulate.context import Sim
from procatlas.simulate.log import EventLog
from procatlas.simulate.noise import apply_noise
from procatlas.simulate.org import build_org
from procatlas.simulate.report import SimulationReport
from procatlas.simulate.social import posts
from procatlas.simulate.truth import ground_truth
from procatlas.simulate.venues import watering_holes
from procatlas.simulate.writer import message_lines, write_csvs, write_lines, write_ocel, write_parquet, write_people

__all__ = ["simulate", "SimulationReport", "FORMATS"]

FORMATS = ("ocel-json", "csv", "parquet")


def split_cases(cases: int) -> tuple[int, int, int]:
    """Purchase requisitions, sales orders and complaints making up ``cases`` top-level cases."""
    n_pr = int(round(cases * CASE_SHARES["purchase_requisition"]))
    n_cm = int(round(cases * CASE_SHARES["complaint"]))
    return n_pr, cases - n_pr - n_cm, n_cm


def simulate(out: Path, *, seed: int = 7, cases: int = 2000, start: dt.date = dt.date(2025, 1, 6),
             months: int = 6, formats: Sequence[str] = ("ocel-json", "csv")) -> SimulationReport:
    """Simulate the demo company and write its records and ground truth into ``out``.

    ``cases`` counts top-level cases: purchase requisitions, sales orders and complaints
    (35/50/15 %); goods receipts, invoices, tickets, returns... follow from them.

    >>> import tempfile; r = simulate(Path(tempfile.mkdtemp()), cases=100, formats=("csv",))
    >>> r.objects["purchase_requisition"], r.objects["sales_order"], r.objects["complaint"]
    (35, 50, 15)
    """
    t_start = time.perf_counter()
    bad = set(formats) - set(FORMATS)
    if bad:
        raise InputError(f"unknown simulate format(s) {sorted(bad)}; choose from {list(FORMATS)}")
    if cases < 20:
        raise InputError(f"--cases must be at least 20, got {cases}")
    if months < 1:
        raise InputError(f"--months must be at least 1, got {months}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cal = WorkCalendar(start, months)
    org = build_org(rng)
    sim = Sim(rng, cal, org, EventLog(), Rates(), start, months)
    sim.state["venues"] = watering_holes(org, cal.t0, sim.end)
    n_pr, n_so, n_cm = split_cases(cases)
    sales.take_orders(sim, n_so)
    procurement.run(sim, n_pr)
    sales.fulfil(sim)
    care.run(sim, n_cm)
    returns.run(sim)
    noise = apply_noise(sim)
    ev = assemble(sim.log)
    chunks = messages(sim, ev)
    post_lines, n_posts = posts(sim)

    files: dict[str, str] = {}
    if "csv" in formats:
        files.update({p: str(path) for p, path in write_csvs(sim, ev, out).items()})
    if "parquet" in formats:
        files["events.parquet"] = str(write_parquet(sim, ev, out))
    if "ocel-json" in formats:
        files["company.jsonocel"] = str(write_ocel(sim, ev, out))
    msg = message_lines(sim, chunks)
    files["messages.jsonl"] = str(write_lines(out / "messages.jsonl", msg))
    files["posts.jsonl"] = str(write_lines(out / "posts.jsonl", post_lines))
    files["people.csv"] = str(write_people(sim, out))
    truth = ground_truth(sim, ev, noise, seed=seed, cases=cases)
    gt = out / "ground_truth.json"
    gt.write_text(json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    files["ground_truth.json"] = str(gt)
    return SimulationReport(
        out=str(out), seed=seed, cases=cases, files=files, events=int(len(ev.ts)),
        events_per_process={p: int((ev.process == k).sum()) for k, p in enumerate(PROCESS_NAMES)},
        objects={t: o.count for t, o in sim.log.types.items()}, messages=int(len(msg)), posts=n_posts,
        people=len(org.ids), exceptions=len(truth["exceptions"]["objects"]),
        seconds=round(time.perf_counter() - t_start, 3))

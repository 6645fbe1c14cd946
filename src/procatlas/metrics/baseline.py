"""Baselines: KPI values, data window, definitions' hash and per-unit samples saved in the workspace."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import numpy as np
import pyarrow as pa

from procatlas.errors import InputError
from procatlas.model.metrics import BaselineInfo, KpiValue, Metrics
from procatlas.workspace.core import Workspace

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


def definitions_hash(kpis) -> str:
    text = "\n".join(sorted(f"{k.process}\t{k.kpi}\t{k.definition}" for k in kpis))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise InputError(f"baseline name {name!r}: use letters, digits, _ . - (at most 100)")
    return name


def save_baseline(ws: Workspace, name: str, metrics: Metrics, *, process: str | None = None,
                  replace: bool = False, options: dict | None = None) -> BaselineInfo:
    """Store ``metrics`` (with their samples) as baseline ``name``; an existing name needs ``replace``."""
    _check_name(name)
    exists = ws.scalar("SELECT count(*) FROM baseline WHERE name = ?", [name])
    if exists and not replace:
        raise InputError(f"baseline {name!r} exists; delete it first or save with replace")
    created = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    h = definitions_hash(metrics.kpis)
    rows = pa.Table.from_pylist([
        {"baseline": name, "kpi": k.kpi, "process": k.process, "value": k.value, "unit": k.unit, "n": int(k.n),
         "kind": k.kind, "stat": k.stat, "direction": k.direction, "target": k.target, "definition": k.definition,
         "definition_hash": k.definition_hash,
         "sample": None if k.sample is None else np.asarray(k.sample, dtype=np.float64).tolist()}
        for k in metrics.kpis], schema=pa.schema([
            ("baseline", pa.string()), ("kpi", pa.string()), ("process", pa.string()), ("value", pa.float64()),
            ("unit", pa.string()), ("n", pa.int64()), ("kind", pa.string()), ("stat", pa.string()),
            ("direction", pa.string()), ("target", pa.float64()), ("definition", pa.string()),
            ("definition_hash", pa.string()), ("sample", pa.list_(pa.float64()))]))
    with ws.transaction():
        ws.execute("DELETE FROM baseline_kpi WHERE baseline = ?", [name])
        ws.execute("DELETE FROM baseline WHERE name = ?", [name])
        ws.execute("INSERT INTO baseline VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [name, process, metrics.start, metrics.end, created, h, json.dumps(options or {})])
        ws.execute("INSERT INTO baseline_kpi SELECT * FROM mx_rows", register={"mx_rows": rows})
    return BaselineInfo(name, process, metrics.start, metrics.end, created.isoformat(), len(metrics.kpis), h)


def list_baselines(ws: Workspace) -> list[BaselineInfo]:
    rows = ws.rows("""SELECT b.name, b.process, b.window_from, b.window_to, b.created_at,
                             (SELECT count(*) FROM baseline_kpi k WHERE k.baseline = b.name), b.definitions_hash
                      FROM baseline b ORDER BY b.created_at, b.name""")
    return [BaselineInfo(r[0], r[1], r[2], r[3], r[4].isoformat(), int(r[5]), r[6]) for r in rows]


def delete_baseline(ws: Workspace, name: str) -> None:
    if not ws.scalar("SELECT count(*) FROM baseline WHERE name = ?", [name]):
        raise InputError(f"no baseline {name!r}; see `procatlas baseline list`")
    with ws.transaction():
        ws.execute("DELETE FROM baseline_kpi WHERE baseline = ?", [name])
        ws.execute("DELETE FROM baseline WHERE name = ?", [name])


def load_baseline(ws: Workspace, name: str) -> tuple[BaselineInfo, Metrics, dict]:
    """The baseline's info, its KPIs (with samples) as Metrics, and the options it was computed with."""
    info = [b for b in list_baselines(ws) if b.name == name]
    if not info:
        known = ", ".join(b.name for b in list_baselines(ws)) or "(none)"
        raise InputError(f"no baseline {name!r}; baselines: {known}")
    options = json.loads(ws.scalar("SELECT options FROM baseline WHERE name = ?", [name]) or "{}")
    table = ws.arrow("SELECT * FROM baseline_kpi WHERE baseline = ? ORDER BY rowid", [name]).to_pylist()
    kpis = tuple(KpiValue(r["kpi"], r["process"], r["value"], r["unit"], r["n"], r["definition"], kind=r["kind"],
                          stat=r["stat"], direction=r["direction"], target=r["target"],
                          sample=None if r["sample"] is None else np.asarray(r["sample"], dtype=np.float64))
                 for r in table)
    return info[0], Metrics(kpis, info[0].start, info[0].end), options

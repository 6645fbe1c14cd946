"""Result types of metrics: KPI values, a catalog of them, baselines and comparisons."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from procatlas.model.discovery import _pandas

# how a KPI value is computed from its per-unit sample (cases, events, weeks)
STATISTICS = ("median", "p90", "mean", "share", "sum", "count")
# which significance test suits the sample (docs/kpis.md)
KINDS = ("duration", "rate", "mean", "count")


def statistic(name: str, sample: np.ndarray) -> float | None:
    """The value of statistic ``name`` over ``sample`` (None when the sample is empty)."""
    if name == "count":
        return float(len(sample))
    if len(sample) == 0:
        return None
    if name == "median":
        return float(np.median(sample))
    if name == "p90":
        return float(np.quantile(sample, 0.9))
    if name == "sum":
        return float(np.sum(sample))
    return float(np.mean(sample))  # mean, share (of 0/1 values)


@dataclass(frozen=True, eq=False)
class KpiValue:
    """One KPI of one process: its value over ``n`` units, and the per-unit sample it came from.

    ``definition`` is a canonical one-line text of how the KPI is computed; baselines store its
    hash so a changed definition is never compared silently.
    """

    kpi: str
    process: str
    value: float | None
    unit: str
    n: int
    definition: str
    kind: str = "duration"           # duration | rate | mean | count
    stat: str = "median"             # how value follows from sample
    direction: str | None = "lower"  # lower | higher | None (descriptive, no verdict)
    target: float | None = None
    sample: np.ndarray | None = field(default=None, repr=False)

    @property
    def definition_hash(self) -> str:
        return hashlib.sha256(self.definition.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        value = None if self.value is None else round(float(self.value), 6)
        return {"kpi": self.kpi, "process": self.process, "value": value, "unit": self.unit, "n": int(self.n),
                "definition": self.definition}


@dataclass(frozen=True, eq=False)
class Metrics:
    """The KPIs of one or more processes over a data window (``start``..``end``, ISO or None)."""

    kpis: tuple[KpiValue, ...]
    start: str | None = None
    end: str | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.kpis)

    def __getitem__(self, name: str) -> KpiValue:
        for k in self.kpis:
            if k.kpi == name:
                return k
        raise KeyError(name)

    def get(self, name: str, process: str | None = None) -> KpiValue | None:
        for k in self.kpis:
            if k.kpi == name and (process is None or k.process == process):
                return k
        return None

    def to_dict(self) -> list[dict[str, Any]]:
        return [k.to_dict() for k in self.kpis]

    def to_arrow(self) -> pa.Table:
        rows = self.to_dict()
        return pa.Table.from_pylist(rows, schema=pa.schema([
            ("kpi", pa.string()), ("process", pa.string()), ("value", pa.float64()), ("unit", pa.string()),
            ("n", pa.int64()), ("definition", pa.string())]))

    def to_pandas(self):
        return _pandas(self.to_arrow())

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


@dataclass(frozen=True)
class BaselineInfo:
    """A saved baseline: name, process, data window, when, how many KPIs, the definitions' hash."""

    name: str
    process: str | None
    start: str | None
    end: str | None
    created_at: str
    kpis: int
    definitions_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "process": self.process, "from": self.start, "to": self.end,
                "created_at": self.created_at, "kpis": self.kpis, "definitions_hash": self.definitions_hash}


@dataclass(frozen=True)
class KpiChange:
    """One KPI compared: the two values, change, bootstrap CI of the change, test, verdict."""

    kpi: str
    process: str
    before: float | None
    after: float | None
    change: float | None
    relative_change: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    q_value: float | None
    test: str | None
    verdict: str  # better | worse | no significant change | definition changed | not tested | missing
    unit: str = ""
    n_before: int = 0
    n_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        def r(x, d=6):
            return None if x is None else round(float(x), d)
        return {"kpi": self.kpi, "process": self.process, "before": r(self.before), "after": r(self.after),
                "change": r(self.change), "relative_change": r(self.relative_change), "ci_low": r(self.ci_low),
                "ci_high": r(self.ci_high), "p_value": None if self.p_value is None else float(f"{self.p_value:.6g}"),
                "q_value": None if self.q_value is None else float(f"{self.q_value:.6g}"),
                "test": self.test, "verdict": self.verdict, "unit": self.unit,
                "n_before": self.n_before, "n_after": self.n_after}


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every KPI of a before/after comparison (``before``/``after`` describe the two windows)."""

    before: str
    after: str
    changes: tuple[KpiChange, ...]
    alpha: float = 0.05

    def __len__(self) -> int:
        return len(self.changes)

    def get(self, kpi: str, process: str | None = None) -> KpiChange | None:
        for c in self.changes:
            if c.kpi == kpi and (process is None or c.process == process):
                return c
        return None

    def to_dict(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.changes]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist(self.to_dict())

    def to_pandas(self):
        return _pandas(self.to_arrow())

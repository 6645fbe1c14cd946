"""Result types of exception detection, conformance checking and hot spots."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from procatlas.model.discovery import _pandas

# one row per detected exception; `activity` (+ `target` for edges and order pairs) is the location
EXCEPTION_SCHEMA = pa.schema([
    ("process", pa.string()), ("case_id", pa.string()), ("type", pa.string()), ("activity", pa.string()),
    ("target", pa.string()), ("resource", pa.string()), ("group", pa.string()), ("time", pa.timestamp("us")),
    ("delay_s", pa.float64()), ("explanation", pa.string()), ("detail", pa.string()),
])


def _location(activity: str | None, target: str | None) -> str | None:
    return activity if not target else f"{activity} -> {target}"


@dataclass(frozen=True, eq=False)
class ConformanceResult:
    """Alignment-based conformance of a process against a model: log fitness (pm4py's
    ``log_fitness``), average trace fitness, per-case fitness (``table``: case_id, variant,
    fitness, cost), and a note when the time budget or state cap left variants unaligned."""

    process: str
    model: str
    log_fitness: float | None
    average_trace_fitness: float | None
    aligned_cases: int
    total_cases: int
    aligned_variants: int
    total_variants: int
    seconds: float
    table: pa.Table
    note: str | None = None

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self):
        return _pandas(self.table)

    def to_dict(self, cases: bool = False) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("process", "model", "log_fitness", "average_trace_fitness",
                                            "aligned_cases", "total_cases", "aligned_variants",
                                            "total_variants", "seconds", "note")}
        if cases:
            d["cases"] = self.table.to_pylist()
        return d


@dataclass(frozen=True, eq=False)
class ExceptionsResult:
    """Every exception found in a process: one row per (case, exception) in ``table``
    (columns of :data:`EXCEPTION_SCHEMA`), counts per type, notes, and the conformance result
    when the conformance detector ran."""

    process: str
    cases: int
    table: pa.Table
    notes: tuple[str, ...] = ()
    conformance: ConformanceResult | None = None
    seconds: float = 0.0

    def __len__(self) -> int:
        return self.table.num_rows

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self):
        return _pandas(self.table)

    def counts(self) -> dict[str, dict[str, int]]:
        """``{type: {"rows": n, "cases": m}}``."""
        out: dict[str, dict[str, int]] = {}
        seen: dict[str, set] = {}
        for t, c in zip(self.table["type"].to_pylist(), self.table["case_id"].to_pylist()):
            out.setdefault(t, {"rows": 0, "cases": 0})["rows"] += 1
            seen.setdefault(t, set()).add(c)
        for t, s in seen.items():
            out[t]["cases"] = len(s)
        return dict(sorted(out.items()))

    def cases_of(self, type: str, activity: str | None = None) -> set[str]:
        """Case ids with an exception of ``type`` (located at or ending in ``activity``, if given)."""
        rows = self.table.select(["case_id", "type", "activity", "target"]).to_pylist()
        return {r["case_id"] for r in rows if r["type"] == type
                and (activity is None or activity in (r["activity"], r["target"]))}

    def rows(self) -> list[dict]:
        return [{**r, "location": _location(r["activity"], r["target"]),
                 "time": r["time"].isoformat() if r["time"] is not None else None}
                for r in self.table.to_pylist()]

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        rows = self.rows()
        return {"process": self.process, "cases": self.cases, "exceptions": len(rows),
                "counts": self.counts(), "notes": list(self.notes), "seconds": self.seconds,
                "conformance": self.conformance.to_dict() if self.conformance else None,
                "rows": rows if limit is None else rows[:limit]}


@dataclass(frozen=True)
class Hotspot:
    """A location where two or more exception types co-occur in the same cases more than
    chance explains.  ``kind`` is activity, edge, resource, group, attribute, week, month or
    pair; ``value`` names it (``key=value`` for attributes, ``a & b`` for pairs)."""

    kind: str
    value: str
    exception_types: tuple[str, ...]
    cases: int
    co_cases: int
    co_rate: float
    base_rate: float
    lift: float
    p_value: float
    q_value: float
    impact_hours: float
    explanation: str
    example_cases: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"location": {"kind": self.kind, "value": self.value}, "exception_types": list(self.exception_types),
                "cases": self.cases, "co_occurrence_cases": self.co_cases, "co_occurrence_rate": self.co_rate,
                "base_rate": self.base_rate, "lift": self.lift, "p_value": self.p_value, "q_value": self.q_value,
                "impact_hours": self.impact_hours, "explanation": self.explanation,
                "example_cases": list(self.example_cases), "aliases": list(self.aliases)}


@dataclass(frozen=True, eq=False)
class HotspotsResult:
    """Ranked hot spots of a process (by impact), the candidates tested, and the exception load
    per activity and edge for the heat overlay of the process map."""

    process: str
    hotspots: tuple[Hotspot, ...]
    candidates: int
    activity_load: dict[str, int] = field(default_factory=dict)
    edge_load: dict[tuple[str, str], int] = field(default_factory=dict)
    exceptions: ExceptionsResult | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.hotspots)

    def top(self, k: int) -> tuple[Hotspot, ...]:
        return self.hotspots[:k]

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        spots = self.hotspots if top is None else self.hotspots[:top]
        return {"process": self.process, "candidates": self.candidates, "hotspots": [h.to_dict() for h in spots],
                "notes": list(self.notes), "seconds": self.seconds}

    def to_arrow(self) -> pa.Table:
        rows = [{**h.to_dict(), "location": None, "kind": h.kind, "value": h.value} for h in self.hotspots]
        for r in rows:
            r.pop("location")
            r["exception_types"] = ", ".join(r["exception_types"])
            r["example_cases"] = ", ".join(r["example_cases"])
            r["aliases"] = ", ".join(r["aliases"])
        return pa.Table.from_pylist(rows) if rows else pa.table({"kind": pa.array([], pa.string())})

    def to_pandas(self):
        return _pandas(self.to_arrow())

    def heat_svg(self, pmap) -> str:
        """The process map ``pmap`` with activities and edges coloured by exception load."""
        from procatlas.render.map_svg import render_map
        return render_map(pmap, heat={"activities": self.activity_load, "edges": self.edge_load})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=str)

    def write_heat_svg(self, pmap, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.heat_svg(pmap), encoding="utf-8")
        return path

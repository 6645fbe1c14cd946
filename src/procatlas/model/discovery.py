"""Result values of process discovery: filters, DFG, activity stats, variants, durations, maps."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from procatlas.errors import InputError

TIME_MODES = ("intersecting", "contained", "started", "completed", "trim")
VIEWS = {"frequency": ("absolute", "case"), "performance": ("mean", "median", "p90", "max")}


def _values(v: Any) -> tuple[str, ...]:
    if isinstance(v, str | int | float | bool):
        return (str(v),)
    return tuple(str(x) for x in v)


def _pairs(spec: Mapping[str, Any] | Iterable | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not spec:
        return ()
    items = spec.items() if isinstance(spec, Mapping) else spec
    return tuple(sorted((str(k), _values(v)) for k, v in items))


def _utc(t: datetime | str | None) -> datetime | None:
    if t is None:
        return None
    if isinstance(t, str):
        try:
            t = datetime.fromisoformat(t)
        except ValueError:
            raise InputError(f"not an ISO date/time: {t!r}") from None
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc).replace(tzinfo=None)
    return t


def _seconds(d: float | timedelta | None) -> float | None:
    return d.total_seconds() if isinstance(d, timedelta) else (None if d is None else float(d))


@dataclass(frozen=True)
class Filters:
    """Which cases and events of a process a summary covers (all optional, hashable).

    Applied in this order: event-level filters (``event_attributes``, ``time_mode="trim"``),
    then case-level ones (``case_attributes``, time window, ``with_activities``,
    ``without_activities``, duration range), then the variant filter on what is left.

    - ``start``/``end``: time window (ISO strings or datetimes; naive means UTC) with
      ``time_mode``: ``intersecting`` (case overlaps the window, default), ``contained``,
      ``started`` (first event inside), ``completed`` (last event inside) or ``trim`` (keep
      only the events inside).
    - ``case_attributes``: ``{name: value or [values]}``; a case is kept when each named case
      attribute equals one of the values (``case`` or ``concept:name`` is the case id).
    - ``event_attributes``: same for events; events that do not match are removed (the
      columns ``activity``, ``resource``, ``group`` and ``lifecycle`` are addressed by these
      names or their XES keys ``concept:name``, ``org:resource``, ``org:group``,
      ``lifecycle:transition``).
    - ``with_activities``: keep cases containing at least one of these activities;
      ``without_activities``: drop cases containing any of them.
    - ``min_duration``/``max_duration``: case duration range (seconds or timedelta).
    - ``top_variants``: keep the cases of the k most frequent variants; ``min_variant_share``:
      keep variants with at least this share (0..1) of the cases.

    >>> Filters(case_attributes={"region": ["north", "south"]}, top_variants=10).top_variants
    10
    """

    start: datetime | str | None = None
    end: datetime | str | None = None
    time_mode: str = "intersecting"
    case_attributes: Any = ()
    event_attributes: Any = ()
    with_activities: Any = ()
    without_activities: Any = ()
    min_duration: float | timedelta | None = None
    max_duration: float | timedelta | None = None
    top_variants: int | None = None
    min_variant_share: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "start", _utc(self.start))
        set_(self, "end", _utc(self.end))
        if self.time_mode not in TIME_MODES:
            raise InputError(f"time mode must be one of {', '.join(TIME_MODES)}, not {self.time_mode!r}")
        set_(self, "case_attributes", _pairs(self.case_attributes))
        set_(self, "event_attributes", _pairs(self.event_attributes))
        set_(self, "with_activities", tuple(sorted(_values(self.with_activities))))
        set_(self, "without_activities", tuple(sorted(_values(self.without_activities))))
        set_(self, "min_duration", _seconds(self.min_duration))
        set_(self, "max_duration", _seconds(self.max_duration))
        if self.top_variants is not None and int(self.top_variants) < 1:
            raise InputError("top variants must be at least 1")
        if self.min_variant_share is not None and not 0 <= float(self.min_variant_share) <= 1:
            raise InputError("minimum variant share must be between 0 and 1")

    @property
    def is_empty(self) -> bool:
        return self == Filters()

    def replace(self, **changes: Any) -> Filters:
        from dataclasses import replace
        return replace(self, **changes)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if v != getattr(Filters(), name):
                d[name] = (v.isoformat() if isinstance(v, datetime)
                           else {k: list(vs) for k, vs in v} if name.endswith("attributes")
                           else list(v) if isinstance(v, tuple) else v)
        return d


def _pandas(table: pa.Table):
    try:
        return table.to_pandas()
    except ImportError:  # pragma: no cover - pandas is optional
        raise ImportError("to_pandas() needs pandas: pip install pandas") from None


class _Tabular:
    """Mixin: results that wrap one Arrow table."""

    table: pa.Table

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self):
        return _pandas(self.table)

    def to_pylist(self) -> list[dict]:
        return self.table.to_pylist()

    def __len__(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True, eq=False)
class Dfg(_Tabular):
    """Directly-follows graph: one row per edge (source, target, frequency, cases, transition
    time mean_s/median_s/p90_s/max_s in seconds), with start and end activity counts."""

    process: str
    table: pa.Table
    start: dict[str, int]
    end: dict[str, int]
    filters: Filters = field(default_factory=Filters)

    @property
    def frequencies(self) -> dict[tuple[str, str], int]:
        """``{(source, target): occurrences}``, the shape of ``pm4py.discover_dfg``'s first value."""
        t = self.table
        return dict(zip(zip(t["source"].to_pylist(), t["target"].to_pylist()), t["frequency"].to_pylist()))

    def edges(self) -> list[dict]:
        return self.table.to_pylist()


@dataclass(frozen=True, eq=False)
class ActivityStats(_Tabular):
    """Per activity: events, cases, and service time (``timed`` executions measured from a
    start+complete lifecycle pair or a start timestamp; service_mean_s/median_s/p90_s/max_s)."""

    process: str
    table: pa.Table

    @property
    def events(self) -> dict[str, int]:
        return dict(zip(self.table["activity"].to_pylist(), self.table["events"].to_pylist()))


@dataclass(frozen=True, eq=False)
class Variants(_Tabular):
    """Variants (activity sequences) by descending count: variant (rank), activities, cases,
    share, and case duration mean_s/median_s/p90_s/min_s/max_s."""

    process: str
    table: pa.Table
    cases: int

    @property
    def counts(self) -> dict[tuple[str, ...], int]:
        """``{activities: cases}``, the variant table the miners take (pm4py ``get_variants`` shape)."""
        return {tuple(a): n for a, n in zip(self.table["activities"].to_pylist(), self.table["cases"].to_pylist())}

    def to_csv_rows(self) -> list[dict]:
        return [{**r, "activities": " > ".join(r["activities"])} for r in self.table.to_pylist()]


@dataclass(frozen=True, eq=False)
class CaseDurations(_Tabular):
    """Per case: case id, events, first and last timestamp, duration_s, variant rank."""

    process: str
    table: pa.Table


@dataclass(frozen=True)
class MapNode:
    """An activity box of a process map."""

    activity: str
    events: int
    cases: int
    service_mean_s: float | None = None
    service_median_s: float | None = None


@dataclass(frozen=True)
class MapEdge:
    """A path of a process map; source ``"__start__"`` / target ``"__end__"`` for the endpoints."""

    source: str
    target: str
    frequency: int
    cases: int
    mean_s: float | None = None
    median_s: float | None = None
    p90_s: float | None = None
    max_s: float | None = None

    def value(self, measure: str) -> float:
        v = {"absolute": self.frequency, "case": self.cases, "mean": self.mean_s,
             "median": self.median_s, "p90": self.p90_s, "max": self.max_s}[measure]
        return float(v) if v is not None else math.nan


START, END = "__start__", "__end__"


@dataclass(frozen=True)
class ProcessMap:
    """A filtered, laid-out-ready process map (Disco style): kept activities and paths.

    ``view`` is ``frequency`` (measure ``absolute`` or ``case``) or ``performance`` (``mean``,
    ``median``, ``p90`` or ``max`` transition time).  ``to_svg()`` draws it; in Jupyter it shows
    itself.
    """

    process: str
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    view: str = "frequency"
    measure: str = "absolute"
    activities: float = 1.0
    paths: float = 1.0
    cases: int = 0
    events: int = 0
    total_activities: int = 0
    total_paths: int = 0

    def to_svg(self) -> str:
        from procatlas.render.map_svg import render_map
        return render_map(self)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def write_svg(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_svg(), encoding="utf-8")
        return path

    def to_arrow(self) -> pa.Table:
        """The kept edges (including start/end edges) as a table."""
        rows = [e.__dict__ for e in self.edges]
        names = ["source", "target", "frequency", "cases", "mean_s", "median_s", "p90_s", "max_s"]
        return pa.Table.from_pylist(rows, schema=pa.schema([
            ("source", pa.string()), ("target", pa.string()), ("frequency", pa.int64()), ("cases", pa.int64()),
            *[(n, pa.float64()) for n in names[4:]]]))

    def to_pandas(self):
        return _pandas(self.to_arrow())

    def to_dict(self) -> dict:
        return {"process": self.process, "view": self.view, "measure": self.measure,
                "activities": self.activities, "paths": self.paths, "cases": self.cases, "events": self.events,
                "nodes": [n.__dict__ for n in self.nodes], "edges": [e.__dict__ for e in self.edges]}


@dataclass(frozen=True, eq=False)
class DiscoveryResult:
    """Everything ``Process.discover()`` found: summaries, the map, and the mined models
    (``tree``/``net``/``bpmn`` are ``None`` when the miners are not available)."""

    process: str
    cases: int
    events: int
    dfg: Dfg
    activities: ActivityStats
    variants: Variants
    map: ProcessMap
    noise: float = 0.2
    tree: Any = None
    net: Any = None
    bpmn: Any = None
    filters: Filters = field(default_factory=Filters)

    def to_svg(self) -> str:
        return self.map.to_svg()

    def _repr_svg_(self) -> str:
        return self.map.to_svg()

    def to_arrow(self) -> pa.Table:
        return self.dfg.to_arrow()

    def to_bpmn(self) -> str:
        from procatlas.mining._models import bpmn_xml
        return bpmn_xml(self)

    def to_pnml(self) -> str:
        from procatlas.mining._models import pnml_xml
        return pnml_xml(self)

    def to_model_svg(self) -> str:
        """The mined model (BPMN, else Petri net) drawn as SVG."""
        from procatlas.mining._models import model_svg
        return model_svg(self)

    def to_dict(self, files: Mapping[str, str] | None = None) -> dict:
        """The JSON shape of ``procatlas discover --format json``."""
        dfg_rows = [{k: r[k] for k in ("source", "target", "frequency", "cases", "mean_s", "median_s", "p90_s")}
                    for r in self.dfg.table.to_pylist()]
        return {
            "process": self.process, "cases": self.cases, "events": self.events,
            "variants": len(self.variants),
            "activities": [{"activity": r["activity"], "events": r["events"], "cases": r["cases"]}
                           for r in self.activities.table.to_pylist()],
            "dfg": dfg_rows, "start": dict(self.dfg.start), "end": dict(self.dfg.end),
            "filters": self.filters.to_dict(), "noise": self.noise,
            "files": dict(files or {}),
        }

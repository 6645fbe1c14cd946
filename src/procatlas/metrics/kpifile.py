"""User KPIs from a TOML file: validated declarations, evaluated by fixed SQL (nothing from the file runs).

::

    [[kpi]]
    name = "approval_time"
    process = "bpic2012"
    measure = { type = "duration", from = "A_SUBMITTED", to = "A_APPROVED" }
    filter = { activity = ["A_APPROVED"], attribute = { name = "AMOUNT_REQ", in = ["5000", "10000"] } }
    aggregation = "median"
    unit = "hours"
    target = 48
    direction = "lower"

Values from the file only ever travel as SQL parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from procatlas.errors import InputError
from procatlas.model.metrics import KpiValue, statistic

MEASURES = ("count", "share", "duration", "attribute_sum", "attribute_mean")
AGGREGATIONS = ("median", "mean", "p90", "sum", "count", "share")
UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0}
DIRECTIONS = ("lower", "higher")
KPI_KEYS = {"name", "process", "filter", "measure", "aggregation", "unit", "target", "direction", "description"}
FILTER_KEYS = {"activity", "attribute", "from", "to"}
MEASURE_KEYS = {"type", "from", "to", "attribute"}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class UserKpi:
    """One validated user KPI (see the module docstring for the file format)."""

    name: str
    process: str
    measure: str
    aggregation: str
    unit: str
    direction: str | None = None
    target: float | None = None
    from_activity: str | None = None
    to_activity: str | None = None
    attribute: str | None = None
    activities: tuple[str, ...] = ()
    attr_name: str | None = None
    attr_values: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None

    @property
    def definition(self) -> str:
        spec = {k: v for k, v in self.__dict__.items() if v not in (None, ())}
        return "user KPI " + json.dumps(spec, sort_keys=True, default=list)

    @property
    def definition_hash(self) -> str:
        return hashlib.sha256(self.definition.encode()).hexdigest()[:16]


def _line_of(text: str, index: int, *keys: str | None) -> int:
    """1-based line of the ``index``-th ``[[kpi]]`` table (or of the first of ``keys`` inside it)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"^\s*\[\[\s*kpi\s*\]\]", line)]
    if index >= len(starts):
        return 1
    begin = starts[index]
    end = starts[index + 1] if index + 1 < len(starts) else len(lines)
    for key in keys:
        if not key:
            continue
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=|[{{,]\s*{re.escape(key)}\s*=")
        for i in range(begin, end):
            if pattern.search(lines[i]):
                return i + 1
    return begin + 1


def load_kpis(path: str | Path) -> list[UserKpi]:
    """Read and validate a KPI file; any problem raises InputError naming file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read KPI file ({exc.strerror})", path=path) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        msg = str(exc).split(" (at line")[0]
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise InputError(f"not valid TOML: {msg}", path=path, location=line) from None
    extra = set(doc) - {"kpi"}
    if extra:
        raise InputError(f"unknown top-level key {sorted(extra)[0]!r}; KPIs go in [[kpi]] tables", path=path,
                         location=1)
    items = doc.get("kpi", [])
    if not isinstance(items, list) or not items:
        raise InputError("no [[kpi]] tables", path=path, location=1)
    out, names = [], set()
    for i, item in enumerate(items):
        def fail(field: str, reason: str, key: str | None = None) -> None:
            raise InputError(f"kpi #{i + 1} field '{field}': {reason}", path=path,
                             location=_line_of(text, i, key or field.split(".")[-1], field.split(".")[0]))
        kpi = _one(item, fail)
        if kpi.name in names:
            fail("name", f"duplicate KPI name {kpi.name!r}")
        names.add(kpi.name)
        out.append(kpi)
    return out


def _str(value: Any, field: str, fail) -> str:
    if not isinstance(value, str) or not value.strip():
        fail(field, f"must be a non-empty string, not {value!r}")
    return value


def _one(item: dict, fail) -> UserKpi:
    unknown = set(item) - KPI_KEYS
    if unknown:
        k = sorted(unknown)[0]
        fail(k, f"unknown field; expected one of {', '.join(sorted(KPI_KEYS))}")
    for req in ("name", "process", "measure"):
        if req not in item:
            fail(req, "missing", key="[[kpi]]")
    name = _str(item["name"], "name", fail)
    if not NAME.match(name):
        fail("name", f"{name!r} must start with a letter and hold only letters, digits, _ . -")
    process = _str(item["process"], "process", fail)
    measure = item["measure"]
    if isinstance(measure, str):
        measure = {"type": measure}
    if not isinstance(measure, dict):
        fail("measure", "must be a table like { type = \"duration\", from = \"A\", to = \"B\" }")
    unknown = set(measure) - MEASURE_KEYS
    if unknown:
        fail(f"measure.{sorted(unknown)[0]}", f"unknown; expected one of {', '.join(sorted(MEASURE_KEYS))}")
    mtype = measure.get("type")
    if mtype not in MEASURES:
        fail("measure.type", f"must be one of {', '.join(MEASURES)}, not {mtype!r}", key="type")
    frm = to = attribute = None
    if mtype == "duration":
        frm = _str(measure.get("from"), "measure.from", fail)
        to = _str(measure.get("to"), "measure.to", fail)
    if mtype in ("attribute_sum", "attribute_mean"):
        attribute = _str(measure.get("attribute"), "measure.attribute", fail)
    default_agg = {"count": "count", "share": "share", "duration": "median", "attribute_sum": "sum",
                   "attribute_mean": "mean"}[mtype]
    agg = item.get("aggregation", default_agg)
    allowed = {"count": ("count",), "share": ("share",), "duration": ("median", "mean", "p90"),
               "attribute_sum": ("sum",), "attribute_mean": ("mean", "median", "p90")}[mtype]
    if agg not in allowed:
        fail("aggregation", f"for measure {mtype} must be one of {', '.join(allowed)}, not {agg!r}")
    unit = item.get("unit", "hours" if mtype == "duration" else "share" if mtype == "share" else "")
    if not isinstance(unit, str):
        fail("unit", f"must be a string, not {unit!r}")
    if mtype == "duration" and unit not in UNITS:
        fail("unit", f"for durations must be one of {', '.join(UNITS)}, not {unit!r}")
    direction = item.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        fail("direction", f"must be lower or higher, not {direction!r}")
    target = item.get("target")
    if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float))):
        fail("target", f"must be a number, not {target!r}")
    flt = item.get("filter", {})
    if not isinstance(flt, dict):
        fail("filter", "must be a table")
    unknown = set(flt) - FILTER_KEYS
    if unknown:
        fail(f"filter.{sorted(unknown)[0]}", f"unknown; expected one of {', '.join(sorted(FILTER_KEYS))}")
    acts = flt.get("activity", [])
    acts = [acts] if isinstance(acts, str) else acts
    if not isinstance(acts, list) or not all(isinstance(a, str) and a for a in acts):
        fail("filter.activity", "must be an activity name or a list of them", key="activity")
    attr_name, attr_values = None, ()
    if "attribute" in flt:
        a = flt["attribute"]
        if not isinstance(a, dict) or "name" not in a or (("equals" in a) == ("in" in a)) or set(a) - {"name", "equals", "in"}:
            fail("filter.attribute", "must be { name = \"X\", equals = \"v\" } or { name = \"X\", in = [\"v\", ...] }",
                 key="attribute")
        attr_name = _str(a["name"], "filter.attribute.name", fail)
        vals = [a["equals"]] if "equals" in a else a["in"]
        if not isinstance(vals, list) or not vals or not all(isinstance(v, (str, int, float)) for v in vals):
            fail("filter.attribute", "values must be strings or numbers", key="attribute")
        attr_values = tuple(str(v) for v in vals)
    start, end = flt.get("from"), flt.get("to")
    for key, v in (("from", start), ("to", end)):
        if v is not None:
            try:
                np.datetime64(str(v).replace("Z", ""))
            except ValueError:
                fail(f"filter.{key}", f"must be an ISO date or date-time, not {v!r}", key=key)
    return UserKpi(name, process, mtype, agg, unit, direction, None if target is None else float(target), frm, to,
                   attribute, tuple(acts), attr_name, attr_values,
                   None if start is None else str(start), None if end is None else str(end))


DURATION_SQL = """
WITH f AS (SELECT cid, min(ts) AS ts FROM {ev} WHERE code = (SELECT code FROM {acts} WHERE activity = ?) GROUP BY cid),
     t AS (SELECT cid, max(ts) AS ts FROM {ev} WHERE code = (SELECT code FROM {acts} WHERE activity = ?) GROUP BY cid)
SELECT date_diff('microsecond', f.ts, t.ts) / 1e6 FROM f JOIN t ON t.cid = f.cid WHERE t.ts >= f.ts ORDER BY f.cid
"""

ATTRIBUTE_SQL = """
SELECT coalesce(try_cast(json_extract_string(o.attributes, ?) AS DOUBLE),
                (SELECT sum(try_cast(json_extract_string(e.attributes, ?) AS DOUBLE))
                 FROM {ev} ev JOIN event e ON e.eid = ev.eid WHERE ev.cid = c.cid))
FROM {cases} c JOIN object o ON o.oid = c.cid ORDER BY c.cid
"""


def evaluate(ws, engine, kpi: UserKpi, base, options=None) -> KpiValue:
    """Value of a user KPI for the cases of selection filters ``base`` (window, case subset)."""
    from procatlas.engine.queries import _json_path
    f = base
    if kpi.start or kpi.end:
        from procatlas.metrics.catalog import inclusive_end
        f = f.replace(start=kpi.start or f.start, end=inclusive_end(kpi.end) or f.end, time_mode="started")
    narrowed = f
    if kpi.activities:
        narrowed = narrowed.replace(with_activities=kpi.activities)
    if kpi.attr_name:
        narrowed = narrowed.replace(case_attributes={kpi.attr_name: list(kpi.attr_values)})
    direction = kpi.direction
    if kpi.measure == "share":
        whole = engine.select(kpi.process, f)
        part = engine.select(kpi.process, narrowed)
        try:
            ids = ws.rows(f"SELECT c.cid IN (SELECT cid FROM {part.cases_table}) FROM {whole.cases_table} c "
                          "ORDER BY c.cid")
        finally:
            engine.release(part)
            engine.release(whole)
        sample = np.array([1.0 if r[0] else 0.0 for r in ids])
        kind = "rate"
    else:
        sel = engine.select(kpi.process, narrowed)
        try:
            fmt = {"ev": sel.events_table, "cases": sel.cases_table, "acts": sel.activities_table}
            if kpi.measure == "count":
                sample = np.ones(sel.cases)
                kind = "count"
            elif kpi.measure == "duration":
                rows = ws.rows(DURATION_SQL.format(**fmt), [kpi.from_activity, kpi.to_activity])
                sample = np.array([r[0] for r in rows], dtype=np.float64) / UNITS[kpi.unit]
                kind = "duration"
            else:
                path = _json_path(kpi.attribute)
                rows = ws.rows(ATTRIBUTE_SQL.format(**fmt), [path, path])
                sample = np.array([r[0] for r in rows if r[0] is not None], dtype=np.float64)
                kind = "mean"
        finally:
            engine.release(sel)
    value = statistic(kpi.aggregation, sample)
    return KpiValue(kpi.name, kpi.process, value, kpi.unit, len(sample), kpi.definition, kind=kind,
                    stat=kpi.aggregation, direction=direction, target=kpi.target, sample=sample)

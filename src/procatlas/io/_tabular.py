"""The SQL that moves a detected table (CSV or Parquet, already readable by DuckDB) into staging."""

from __future__ import annotations

import json
from dataclasses import dataclass

from procatlas.io._detect import (CASE_PREFIX, ColumnProfile, Detected, TsFormat, quote_ident,
                                  quote_literal, ts_sql)
from procatlas.io._stage import Stager

_INT_TYPES = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "USMALLINT",
              "UTINYINT", "HUGEINT", "UHUGEINT"}
_FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}

# JSON number grammar (so a value that matches is written into the JSON text as it is)
_INT_RX = r"-?(0|[1-9][0-9]{0,17})"
_FLOAT_RX = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?"
_COMMA_FLOAT_RX = r"-?(0|[1-9][0-9]*),[0-9]+"
_ISO_RX = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
_ISO_OUT = "'%Y-%m-%dT%H:%M:%S.%f'"


@dataclass(frozen=True)
class AttrType:
    """The XES type of an attribute column and the SQL that renders one value as JSON text."""

    xes: str
    json_sql: str  # uses {c} for the quoted column


def _iso_json(ts_expr: str) -> str:
    return f"to_json(strftime({ts_expr}, {_ISO_OUT}) || '+00:00')"


def attribute_types(stager: Stager, source: str, cols: list[ColumnProfile], *, tz: str,
                    decimal_comma: bool) -> tuple[dict[str, AttrType], bool]:
    """Type every attribute column from all its values (one aggregate pass).

    Text columns become int/float/boolean/date only when every non-empty value parses as
    such; anything else stays a string, so nothing is lost.  Also reports whether any
    text value holds a line break (then line numbers need counting).
    """
    types: dict[str, AttrType] = {}
    text_cols = [p for p in cols if p.is_text]
    has_newline = False
    # A cheap pass over the first rows proposes a type per column; the full pass then only
    # checks that one candidate (a column the sample shows as text stays text: no full scan).
    candidates = {p.name: _CANDIDATES for p in text_cols}
    if text_cols:
        sample = _type_counts(stager, f"(SELECT * FROM {source} LIMIT {_SAMPLE_ROWS})", text_cols, candidates)
        candidates = {name: tuple(k for k in _CANDIDATES if counts[k] == counts["n"] and counts["n"] > 0)
                      or (("comma",) if decimal_comma and counts["comma"] and counts["comma"] + counts["int"] == counts["n"]
                          else ())
                      for name, counts in sample.items()}
        # Full pass 1 checks only each column's narrowest candidate (usually right); columns
        # where it fails get a second pass over all their candidates.
        check = [p for p in text_cols if candidates[p.name]]
        first = {p.name: candidates[p.name][:1] for p in check}
        full = _type_counts(stager, source, check, first, widen=False) if check else {}
        retry = [p for p in check if full[p.name][first[p.name][0]] != full[p.name]["n"]]
        if retry:
            full.update(_type_counts(stager, source, retry, candidates))
        for p in text_cols:
            counts = full.get(p.name)
            types[p.name] = _choose(counts, decimal_comma, tz) if counts else AttrType("string", "to_json({c})")
    for p in cols:
        if p.is_text:
            continue
        t = p.sql_type
        if t in _INT_TYPES:
            types[p.name] = AttrType("int", "CAST({c} AS VARCHAR)")
        elif t in _FLOAT_TYPES or t.startswith("DECIMAL"):
            types[p.name] = AttrType("float", "CASE WHEN isfinite({c}) THEN CAST(CAST({c} AS DOUBLE) AS VARCHAR) END")
        elif t == "BOOLEAN":
            types[p.name] = AttrType("boolean", "CASE WHEN {c} THEN 'true' ELSE 'false' END")
        elif t.startswith("TIMESTAMP") or t == "DATE":
            types[p.name] = AttrType("date", _iso_json(native_ts_sql("{c}", t, tz)))
        elif t.endswith("[]") or t.startswith(("LIST", "STRUCT", "MAP")):
            types[p.name] = AttrType("list" if t.endswith("]") else "container", "to_json({c})")
        else:
            types[p.name] = AttrType("string", "to_json(CAST({c} AS VARCHAR))")
    return types, has_newline


_SAMPLE_ROWS = 20_000
_CANDIDATES = ("int", "float", "bool", "date")


def _type_counts(stager: Stager, source: str, cols: list[ColumnProfile],
                 candidates: dict[str, tuple[str, ...]], *, widen: bool = True) -> dict[str, dict[str, int]]:
    """Per column: non-null values and how many parse as each candidate type (one pass)."""
    tests = {
        "int": "regexp_full_match({c}, '" + _INT_RX + "')",
        "float": "regexp_full_match({c}, '" + _FLOAT_RX + "')",
        "comma": "regexp_full_match({c}, '" + _COMMA_FLOAT_RX + "')",
        "bool": "lower({c}) IN ('true', 'false')",
        "date": "regexp_full_match({c}, '" + _ISO_RX + "') AND TRY_CAST({c} AS TIMESTAMPTZ) IS NOT NULL",
    }
    parts, keys = [], []
    for p in cols:
        c = quote_ident(p.name)
        wanted = set(candidates[p.name])
        if widen and wanted & {"int", "float", "comma"}:
            wanted |= {"int", "float", "comma"}
        parts.append(f"count({c})")
        keys.append((p.name, "n"))
        for kind in ("int", "float", "comma", "bool", "date"):
            if kind in wanted:
                test = tests[kind].replace("{c}", c)
                parts.append(f"count(*) FILTER (WHERE {test})")
                keys.append((p.name, kind))
    row = stager.sql(f"SELECT {', '.join(parts)} FROM {source}").fetchall()[0]
    out: dict[str, dict[str, int]] = {p.name: dict.fromkeys(("n", "int", "float", "comma", "bool", "date"), 0)
                                      for p in cols}
    for (name, kind), value in zip(keys, row):
        out[name][kind] = value
    return out


def _choose(counts: dict[str, int], decimal_comma: bool, tz: str) -> AttrType:
    """The narrowest type every non-null value of the column parses as."""
    n = counts["n"]
    if n == 0:
        return AttrType("string", "to_json({c})")
    if counts["int"] == n:
        return AttrType("int", "{c}")
    if counts["float"] == n:
        return AttrType("float", "{c}")
    if decimal_comma and counts["comma"] > 0 and counts["comma"] + counts["int"] == n:
        return AttrType("float", "replace({c}, ',', '.')")
    if counts["bool"] == n:
        return AttrType("boolean", "lower({c})")
    if counts["date"] == n:
        return AttrType("date", _iso_json(ts_sql("{c}", TsFormat("iso", offsets="mixed"), tz)))
    return AttrType("string", "to_json({c})")


def native_ts_sql(expr: str, sql_type: str, tz: str) -> str:
    """A native DuckDB temporal value as naive UTC TIMESTAMP (naive ones are in ``tz``)."""
    if sql_type in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"timezone('UTC', {expr})"
    naive = f"CAST({expr} AS TIMESTAMP)"
    if tz == "UTC":
        return naive
    return f"timezone('UTC', timezone({quote_literal(tz)}, {naive}))"


def _json_object(cols: list[tuple[str, str, AttrType]]) -> str:
    """SQL building a JSON object of the non-null values; cols are (key, column, type)."""
    if not cols:
        return "'{}'"
    parts = []
    for key, col, typ in cols:
        c = quote_ident(col)
        k = quote_literal(json.dumps(key, ensure_ascii=False) + ":")
        parts.append(f"CASE WHEN {c} IS NOT NULL THEN {k} || {typ.json_sql.format(c=c)} END")
    return "'{' || concat_ws(',', " + ", ".join(parts) + ") || '}'"


def stage_table(stager: Stager, *, source: str, cols: list[ColumnProfile], detected: Detected,
                tz: str, order: str, location: str, decimal_comma: bool = False,
                joins: str = "") -> int:
    """Insert ``source`` into stage_case_event (+ stage_case, stage_attribute).

    ``order`` is the column of ``source`` holding the 0-based file ordinal (the position);
    ``location`` is SQL over ``source`` (aliased ``s``), ``joins`` may add tables it needs.
    Returns the number of rows staged.
    """
    m = detected.mapping
    by_name = {p.name: p for p in cols}
    role_cols = m.columns()
    attr_cols = [p for p in cols if p.name not in role_cols]
    types, _ = attribute_types(stager, source, attr_cols, tz=tz, decimal_comma=decimal_comma)
    case_attrs = [(p.name[len(CASE_PREFIX):], p.name, types[p.name]) for p in attr_cols
                  if p.name.lower().startswith(CASE_PREFIX)]
    event_attrs = [(p.name, p.name, types[p.name]) for p in attr_cols
                   if not p.name.lower().startswith(CASE_PREFIX)]

    def text(role: str) -> str:
        col = getattr(m, role)
        if not col:
            return "NULL"
        c = "s." + quote_ident(col)
        return c if by_name[col].is_text else f"CAST({c} AS VARCHAR)"

    def ts(role: str) -> tuple[str, str]:
        col = getattr(m, role)
        if not col:
            return "NULL", "NULL"
        c = "s." + quote_ident(col)
        p = by_name[col]
        fmt = detected.ts_formats.get(role)
        if fmt is None:  # an entirely empty column
            return "CAST(NULL AS TIMESTAMP)", text(role)
        if fmt.kind == "native":
            return native_ts_sql(c, p.sql_type, tz), f"CAST({c} AS VARCHAR)"
        src = c if p.is_text else f"CAST({c} AS VARCHAR)"
        return ts_sql(src, fmt, tz), src

    ts_e, ts_raw = ts("timestamp")
    st_e, st_raw = ts("start_timestamp")
    inner = (f"SELECT {text('case')} AS case_id, {text('activity')} AS activity, "
             f"{ts_e} AS ts, {ts_raw} AS ts_raw, {st_e} AS start_ts, {st_raw} AS start_raw, "
             f"{text('lifecycle')} AS lifecycle, {text('resource')} AS resource, "
             f"{text('group')} AS grp, s.{order} AS position, "
             f"{_json_object(event_attrs)} AS attributes, {location} AS location "
             f"FROM {source} s {joins}")
    # attribute column references inside the JSON builder are unqualified: alias-safe
    stager.sql(
        "INSERT INTO stage_case_event SELECT case_id, activity, ts, "
        "CASE WHEN ts IS NULL THEN ts_raw END, start_ts, CASE WHEN start_ts IS NULL THEN start_raw END, "
        f"lifecycle, resource, grp, NULL, position, attributes, location FROM ({inner})")
    n = stager.sql("SELECT count(*) FROM stage_case_event").fetchall()[0][0]
    stager.counts["case_event"] = n

    if case_attrs and m.case:
        case_c = quote_ident(m.case)
        case_txt = case_c if by_name[m.case].is_text else f"CAST({case_c} AS VARCHAR)"
        # the first non-empty value of each case attribute in file order (arg_min streams;
        # an ordered first() would sort every case's rows)
        firsts = ", ".join(
            f"arg_min({quote_ident(col)}, {order}) FILTER (WHERE {quote_ident(col)} IS NOT NULL) AS {quote_ident(col)}"
            for _, col, _typ in case_attrs)
        obj = _json_object(case_attrs)
        stager.sql(f"INSERT INTO stage_case SELECT case_id, {obj} FROM ("
                   f"SELECT {case_txt} AS case_id, {firsts} FROM {source} "
                   f"WHERE {case_c} IS NOT NULL GROUP BY ALL)")
        stager.counts["case"] = stager.sql("SELECT count(*) FROM stage_case").fetchall()[0][0]

    nonnull = _nonnull_columns(stager, source, [p.name for p in attr_cols])
    rows = [("case", k, t.xes) for k, col, t in case_attrs if col in nonnull]
    rows += [("event", k, t.xes) for k, col, t in event_attrs if col in nonnull]
    if rows:
        stager.append("attribute", {"scope": [r[0] for r in rows], "name": [r[1] for r in rows],
                                    "type": [r[2] for r in rows]})
    return n


def _nonnull_columns(stager: Stager, source: str, names: list[str]) -> set[str]:
    if not names:
        return set()
    row = stager.sql("SELECT " + ", ".join(f"count({quote_ident(n)}) > 0" for n in names)
                     + f" FROM {source}").fetchall()[0]
    return {n for n, ok in zip(names, row) if ok}

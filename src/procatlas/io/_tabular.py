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
    if text_cols:
        parts = []
        for p in text_cols:
            c = quote_ident(p.name)
            parts += [
                f"count({c})",
                f"count(*) FILTER (WHERE regexp_full_match({c}, '{_INT_RX}'))",
                f"count(*) FILTER (WHERE regexp_full_match({c}, '{_FLOAT_RX}'))",
                f"count(*) FILTER (WHERE regexp_full_match({c}, '{_COMMA_FLOAT_RX}'))",
                f"count(*) FILTER (WHERE lower({c}) IN ('true', 'false'))",
                f"count(*) FILTER (WHERE regexp_full_match({c}, '{_ISO_RX}') "
                f"AND TRY_CAST({c} AS TIMESTAMPTZ) IS NOT NULL)",
                "false",
            ]
        row = stager.sql(f"SELECT {', '.join(parts)} FROM {source}").fetchall()[0]
        for i, p in enumerate(text_cols):
            n, n_int, n_float, n_comma, n_bool, n_date, nl = row[i * 7:(i + 1) * 7]
            has_newline = has_newline or bool(nl)
            if n == 0:
                types[p.name] = AttrType("string", "to_json({c})")
            elif n_int == n:
                types[p.name] = AttrType("int", "{c}")
            elif n_float == n:
                types[p.name] = AttrType("float", "{c}")
            elif decimal_comma and n_comma > 0 and n_comma + n_int == n:
                types[p.name] = AttrType("float", "replace({c}, ',', '.')")
            elif n_bool == n:
                types[p.name] = AttrType("boolean", "lower({c})")
            elif n_date == n:
                iso = TsFormat("iso", offsets="mixed")
                types[p.name] = AttrType("date", _iso_json(ts_sql("{c}", iso, tz)))
            else:
                types[p.name] = AttrType("string", "to_json({c})")
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
        firsts = ", ".join(
            f"first({typ.json_sql.format(c=quote_ident(col))} ORDER BY {order}) "
            f"FILTER (WHERE {quote_ident(col)} IS NOT NULL) AS {quote_ident(col)}"
            for _, col, typ in case_attrs)
        obj = _json_object([(k, col, AttrType(t.xes, "{c}")) for k, col, t in case_attrs])
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

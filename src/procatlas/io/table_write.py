"""Writing the flattened case view as CSV or Parquet with pm4py column names (re-ingestable)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from procatlas.io._detect import quote_ident, quote_literal

# flattened case view column -> pm4py column name
PM4PY_NAMES = {
    "case_id": "case:concept:name",
    "activity": "concept:name",
    "timestamp": "time:timestamp",
    "resource": "org:resource",
    "lifecycle": "lifecycle:transition",
    "grp": "org:group",
    "start_timestamp": "start_timestamp",
}
_JSON_TO_SQL = {"UBIGINT": "BIGINT", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN"}


def write_csv(path: Path | str, batches: Iterable[pa.RecordBatch] | pa.Table) -> int:
    """Write the case view to ``path`` as CSV (timestamps ISO 8601 with +00:00); returns rows."""
    return _write(Path(path), batches, "csv")


def write_parquet(path: Path | str, batches: Iterable[pa.RecordBatch] | pa.Table) -> int:
    """Write the case view to ``path`` as Parquet (timestamps tz-aware UTC); returns rows."""
    return _write(Path(path), batches, "parquet")


def _write(path: Path, batches: Iterable[pa.RecordBatch] | pa.Table, fmt: str) -> int:
    table = batches if isinstance(batches, pa.Table) else pa.Table.from_batches(list(batches))
    con = duckdb.connect()
    try:
        con.register("view_rows", table)
        names = set(table.schema.names)
        case_keys = _keys(con, "case_attributes") if "case_attributes" in names else {}
        event_keys = _keys(con, "attributes") if "attributes" in names else {}
        select = []
        for col, pm in PM4PY_NAMES.items():
            if col not in names:
                continue
            c = quote_ident(col)
            if col in ("timestamp", "start_timestamp"):
                if fmt == "csv":
                    expr = f"strftime(CAST({c} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f') || '+00:00'"
                else:
                    expr = f"timezone('UTC', CAST({c} AS TIMESTAMP))"
            else:
                expr = c
            select.append(f"{expr} AS {quote_ident(pm)}")
        taken = set(PM4PY_NAMES.values())
        for prefix, col, keys in (("case:", "case_attributes", case_keys), ("", "attributes", event_keys)):
            for key, typ in keys.items():
                out = prefix + key
                if out in taken:
                    continue
                taken.add(out)
                path_lit = quote_literal("$." + json.dumps(key))
                if typ == "VARCHAR":
                    expr = f"json_extract_string({col}, {path_lit})"
                else:
                    expr = f"TRY_CAST(json_extract_string({col}, {path_lit}) AS {typ})"
                select.append(f"{expr} AS {quote_ident(out)}")
        options = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet)"
        con.execute(f"COPY (SELECT {', '.join(select)} FROM view_rows) TO "
                    f"{quote_literal(str(path))} {options}")
        return table.num_rows
    finally:
        con.close()


def _keys(con: duckdb.DuckDBPyConnection, col: str) -> dict[str, str]:
    """Attribute keys in first-seen order with the SQL type their JSON values share."""
    rows = con.execute(
        f"SELECT k, list(DISTINCT t) FROM (SELECT k, json_type(doc, '$.' || to_json(k)) AS t, n FROM "
        f"(SELECT {col} AS doc, unnest(json_keys({col})) AS k, row_number() OVER () AS n FROM view_rows "
        f"WHERE {col} IS NOT NULL)) WHERE t <> 'NULL' GROUP BY k ORDER BY min(n)").fetchall()
    out = {}
    for k, types in rows:
        sql = {_JSON_TO_SQL.get(t, "VARCHAR") for t in types}
        if sql == {"BIGINT", "DOUBLE"}:
            sql = {"DOUBLE"}
        out[k] = sql.pop() if len(sql) == 1 else "VARCHAR"
    return out

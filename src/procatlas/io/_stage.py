"""The staging contract between readers and the workspace: what a reader hands over.

A reader never touches the workspace tables.  It receives a :class:`Stager` and hands it
Arrow tables (Python readers) or SQL that inserts into the staging tables (DuckDB-native
readers).  The workspace then validates the staged rows, sends bad ones to the reject
table and moves the rest into the real tables, all inside one transaction.

Staging tables (TEMP, one set per ingested file; column order is the contract):

``stage_case_event``  case-centric events, the case id is the object id of the process type
    case_id VARCHAR, activity VARCHAR, ts TIMESTAMP (UTC, when the reader parsed it),
    ts_text VARCHAR (raw timestamp text, parsed by the workspace when ``ts`` is NULL),
    start_ts TIMESTAMP, start_ts_text VARCHAR, lifecycle VARCHAR, resource VARCHAR,
    grp VARCHAR, event_id VARCHAR, position BIGINT, attributes VARCHAR (a JSON object),
    location BIGINT (line/row shown in reject messages)
``stage_case``        case (trace) attributes: case_id VARCHAR, attributes VARCHAR (JSON)
``stage_event``       object-centric events: event_id, activity, ts, ts_text, lifecycle,
    resource, position, attributes, location
``stage_object``      object_id VARCHAR, type VARCHAR, attributes VARCHAR (JSON)
``stage_object_change`` object_id, name, value VARCHAR (JSON), ts, ts_text
``stage_event_object``  event_id, object_id, qualifier
``stage_object_object`` source_id, target_id, qualifier
``stage_reject``      location BIGINT (line or row), reason VARCHAR, raw VARCHAR
``stage_message``     communication records (``--as messages``/``posts``): msg_id, ts, ts_text,
    sender, recipients VARCHAR[], venue, kind (email|chat|meeting|social|edge), case_refs
    VARCHAR[], subject, text, attributes VARCHAR (JSON), location
``stage_person``      people (``--as people``): person_id, name, grp, role, attributes (JSON), location
``stage_attribute``   scope VARCHAR ('event'|'case'|'object'), name VARCHAR, type VARCHAR
    (XES type names: string, date, int, float, boolean, id, list, container)

``position`` is the event's ordinal in its file (0-based, unique within the file); the
order of events within a case is (timestamp, position), so equal timestamps never
reorder.  ``location`` is what a person opens the file at: 1-based line for text files,
1-based row (after the header) for tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

STAGE_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "case_event": [
        ("case_id", "VARCHAR"), ("activity", "VARCHAR"), ("ts", "TIMESTAMP"),
        ("ts_text", "VARCHAR"), ("start_ts", "TIMESTAMP"), ("start_ts_text", "VARCHAR"),
        ("lifecycle", "VARCHAR"), ("resource", "VARCHAR"), ("grp", "VARCHAR"),
        ("event_id", "VARCHAR"), ("position", "BIGINT"), ("attributes", "VARCHAR"),
        ("location", "BIGINT"),
    ],
    "case": [("case_id", "VARCHAR"), ("attributes", "VARCHAR")],
    "event": [
        ("event_id", "VARCHAR"), ("activity", "VARCHAR"), ("ts", "TIMESTAMP"),
        ("ts_text", "VARCHAR"), ("lifecycle", "VARCHAR"), ("resource", "VARCHAR"),
        ("position", "BIGINT"), ("attributes", "VARCHAR"), ("location", "BIGINT"),
    ],
    "object": [("object_id", "VARCHAR"), ("type", "VARCHAR"), ("attributes", "VARCHAR")],
    "object_change": [
        ("object_id", "VARCHAR"), ("name", "VARCHAR"), ("value", "VARCHAR"),
        ("ts", "TIMESTAMP"), ("ts_text", "VARCHAR"),
    ],
    "event_object": [("event_id", "VARCHAR"), ("object_id", "VARCHAR"), ("qualifier", "VARCHAR")],
    "object_object": [("source_id", "VARCHAR"), ("target_id", "VARCHAR"), ("qualifier", "VARCHAR")],
    "reject": [("location", "BIGINT"), ("reason", "VARCHAR"), ("raw", "VARCHAR")],
    "attribute": [("scope", "VARCHAR"), ("name", "VARCHAR"), ("type", "VARCHAR")],
    "message": [
        ("msg_id", "VARCHAR"), ("ts", "TIMESTAMP"), ("ts_text", "VARCHAR"), ("sender", "VARCHAR"),
        ("recipients", "VARCHAR[]"), ("venue", "VARCHAR"), ("kind", "VARCHAR"), ("case_refs", "VARCHAR[]"),
        ("subject", "VARCHAR"), ("text", "VARCHAR"), ("attributes", "VARCHAR"), ("location", "BIGINT"),
    ],
    "person": [
        ("person_id", "VARCHAR"), ("name", "VARCHAR"), ("grp", "VARCHAR"), ("role", "VARCHAR"),
        ("attributes", "VARCHAR"), ("location", "BIGINT"),
    ],
}

_ARROW_TYPES = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "TIMESTAMP": pa.timestamp("us"),
                "VARCHAR[]": pa.list_(pa.string())}


def arrow_schema(kind: str) -> pa.Schema:
    """The Arrow schema a Python reader must produce for staging table ``kind``."""
    return pa.schema([(name, _ARROW_TYPES[t]) for name, t in STAGE_COLUMNS[kind]])


def stage_table(kind: str) -> str:
    return f"stage_{kind}"


# (text column, parsed column) pairs a Python reader may hand over as text only
_TIME_COLUMNS = {
    "case_event": (("ts_text", "ts"), ("start_ts_text", "start_ts")),
    "event": (("ts_text", "ts"),),
    "object_change": (("ts_text", "ts"),),
}
_UTC = pa.timestamp("us", tz="UTC")


def _parse_offset_times(table: pa.Table, text_col: str, ts_col: str) -> pa.Table:
    """Parse a batch of ISO 8601 texts that all carry an offset, in Arrow (vectorised C++).

    Arrow refuses naive values, so a batch with any value lacking an offset (which must follow
    --timezone), or any other spelling, is left as text for the workspace's SQL parser.
    """
    names = table.schema.names
    if text_col not in names or (ts_col in names and table[ts_col].null_count < table.num_rows):
        return table
    text = table[text_col]
    if text.null_count == len(text):
        return table
    try:
        parsed = text.cast(_UTC).cast(pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return table
    # the raw text stays beside the parsed value (the contract: ts_text is what the file said)
    if ts_col in names:
        return table.set_column(names.index(ts_col), ts_col, parsed)
    return table.append_column(ts_col, parsed)


class Stager:
    """Receives what one reader reads; backed by TEMP tables on a DuckDB connection.

    ``execute`` is the workspace's SQL choke point (so staging is traced like any query).
    ``progress`` is called with the number of input bytes consumed so far.
    """

    def __init__(self, execute: Callable[..., Any], *, progress: Callable[[int], None] | None = None):
        self._execute = execute
        self._progress = progress
        self.counts: dict[str, int] = {k: 0 for k in STAGE_COLUMNS}
        self.notes: list[str] = []
        self.detected: dict[str, Any] = {}
        for kind, cols in STAGE_COLUMNS.items():
            coldefs = ", ".join(f'"{c}" {t}' for c, t in cols)
            execute(f"CREATE OR REPLACE TEMP TABLE {stage_table(kind)} ({coldefs})")

    def append(self, kind: str, table: pa.Table | pa.RecordBatch | dict[str, list]) -> None:
        """Append rows to staging table ``kind``; columns missing from ``table`` become NULL."""
        if isinstance(table, dict):
            n = len(next(iter(table.values()))) if table else 0
            schema = arrow_schema(kind)
            arrays = [pa.array(table[f.name], type=f.type) if f.name in table else pa.nulls(n, f.type)
                      for f in schema]
            table = pa.Table.from_arrays(arrays, schema=schema)
        if table.num_rows == 0:
            return
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        for text_col, ts_col in _TIME_COLUMNS.get(kind, ()):
            table = _parse_offset_times(table, text_col, ts_col)
        cols = [c for c, _ in STAGE_COLUMNS[kind] if c in table.schema.names]
        unknown = set(table.schema.names) - {c for c, _ in STAGE_COLUMNS[kind]}
        if unknown:
            raise ValueError(f"unknown staging columns for {kind}: {sorted(unknown)}")
        collist = ", ".join(f'"{c}"' for c in cols)
        self._execute(f"INSERT INTO {stage_table(kind)} ({collist}) SELECT {collist} FROM __batch",
                      register={"__batch": table})
        self.counts[kind] += table.num_rows

    def reject(self, location: int | None, reason: str, raw: str | None) -> None:
        """Send one unreadable row to the reject table (use ``append('reject', ...)`` for many)."""
        self.append("reject", {"location": [location], "reason": [reason], "raw": [raw]})

    def sql(self, query: str, params: list | None = None) -> Any:
        """Run SQL that fills staging tables directly (DuckDB-native readers)."""
        return self._execute(query, params)

    def attribute(self, scope: str, name: str, type_: str) -> None:
        self.append("attribute", {"scope": [scope], "name": [name], "type": [type_]})

    def note(self, text: str) -> None:
        """Record something the user should know about this file (shown after ingest)."""
        self.notes.append(text)

    def savepoint(self) -> dict[str, Any]:
        """What is staged now; :meth:`rollback` returns to it (a reader that starts a file again)."""
        ends = {kind: self._execute(f"SELECT coalesce(max(rowid) + 1, 0) FROM {stage_table(kind)}").fetchall()[0][0]
                for kind in STAGE_COLUMNS}
        return {"ends": ends, "counts": dict(self.counts), "notes": len(self.notes), "detected": dict(self.detected)}

    def rollback(self, point: dict[str, Any]) -> None:
        """Drop every row, note and detail staged since ``point`` (rows are only ever appended)."""
        for kind, end in point["ends"].items():
            self._execute(f"DELETE FROM {stage_table(kind)} WHERE rowid >= {int(end)}")
        self.counts = dict(point["counts"])
        del self.notes[point["notes"]:]
        self.detected.clear()
        self.detected.update(point["detected"])

    def advance(self, consumed_bytes: int) -> None:
        if self._progress is not None:
            self._progress(consumed_bytes)

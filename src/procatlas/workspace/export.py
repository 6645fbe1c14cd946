"""Writing a process (or the whole workspace) back out as XES, CSV, Parquet or OCEL 2.0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from procatlas.errors import InputError
from procatlas.workspace.core import Workspace

# The flattened case view of one process, in event order: cases in the order their first
# event was read, events by (timestamp, position).
CASE_VIEW_SQL = """
    SELECT o.id AS case_id, o.attributes::VARCHAR AS case_attributes, e.activity, e.timestamp,
           e.lifecycle, e.resource, e."group" AS grp, e.start_timestamp, e.id AS event_id,
           e.attributes::VARCHAR AS attributes
    FROM event_object eo
    JOIN object o ON o.oid = eo.oid
    JOIN event e ON e.eid = eo.eid
    WHERE o.type = ?
    ORDER BY min(e.eid) OVER (PARTITION BY o.oid), o.oid, e.timestamp, e.eid
"""

CASE_SUFFIXES = (".xes", ".xes.gz", ".csv", ".csv.gz", ".parquet")
OCEL_SUFFIXES = (".json", ".jsonocel", ".sqlite")


def processes(ws: Workspace) -> list[str]:
    return [r[0] for r in ws.rows(
        "SELECT DISTINCT o.type FROM object o JOIN event_object eo USING (oid) ORDER BY 1")]


def case_view_batches(ws: Workspace, process: str, batch_rows: int = 200_000) -> Iterator[pa.RecordBatch]:
    result = ws.execute(CASE_VIEW_SQL, [process])
    # DuckDB 2 calls it to_arrow_reader; 1.x fetch_record_batch
    make_reader = getattr(result, "to_arrow_reader", None) or result.fetch_record_batch
    yield from make_reader(batch_rows)


def attribute_types(ws: Workspace, process: str | None = None) -> dict[tuple[str, str], str]:
    """(scope, name) -> XES type, as declared by the sources the process came from."""
    if process is None:
        rows = ws.rows("SELECT DISTINCT scope, name, type FROM attribute_type ORDER BY source_id")
    else:
        rows = ws.rows("""
            SELECT DISTINCT a.scope, a.name, a.type FROM attribute_type a
            WHERE a.source_id IN (SELECT DISTINCT source_id FROM object WHERE type = ?)
            ORDER BY 1, 2""", [process])
    return {(scope, name): type_ for scope, name, type_ in rows}


def export(ws: Workspace, to: Path, *, process: str | None = None) -> dict:
    """Write ``process`` (case-centric formats) or the whole workspace (OCEL 2.0) to ``to``."""
    name = to.name.lower()
    if name.endswith(OCEL_SUFFIXES) and process is None:
        return _export_ocel(ws, to)
    if not name.endswith(CASE_SUFFIXES):
        raise InputError("unknown export format; use .xes, .xes.gz, .csv, .parquet (with --process) "
                         "or .json/.jsonocel/.sqlite for OCEL 2.0 of the whole workspace", path=to)
    if process is None:
        raise InputError("--process is required for a case-centric export; processes: "
                         + ", ".join(processes(ws)), path=to)
    if process not in processes(ws):
        raise InputError(f"no process '{process}' in the workspace; processes: " + ", ".join(processes(ws)))
    batches = case_view_batches(ws, process)
    if name.endswith((".xes", ".xes.gz")):
        from procatlas.io.xes_write import write_xes
        events = write_xes(to, batches, attribute_types(ws, process), process=process)
    elif name.endswith(".parquet"):
        from procatlas.io.table_write import write_parquet
        events = write_parquet(to, batches)
    else:
        from procatlas.io.table_write import write_csv
        events = write_csv(to, batches)
    return {"path": str(to), "process": process, "events": events}


# OCEL needs one id per event and per object, but the workspace only keeps ids unique per
# source (events) and per type (objects): two case-centric files with case "1" give two objects
# "1".  Ids that would repeat are qualified (event: "id~eid", object: "type:id"); unique ids
# are written as they were read, and events read without an id get "e<eid>".
_OCEL_EVENT_IDS = """(SELECT eid, CASE WHEN count(*) OVER (PARTITION BY base) > 1 THEN base || '~' || eid
                                  ELSE base END AS event_id
                      FROM (SELECT eid, coalesce(id, 'e' || eid) AS base FROM event))"""
_OCEL_OBJECT_IDS = """(SELECT oid, type, attributes,
                              CASE WHEN count(*) OVER (PARTITION BY id) > 1 THEN type || ':' || id
                                   ELSE id END AS object_id
                       FROM object)"""


def _export_ocel(ws: Workspace, to: Path) -> dict:
    from procatlas.io import ocel_write
    ev, ob = _OCEL_EVENT_IDS, _OCEL_OBJECT_IDS
    tables = {
        "events": ws.arrow(f"""SELECT i.event_id, e.activity, e.timestamp, e.attributes::VARCHAR AS attributes
                               FROM event e JOIN {ev} i USING (eid) ORDER BY eid"""),
        "objects": ws.arrow(f"SELECT object_id, type, attributes::VARCHAR AS attributes FROM {ob} ORDER BY oid"),
        "event_objects": ws.arrow(f"""
            SELECT i.event_id, o.object_id, eo.qualifier
            FROM event_object eo JOIN {ev} i USING (eid) JOIN {ob} o USING (oid) ORDER BY eid"""),
        "object_objects": ws.arrow(f"""
            SELECT s.object_id AS source_id, t.object_id AS target_id, oo.qualifier FROM object_object oo
            JOIN {ob} s ON s.oid = oo.source_oid JOIN {ob} t ON t.oid = oo.target_oid"""),
        "object_changes": ws.arrow(f"""
            SELECT o.object_id, c.name, c.value::VARCHAR AS value, c.timestamp
            FROM object_change c JOIN {ob} o USING (oid) ORDER BY c.timestamp"""),
    }
    writer = ocel_write.write_ocel2_sqlite if to.name.lower().endswith(".sqlite") else ocel_write.write_ocel2_json
    writer(to, **tables, attribute_types=attribute_types(ws))
    return {"path": str(to), "process": None, "events": tables["events"].num_rows,
            "objects": tables["objects"].num_rows}


# The event tables for Spark (procatlas.engine.spark): one row per (event, case object), hive
# partitioned by process (the object type) and month of the event; events without an object
# go to process "(none)".  ``first_link`` marks one row per event (the event table is the
# rows where it holds), ``first_in_process`` one row per event and process.
EVENTS_PARQUET_SQL = """
    SELECT e.eid, e.id, e.source_id, e.position, e.activity, e.timestamp, e.lifecycle, e.resource, e."group",
           e.start_timestamp, CAST(e.attributes AS VARCHAR) AS attributes, eo.oid, eo.qualifier,
           eo.oid IS NOT DISTINCT FROM min(eo.oid) OVER (PARTITION BY e.eid) AS first_link,
           eo.oid IS NOT DISTINCT FROM min(eo.oid) OVER (PARTITION BY e.eid, o.type) AS first_in_process,
           coalesce(o.type, '(none)') AS process, strftime(e.timestamp, '%Y-%m') AS month
    FROM event e LEFT JOIN event_object eo ON eo.eid = e.eid LEFT JOIN object o ON o.oid = eo.oid
"""

PARQUET_TABLES = {
    "objects": "SELECT oid, id, type, source_id, CAST(attributes AS VARCHAR) AS attributes FROM object",
    "object_object": "SELECT * FROM object_object",
    "object_change": "SELECT oid, name, CAST(value AS VARCHAR) AS value, timestamp, source_id FROM object_change",
    # rowid: people.csv order, which picks a person's primary group
    "person": 'SELECT id, name, "group", role, CAST(attributes AS VARCHAR) AS attributes, source_id, rowid FROM person',
    "message": "SELECT * REPLACE (CAST(attributes AS VARCHAR) AS attributes) FROM message",
    "attribute_type": "SELECT * FROM attribute_type",
    "source": "SELECT * REPLACE (CAST(mapping AS VARCHAR) AS mapping, CAST(notes AS VARCHAR) AS notes) FROM source",
}


def export_parquet_dir(ws: Workspace, folder: Path) -> dict:
    """Write the workspace's tables as Parquet under ``folder`` for the Spark engine
    (docs/scale.md): ``events/process=P/month=YYYY-MM/*.parquet``, ``objects/`` and the small tables."""
    import shutil
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError("not a folder", path=folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / "events").is_dir():
        raise InputError("folder exists and is not a procatlas Parquet export; choose an empty or new folder",
                         path=folder)
    for name in ("events", *PARQUET_TABLES):
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    events = folder / "events"
    ws.execute(f"""COPY ({EVENTS_PARQUET_SQL}) TO '{_quote(events)}'
                   (FORMAT parquet, PARTITION_BY (process, month), OVERWRITE_OR_IGNORE true)""")
    if not any(events.rglob("*.parquet")):
        # no events (a workspace of messages only): a partitioned COPY writes no file, and Spark
        # cannot read a folder without one; an empty file with every column (process and month
        # as plain columns) reads as the same, empty, table
        events.mkdir(exist_ok=True)
        ws.execute(f"COPY ({EVENTS_PARQUET_SQL} LIMIT 0) TO '{_quote(events / 'empty.parquet')}' (FORMAT parquet)")
    for name, sql in PARQUET_TABLES.items():
        (folder / name).mkdir()
        ws.execute(f"COPY ({sql}) TO '{_quote(folder / name / 'part-0.parquet')}' (FORMAT parquet)")
    return {"path": str(folder), "events": int(ws.scalar("SELECT count(*) FROM event")), "processes": processes(ws),
            "tables": ["events", *PARQUET_TABLES]}


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")

"""Reading OCEL SQLite (the OCEL 2.0 relational schema, or pm4py's legacy EVENTS/OBJECTS/RELATIONS
layout) into the staging tables, streaming rows with Python's sqlite3."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._open import open_binary
from procatlas.io._stage import Stager
from procatlas.io.ocel_sink import OcelSink

_FETCH = 10_000
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _norm_id(col: str) -> str:
    """SQL: an id column as text, integral REALs without their '.0' (pandas-written files)."""
    return (f"(CASE WHEN typeof({col}) = 'real' AND {col} = CAST({col} AS INTEGER) "
            f"THEN CAST(CAST({col} AS INTEGER) AS TEXT) ELSE CAST({col} AS TEXT) END)")


def _decl_type(decl: str) -> str | None:
    """OCEL 2.0 attribute type of a declared SQLite column type (None: judge by value)."""
    d = (decl or "").upper()
    if "BOOL" in d:
        return "boolean"
    if "INT" in d:
        return "integer"
    if any(k in d for k in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return "float"
    if any(k in d for k in ("TIME", "DATE")):
        return "time"
    if any(k in d for k in ("CHAR", "TEXT", "CLOB")):
        return "string"
    return None


@contextmanager
def _local_file(path: Path) -> Iterator[Path]:
    """sqlite3 needs a plain file: decompress .gz/.zip into a temporary one."""
    if not path.name.lower().endswith((".gz", ".zip")):
        if not path.exists():
            raise InputError("no such file", path=path)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="procatlas-ocel-") as tmp:
        target = Path(tmp) / "log.sqlite"
        with open_binary(path) as (stream, _), open(target, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        yield target


def _fetch(cur: sqlite3.Cursor) -> Iterator[tuple]:
    while True:
        rows = cur.fetchmany(_FETCH)
        if not rows:
            return
        yield from rows


def _value(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.hex()
    return v


def read_ocel_sqlite(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stage an OCEL SQLite file (OCEL 2.0 schema or pm4py's legacy layout)."""
    path = Path(path)
    with _local_file(path) as local:
        if local.is_dir():
            raise InputError("is a directory, not a file", path=path)
        with open(local, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
        if head != _SQLITE_MAGIC:
            raise InputError("not an SQLite database (bad file header)", path=path)
        try:
            con = sqlite3.connect(local.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open SQLite database ({exc})", path=path) from None
        try:
            tables = {r[0].lower(): r[0] for r in
                      con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if {"event", "object", "event_object"} <= set(tables):
                stager.detected["format"] = "ocel2-sqlite"
                _read_v2(con, tables, path, stager, options)
            elif {"events", "objects", "relations"} <= set(tables):
                stager.detected["format"] = "ocel-legacy-sqlite"
                _read_legacy(con, tables, path, stager, options)
            else:
                names = ", ".join(sorted(tables.values())[:8]) or "none"
                raise InputError(f"is an SQLite database but not OCEL (no event/object/event_object tables; "
                                 f"tables: {names})", path=path)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"corrupt or unreadable SQLite database ({exc})", path=path) from None
        finally:
            con.close()
        stager.advance(local.stat().st_size)


def _columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return [(r[1], r[2] or "") for r in con.execute(f"PRAGMA table_info({_q(table)})")]


def _find(tables: dict[str, str], name: str) -> str | None:
    return tables.get(name.lower())


def _type_tables(con: sqlite3.Connection, tables: dict[str, str], kind: str) -> dict[str, str]:
    """OCEL type -> its ``event_<map>``/``object_<map>`` table (map table first, then by name)."""
    out: dict[str, str] = {}
    types = [r[0] for r in con.execute(f"SELECT DISTINCT ocel_type FROM {_q(tables[kind])}") if r[0] is not None]
    mapping: dict[str, str] = {}
    map_table = _find(tables, f"{kind}_map_type")
    if map_table:
        cols = {c.lower() for c, _ in _columns(con, map_table)}
        if {"ocel_type", "ocel_type_map"} <= cols:
            mapping = {str(a): str(b) for a, b in con.execute(
                f"SELECT ocel_type, ocel_type_map FROM {_q(map_table)}") if a is not None and b is not None}
    for t in types:
        for cand in (mapping.get(str(t)), re.sub(r"[^0-9A-Za-z]", "", str(t)), str(t)):
            if cand is not None and _find(tables, f"{kind}_{cand}"):
                out[str(t)] = _find(tables, f"{kind}_{cand}")  # type: ignore[assignment]
                break
    return out


def _read_v2(con: sqlite3.Connection, tables: dict[str, str], path: Path, stager: Stager,
             options: ReadOptions) -> None:
    sink = OcelSink(stager, path, options)
    ev_tables = _type_tables(con, tables, "event")
    ob_tables = _type_tables(con, tables, "object")
    con.execute(f"""CREATE TEMP TABLE __ev AS
        SELECT rowid AS rid, row_number() OVER (ORDER BY rowid) AS rn, {_norm_id('ocel_id')} AS eid,
               ocel_type FROM {_q(tables['event'])}""")
    con.execute("CREATE INDEX temp.__ev_type ON __ev (ocel_type)")

    # events, one type table at a time; position = row number in table event - 1
    for etype, table in sorted(ev_tables.items()):
        cols = _columns(con, table)
        attrs = [(c, _decl_type(d)) for c, d in cols if not c.lower().startswith("ocel_")]
        has_time = any(c.lower() == "ocel_time" for c, _ in cols)
        sel = ", ".join(["t.ocel_time" if has_time else "NULL"] + [f"t.{_q(c)}" for c, _ in attrs])
        cur = con.execute(f"""
            SELECT e.rn, e.eid, {sel} FROM __ev e
            LEFT JOIN (SELECT *, {_norm_id('ocel_id')} AS __eid,
                              row_number() OVER (PARTITION BY {_norm_id('ocel_id')} ORDER BY rowid) AS __rk
                       FROM {_q(table)}) t ON t.__eid = e.eid AND t.__rk = 1
            WHERE e.ocel_type = ? ORDER BY e.rn""", [etype])
        for row in _fetch(cur):
            rn, eid, time = row[0], row[1], row[2]
            values = {}
            for (name, t), v in zip(attrs, row[3:]):
                if v is not None:
                    values[name] = sink.typed("event", etype, name, _value(v), t)
            _event_at(sink, rn, eid, etype, None if time is None else str(time), values)
        _orphans(con, sink, table, "__ev", "eid", f"event '{{}}' that is not in table {tables['event']}")
    known = list(ev_tables)
    marks = ", ".join("?" * len(known))
    cur = con.execute(f"SELECT rn, eid, ocel_type FROM __ev WHERE ocel_type IS NULL "
                      f"{'OR ocel_type NOT IN (' + marks + ')' if known else 'OR 1'} ORDER BY rn", known)
    missing_type_tables: set[str] = set()
    for rn, eid, etype in _fetch(cur):
        if etype is not None:
            missing_type_tables.add(str(etype))
        _event_at(sink, rn, eid, etype, None, {})
    if missing_type_tables:
        stager.note(f"no event_<type> table for event type(s) {', '.join(sorted(missing_type_tables))}; "
                    "their events have no timestamp")

    # objects with their attribute rows (initial values and changes)
    con.execute(f"""CREATE TEMP TABLE __ob AS
        SELECT rowid AS rid, {_norm_id('ocel_id')} AS oid, ocel_type FROM {_q(tables['object'])}""")
    con.execute("CREATE INDEX temp.__ob_type ON __ob (ocel_type)")
    for otype, table in sorted(ob_tables.items()):
        cols = _columns(con, table)
        attrs = [(c, _decl_type(d)) for c, d in cols if not c.lower().startswith("ocel_")]
        lower = {c.lower() for c, _ in cols}
        time_sel = "t.ocel_time" if "ocel_time" in lower else "NULL"
        field_sel = "t.ocel_changed_field" if "ocel_changed_field" in lower else "NULL"
        sel = ", ".join([time_sel, field_sel, "t.__rid"] + [f"t.{_q(c)}" for c, _ in attrs])
        cur = con.execute(f"""
            SELECT o.oid, {sel} FROM __ob o
            LEFT JOIN (SELECT *, rowid AS __rid, {_norm_id('ocel_id')} AS __oid FROM {_q(table)}) t
                   ON t.__oid = o.oid
            WHERE o.ocel_type = ? ORDER BY o.rid, t.__rid""", [otype])
        current: str | None = None
        group: list[tuple] = []
        for row in _fetch(cur):
            if row[0] != current or not group:
                if group:
                    _object(sink, otype, group, attrs)
                current, group = row[0], []
            group.append(row)
        if group:
            _object(sink, otype, group, attrs)
        _orphans(con, sink, table, "__ob", "oid", f"object '{{}}' that is not in table {tables['object']}")
    known = list(ob_tables)
    marks = ", ".join("?" * len(known))
    cur = con.execute(f"SELECT oid, ocel_type FROM __ob WHERE ocel_type IS NULL "
                      f"{'OR ocel_type NOT IN (' + marks + ')' if known else 'OR 1'} ORDER BY rid", known)
    for oid, otype in _fetch(cur):
        sink.obj(oid, otype, {})

    used = {t.lower() for t in (*ev_tables.values(), *ob_tables.values())}
    base = {"event_object", "object_object", "event_map_type", "object_map_type"}
    for low, table in sorted(tables.items()):
        if low.startswith(("event_", "object_")) and low not in base and low not in used:
            n = con.execute(f"SELECT count(*) FROM {_q(table)}").fetchone()[0]
            if n:
                stager.note(f"table {table} ({n} rows) belongs to no event or object type and was not read")
    cur = con.execute(f"SELECT {_norm_id('ocel_event_id')}, {_norm_id('ocel_object_id')}, "
                      f"{_qualifier(con, tables['event_object'])} FROM {_q(tables['event_object'])} ORDER BY rowid")
    for eid, oid, q in _fetch(cur):
        sink.e2o(eid, oid, q)
    if "object_object" in tables:
        t = tables["object_object"]
        cur = con.execute(f"SELECT {_norm_id('ocel_source_id')}, {_norm_id('ocel_target_id')}, "
                          f"{_qualifier(con, t)} FROM {_q(t)} ORDER BY rowid")
        for sid, tid, q in _fetch(cur):
            sink.o2o(sid, tid, q)
    sink.close()


def _qualifier(con: sqlite3.Connection, table: str) -> str:
    return "ocel_qualifier" if any(c.lower() == "ocel_qualifier" for c, _ in _columns(con, table)) else "NULL"


def _event_at(sink: OcelSink, rn: int, eid: Any, etype: Any, time: str | None, values: dict) -> None:
    sink.position = rn - 1
    sink.event(eid, etype, time, values, rn)


def _object(sink: OcelSink, otype: str, group: list[tuple], attrs: list[tuple[str, str | None]]) -> None:
    """One object's rows: rows without ``ocel_changed_field`` hold values (the first one the
    initial values); rows with it change that one field at ``ocel_time``."""
    oid = group[0][0]
    initial: dict[str, Any] = {}
    changes: list[tuple[str, Any, Any]] = []
    first = True
    for row in group:
        time, field, rid = row[1], row[2], row[3]
        if rid is None:  # no attribute row at all
            continue
        values = {name: _value(v) for (name, _), v in zip(attrs, row[4:]) if v is not None}
        types = dict(attrs)
        if field is None or str(field) == "":
            if first:
                for name, v in values.items():
                    initial[name] = sink.typed("object", otype, name, v, types.get(name))
                first = False
            else:
                for name, v in values.items():
                    changes.append((name, sink.typed("object", otype, name, v, types.get(name)), time))
        else:
            name = _field_column(str(field), attrs)
            if first and not any(r[2] is None for r in group if r[3] is not None):
                # no values-row at all (some writers): the first row gives the initial values
                for n_, v in values.items():
                    initial[n_] = sink.typed("object", otype, n_, v, types.get(n_))
                first = False
                continue
            if name is not None and name in values:
                changes.append((name, sink.typed("object", otype, name, values[name], types.get(name)), time))
    for name, v, _ in changes:  # an attribute known only from changes starts at its first value
        initial.setdefault(name, v)
    sink.obj(oid, otype, initial)
    for name, v, time in changes:
        sink.change(oid, name, v, None if time is None else str(time))


def _field_column(field: str, attrs: list[tuple[str, str | None]]) -> str | None:
    for name, _ in attrs:
        if name == field:
            return name
    low = field.lower()
    for name, _ in attrs:
        if name.lower() == low:
            return name
    return None


def _orphans(con: sqlite3.Connection, sink: OcelSink, table: str, temp: str, col: str, reason: str) -> None:
    """Rows of a type table whose id is not in the base table: rejected, never dropped silently."""
    cur = con.execute(f"""
        SELECT * FROM (
            SELECT row_number() OVER (ORDER BY rowid) AS __rn, {_norm_id('ocel_id')} AS __id, *
            FROM {_q(table)}) t
        WHERE __id IS NULL OR __id NOT IN (SELECT {col} FROM temp.{temp} WHERE {col} IS NOT NULL)""")
    names = [d[0] for d in cur.description] if cur.description else []
    for row in _fetch(cur):
        sink.reject(row[0], f"row of table {table} for " + reason.format(row[1]), json.dumps(
            dict(zip(names[2:], (_value(v) for v in row[2:]))), ensure_ascii=False, default=str))


# ---- pm4py legacy layout ---------------------------------------------------------------

def _read_legacy(con: sqlite3.Connection, tables: dict[str, str], path: Path, stager: Stager,
                 options: ReadOptions) -> None:
    sink = OcelSink(stager, path, options)
    ev = tables["events"]
    cols = _columns(con, ev)
    names = [c for c, _ in cols]
    need = {"ocel:eid", "ocel:activity", "ocel:timestamp"}
    if not need <= set(names):
        raise InputError(f"SQLite table {ev} lacks columns {', '.join(sorted(need - set(names)))}", path=path)
    attrs = [(c, _decl_type(d)) for c, d in cols if not c.startswith("ocel:")]
    sel = ", ".join(_q(c) for c in ["ocel:eid", "ocel:activity", "ocel:timestamp"] + [c for c, _ in attrs])
    cur = con.execute(f"SELECT {sel} FROM {_q(ev)} ORDER BY rowid")
    rn = 0
    for row in _fetch(cur):
        rn += 1
        values = {n: sink.typed("event", "", n, _value(v), t) for (n, t), v in zip(attrs, row[3:]) if v is not None}
        _event_at(sink, rn, row[0], row[1], None if row[2] is None else str(row[2]), values)
    ob = tables["objects"]
    cols = _columns(con, ob)
    attrs = [(c, _decl_type(d)) for c, d in cols if not c.startswith("ocel:")]
    sel = ", ".join(_q(c) for c in ["ocel:oid", "ocel:type"] + [c for c, _ in attrs])
    for row in _fetch(con.execute(f"SELECT {sel} FROM {_q(ob)} ORDER BY rowid")):
        values = {n: sink.typed("object", "", n, _value(v), t) for (n, t), v in zip(attrs, row[2:]) if v is not None}
        sink.obj(row[0], row[1], values)
    rel = tables["relations"]
    rcols = {c for c, _ in _columns(con, rel)}
    q = _q("ocel:qualifier") if "ocel:qualifier" in rcols else "NULL"
    for eid, oid, qual in _fetch(con.execute(f'SELECT "ocel:eid", "ocel:oid", {q} FROM {_q(rel)} ORDER BY rowid')):
        sink.e2o(eid, oid, qual)
    if "o2o" in tables:
        o2o = tables["o2o"]
        ocols = {c for c, _ in _columns(con, o2o)}
        if {"ocel:oid", "ocel:oid_2"} <= ocols:
            q = _q("ocel:qualifier") if "ocel:qualifier" in ocols else "NULL"
            for s, t, qual in _fetch(con.execute(f'SELECT "ocel:oid", "ocel:oid_2", {q} FROM {_q(o2o)}')):
                sink.o2o(s, t, qual)
    if "object_changes" in tables:
        ch = tables["object_changes"]
        ccols = [c for c, _ in _columns(con, ch)]
        if {"ocel:oid", "ocel:field", "ocel:timestamp"} <= set(ccols):
            cur = con.execute(f"SELECT * FROM {_q(ch)} ORDER BY rowid")
            for row in _fetch(cur):
                d = dict(zip(ccols, row))
                field = d.get("ocel:field")
                if field is not None:
                    value = _value(d.get(str(field)))
                    sink.typed("object", "", str(field), value, None)
                    sink.change(d.get("ocel:oid"), str(field), value,
                                None if d.get("ocel:timestamp") is None else str(d["ocel:timestamp"]))
    sink.close()

"""Writing object-centric logs as OCEL 2.0 JSON and OCEL 2.0 SQLite.

Both writers take the same Arrow tables (the shape of the workspace's object-centric
tables), so ``procatlas export`` and the demo simulator share one code path:

``events``          event_id, activity, timestamp (``pa.timestamp('us')``, UTC, naive),
                    attributes (JSON object text or NULL)
``objects``         object_id, type, attributes (JSON object text or NULL): the initial values
``event_objects``   event_id, object_id, qualifier
``object_objects``  source_id, target_id, qualifier
``object_changes``  object_id, name, value (JSON text), timestamp (UTC, naive)

``attribute_types`` optionally fixes the OCEL type of attributes:
``{("event"|"object", name): type}`` or ``{name: type}``; types are OCEL names
(``string``, ``time``, ``integer``, ``float``, ``boolean``) or XES names (``int``,
``date``) which are translated.  Attributes not listed get a type inferred from their
values (bool -> boolean, int -> integer, numbers -> float, anything else -> string).

Output is deterministic: types and attributes are sorted by name, events keep the order
of ``events`` and links keep the order of their tables.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from procatlas.errors import InputError

__all__ = ["write_ocel2_json", "write_ocel2_sqlite", "OCEL_TYPES"]

OCEL_TYPES = ("string", "time", "integer", "float", "boolean")
_TYPE_ALIASES = {
    "string": "string", "str": "string", "id": "string", "list": "string", "container": "string",
    "time": "time", "date": "time", "timestamp": "time", "datetime": "time",
    "integer": "integer", "int": "integer",
    "float": "float", "double": "float", "real": "float",
    "boolean": "boolean", "bool": "boolean",
}
_EPOCH = "1970-01-01T00:00:00Z"
_BATCH = 10_000


# ---------------------------------------------------------------------------------------
# shared preparation
# ---------------------------------------------------------------------------------------

def _rows(table: pa.Table | None, columns: list[str]) -> Iterator[tuple]:
    """Rows of ``table`` as tuples, batch by batch (missing columns read as None)."""
    if table is None:
        return
    present = [c for c in columns if c in table.schema.names]
    for batch in table.to_batches(max_chunksize=_BATCH):
        cols = {c: batch.column(c).to_pylist() for c in present}
        for i in range(batch.num_rows):
            yield tuple(cols[c][i] if c in cols else None for c in columns)


def _load_attrs(text: str | None) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    value = json.loads(text) if isinstance(text, str) else text
    if not isinstance(value, dict):
        raise InputError(f"attributes must be a JSON object, got {text[:60]!r}")
    return value


def _load_value(text: Any) -> Any:
    if isinstance(text, str):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _iso_z(ts: dt.datetime | None) -> str:
    if ts is None:
        return _EPOCH
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    text = ts.isoformat(timespec="microseconds" if ts.microsecond else "seconds")
    return text + "Z"


def _sql_time(ts: dt.datetime | None) -> str:
    if ts is None:
        return "1970-01-01 00:00:00.000000"
    if ts.tzinfo is not None:
        ts = ts.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return ts.strftime("%Y-%m-%d %H:%M:%S.%f")


def _value_type(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    return "string"


def _merge_type(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None or a == b:
        return a
    if {a, b} == {"integer", "float"}:
        return "float"
    return "string"


class _TypeBook:
    """Attribute declarations per event type / object type, inferred or given."""

    def __init__(self, given: Mapping[Any, str] | None):
        self.given: dict[tuple[str | None, str], str] = {}
        for key, t in (given or {}).items():
            otype = _TYPE_ALIASES.get(str(t).lower(), "string")
            if isinstance(key, tuple):
                self.given[(key[0], key[1])] = otype
            else:
                self.given[(None, key)] = otype
        self.kinds: dict[str, dict[str, dict[str, str | None]]] = {"event": {}, "object": {}}

    def see(self, scope: str, type_name: str, name: str, value: Any) -> None:
        attrs = self.kinds[scope].setdefault(type_name, {})
        attrs[name] = _merge_type(attrs.get(name), _value_type(value))

    def declare(self, scope: str, type_name: str) -> None:
        self.kinds[scope].setdefault(type_name, {})

    def type_of(self, scope: str, type_name: str, name: str) -> str:
        given = self.given.get((scope, name)) or self.given.get((None, name))
        if given:
            return given
        return self.kinds[scope].get(type_name, {}).get(name) or "string"

    def declarations(self, scope: str) -> list[dict[str, Any]]:
        return [{"name": t, "attributes": [{"name": a, "type": self.type_of(scope, t, a)}
                                           for a in sorted(attrs)]}
                for t, attrs in sorted(self.kinds[scope].items())]


def _encode(value: Any, otype: str) -> Any:
    """A value as OCEL 2.0 wants it for its declared type."""
    if value is None:
        return None
    if otype == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value) if isinstance(value, float) else str(value)
        return json.dumps(value, ensure_ascii=False)
    if otype == "boolean":
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)
    if otype == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if otype == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if otype == "time" and isinstance(value, dt.datetime):
        return _iso_z(value)
    return value


class _Prepared:
    """The five tables read once into the structures both writers need."""

    def __init__(self, events, objects, event_objects, object_objects, object_changes, attribute_types):
        self.types = _TypeBook(attribute_types)
        self.events: list[tuple[str, str, dt.datetime | None, dict[str, Any]]] = []
        for eid, act, ts, attrs in _rows(events, ["event_id", "activity", "timestamp", "attributes"]):
            a = _load_attrs(attrs)
            act = "" if act is None else str(act)
            self.types.declare("event", act)
            for k, v in a.items():
                self.types.see("event", act, k, v)
            self.events.append((str(eid), act, ts, a))
        self.objects: list[tuple[str, str, dict[str, Any]]] = []
        self.object_type: dict[str, str] = {}
        for oid, otype, attrs in _rows(objects, ["object_id", "type", "attributes"]):
            a = _load_attrs(attrs)
            otype = "" if otype is None else str(otype)
            self.types.declare("object", otype)
            for k, v in a.items():
                self.types.see("object", otype, k, v)
            self.objects.append((str(oid), otype, a))
            self.object_type[str(oid)] = otype
        self.changes: dict[str, list[tuple[str, Any, dt.datetime | None]]] = defaultdict(list)
        for oid, name, value, ts in _rows(object_changes, ["object_id", "name", "value", "timestamp"]):
            v = _load_value(value)
            oid = str(oid)
            otype = self.object_type.get(oid)
            if otype is not None:
                self.types.see("object", otype, str(name), v)
            self.changes[oid].append((str(name), v, ts))
        for lst in self.changes.values():
            lst.sort(key=lambda c: (c[2] is not None, c[2] or dt.datetime.min))
        self.e2o: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for eid, oid, q in _rows(event_objects, ["event_id", "object_id", "qualifier"]):
            self.e2o[str(eid)].append((str(oid), "" if q is None else str(q)))
        self.o2o: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for sid, tid, q in _rows(object_objects, ["source_id", "target_id", "qualifier"]):
            self.o2o[str(sid)].append((str(tid), "" if q is None else str(q)))


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

def write_ocel2_json(path: str | Path, *, events: pa.Table, objects: pa.Table,
                     event_objects: pa.Table | None = None, object_objects: pa.Table | None = None,
                     object_changes: pa.Table | None = None,
                     attribute_types: Mapping[Any, str] | None = None) -> Path:
    """Write an OCEL 2.0 JSON file (``.jsonocel``/``.json``) and return its path.

    >>> import pyarrow as pa, datetime as dt, tempfile, os
    >>> ev = pa.table({"event_id": ["e1"], "activity": ["Create Order"],
    ...                "timestamp": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5)], pa.timestamp("us")),
    ...                "attributes": ['{"amount": 12.5}']})
    >>> ob = pa.table({"object_id": ["o1"], "type": ["order"], "attributes": [None]})
    >>> eo = pa.table({"event_id": ["e1"], "object_id": ["o1"], "qualifier": ["creates"]})
    >>> p = write_ocel2_json(os.path.join(tempfile.mkdtemp(), "x.jsonocel"), events=ev, objects=ob,
    ...                      event_objects=eo)
    >>> import json; json.load(open(p))["events"][0]["time"]
    '2024-01-02T03:04:05Z'
    """
    path = Path(path)
    prep = _Prepared(events, objects, event_objects, object_objects, object_changes, attribute_types)
    types = prep.types
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

    def event_items() -> Iterable[str]:
        for eid, act, ts, attrs in prep.events:
            yield dumps({
                "id": eid, "type": act, "time": _iso_z(ts),
                "attributes": [{"name": k, "value": _encode(v, types.type_of("event", act, k))}
                               for k, v in attrs.items() if v is not None],
                "relationships": [{"objectId": o, "qualifier": q} for o, q in prep.e2o.get(eid, ())],
            })

    def object_items() -> Iterable[str]:
        for oid, otype, attrs in prep.objects:
            values = [{"name": k, "time": _EPOCH, "value": _encode(v, types.type_of("object", otype, k))}
                      for k, v in attrs.items() if v is not None]
            values += [{"name": n, "time": _iso_z(ts), "value": _encode(v, types.type_of("object", otype, n))}
                       for n, v, ts in prep.changes.get(oid, ()) if v is not None]
            yield dumps({
                "id": oid, "type": otype, "attributes": values,
                "relationships": [{"objectId": t, "qualifier": q} for t, q in prep.o2o.get(oid, ())],
            })

    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"objectTypes":')
            f.write(dumps(types.declarations("object")))
            f.write(',\n"eventTypes":')
            f.write(dumps(types.declarations("event")))
            for key, items in (("objects", object_items()), ("events", event_items())):
                f.write(f',\n"{key}":[')
                first = True
                for item in items:
                    f.write("\n" if first else ",\n")
                    f.write(item)
                    first = False
                f.write("]")
            f.write("}\n")
    except ValueError as exc:  # NaN/Infinity are not JSON
        raise InputError(f"cannot write OCEL JSON ({exc})", path=path) from None
    return path


# ---------------------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------------------

_SQL_TYPES = {"string": "TEXT", "time": "TIMESTAMP", "integer": "INTEGER", "float": "REAL", "boolean": "BOOLEAN"}
_RESERVED = {"ocel_id", "ocel_time", "ocel_changed_field", "ocel_type", "ocel_type_map"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_suffixes(names: Iterable[str]) -> dict[str, str]:
    """OCEL 2.0 ``ocel_type_map``: the type name without non-alphanumerics, made unique
    (SQLite table names are case-insensitive)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(names):
        base = re.sub(r"[^0-9A-Za-z]", "", name) or "Type"
        cand, i = base, 2
        while cand.lower() in used:
            cand, i = f"{base}{i}", i + 1
        used.add(cand.lower())
        out[name] = cand
    return out


def _sql_value(value: Any, otype: str) -> Any:
    v = _encode(value, otype)
    if v is None:
        return None
    if otype == "boolean":
        return 1 if v else 0
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v


def _check_columns(path: Path, kind: str, type_name: str, attrs: Iterable[str]) -> None:
    seen: dict[str, str] = {}
    for a in attrs:
        low = a.lower()
        if low in _RESERVED:
            raise InputError(f"{kind} type {type_name!r} has an attribute named {a!r}, which OCEL 2.0 SQLite "
                             "reserves; rename it or export JSON", path=path)
        if low in seen:
            raise InputError(f"{kind} type {type_name!r} has attributes {seen[low]!r} and {a!r} that differ only "
                             "in case (SQLite columns are case-insensitive); export JSON instead", path=path)
        seen[low] = a


def write_ocel2_sqlite(path: str | Path, *, events: pa.Table, objects: pa.Table,
                       event_objects: pa.Table | None = None, object_objects: pa.Table | None = None,
                       object_changes: pa.Table | None = None,
                       attribute_types: Mapping[Any, str] | None = None) -> Path:
    """Write an OCEL 2.0 SQLite file (the standard relational schema) and return its path.

    Tables: ``event``, ``object``, ``event_object``, ``object_object``, ``event_map_type``,
    ``object_map_type``, ``event_<Type>`` and ``object_<Type>``.  Times are written as
    ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC.  An existing file at ``path`` is replaced.
    """
    path = Path(path)
    prep = _Prepared(events, objects, event_objects, object_objects, object_changes, attribute_types)
    types = prep.types
    ev_map = _table_suffixes(types.kinds["event"])
    ob_map = _table_suffixes(types.kinds["object"])
    for kind in ("event", "object"):
        for t, attrs in types.kinds[kind].items():
            _check_columns(path, kind, t, attrs)
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    try:
        cur = con.cursor()
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
        cur.execute("CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
        cur.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
        cur.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT)")
        cur.execute("CREATE TABLE event_object (ocel_event_id TEXT, ocel_object_id TEXT, ocel_qualifier TEXT, "
                    "PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier))")
        cur.execute("CREATE TABLE object_object (ocel_source_id TEXT, ocel_target_id TEXT, ocel_qualifier TEXT, "
                    "PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier))")
        cur.executemany("INSERT INTO event_map_type VALUES (?, ?)", sorted(ev_map.items()))
        cur.executemany("INSERT INTO object_map_type VALUES (?, ?)", sorted(ob_map.items()))

        ev_cols: dict[str, list[str]] = {}
        for t, suffix in ev_map.items():
            cols = sorted(types.kinds["event"][t])
            ev_cols[t] = cols
            defs = "".join(f", {_q(c)} {_SQL_TYPES[types.type_of('event', t, c)]}" for c in cols)
            cur.execute(f"CREATE TABLE {_q('event_' + suffix)} (ocel_id TEXT PRIMARY KEY, ocel_time TIMESTAMP{defs})")
        ob_cols: dict[str, list[str]] = {}
        for t, suffix in ob_map.items():
            cols = sorted(types.kinds["object"][t])
            ob_cols[t] = cols
            defs = "".join(f", {_q(c)} {_SQL_TYPES[types.type_of('object', t, c)]}" for c in cols)
            cur.execute(f"CREATE TABLE {_q('object_' + suffix)} (ocel_id TEXT, ocel_time TIMESTAMP, "
                        f"ocel_changed_field TEXT{defs})")

        # events, grouped per type table (kept in input order inside each table)
        per_type: dict[str, list[tuple]] = defaultdict(list)
        base: list[tuple[str, str]] = []
        for eid, act, ts, attrs in prep.events:
            base.append((eid, act))
            cols = ev_cols[act]
            per_type[act].append((eid, _sql_time(ts),
                                  *(_sql_value(attrs.get(c), types.type_of("event", act, c)) for c in cols)))
        cur.executemany("INSERT OR IGNORE INTO event VALUES (?, ?)", base)
        for t, rows in per_type.items():
            marks = ", ".join("?" * (2 + len(ev_cols[t])))
            cur.executemany(f"INSERT OR IGNORE INTO {_q('event_' + ev_map[t])} VALUES ({marks})", rows)

        per_type = defaultdict(list)
        obase: list[tuple[str, str]] = []
        for oid, otype, attrs in prep.objects:
            obase.append((oid, otype))
            cols = ob_cols[otype]
            per_type[otype].append((oid, _sql_time(None), None,
                                    *(_sql_value(attrs.get(c), types.type_of("object", otype, c)) for c in cols)))
            for name, value, ts in prep.changes.get(oid, ()):
                if value is None:
                    continue
                per_type[otype].append((oid, _sql_time(ts), name,
                                        *(_sql_value(value, types.type_of("object", otype, c)) if c == name else None
                                          for c in cols)))
        cur.executemany("INSERT OR IGNORE INTO object VALUES (?, ?)", obase)
        for t, rows in per_type.items():
            marks = ", ".join("?" * (3 + len(ob_cols[t])))
            cur.executemany(f"INSERT INTO {_q('object_' + ob_map[t])} VALUES ({marks})", rows)

        cur.executemany("INSERT OR IGNORE INTO event_object VALUES (?, ?, ?)",
                        ((eid, oid, q) for eid, links in prep.e2o.items() for oid, q in links))
        cur.executemany("INSERT OR IGNORE INTO object_object VALUES (?, ?, ?)",
                        ((sid, tid, q) for sid, links in prep.o2o.items() for tid, q in links))
        con.commit()
    finally:
        con.close()
    return path

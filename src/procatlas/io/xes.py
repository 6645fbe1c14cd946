"""Streaming reader of XES event logs (IEEE 1849-2023; .xes, .xes.gz, .zip) into the staging area."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import xml.parsers.expat as expat

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._open import open_binary
from procatlas.io._stage import Stager, arrow_schema

# Events per Arrow batch handed to the stager: big enough that DuckDB's insert cost is
# amortised, small enough that memory stays bounded on logs of any size.
BATCH_EVENTS = 65_536

XES_TYPES = frozenset({"string", "date", "int", "float", "boolean", "id", "list", "container"})
_SCALAR_TYPES = frozenset({"string", "date", "int", "float", "boolean", "id"})
_START_KEYS = frozenset({"start_timestamp", "time:start"})

# role slots of an event (index into the per-event role list)
_ACT, _TS, _START, _LIFE, _RES, _GRP, _EID = range(7)
_ROLE_DEFAULTS = {"activity": "concept:name", "timestamp": "time:timestamp", "lifecycle": "lifecycle:transition",
                  "resource": "org:resource", "group": "org:group", "start_timestamp": None}
_ROLE_SLOT = {"activity": _ACT, "timestamp": _TS, "start_timestamp": _START, "lifecycle": _LIFE,
              "resource": _RES, "group": _GRP}
_NO_SLOT = -1


def _local(tag: str) -> str:
    """Local name of an element name as written (``xes:event`` -> ``event``)."""
    return tag.rpartition(":")[2]


def _scalar(typ: str, value: str | None) -> Any:
    """The JSON value of one XES scalar attribute; unparsable numbers stay text (never dropped)."""
    if value is None:
        return None
    if typ == "int":
        try:
            return int(value)
        except ValueError:
            return value
    if typ == "float":
        try:
            f = float(value)
        except ValueError:
            return value
        return f if math.isfinite(f) else value  # JSON has no NaN/Infinity
    if typ == "boolean":
        return value.strip().lower() == "true"
    return value


def _nested(node: list, typ: str) -> Any:
    """JSON value of a list (array of one-key objects) or container (object) attribute.

    ``node`` is ``[name, attrs, children]`` as captured by the parser."""
    children = node[2]
    if typ == "list":
        # XES 1.0 wraps list items in <values>; IEEE 1849-2023 puts them directly in the list
        for child in children:
            if _local(child[0]) == "values":
                children = child[2]
                break
    items: list[tuple[str, Any]] = []
    for child in children:
        ctyp = _local(child[0])
        key = child[1].get("key")
        if ctyp not in XES_TYPES or key is None:
            continue
        value = _nested(child, ctyp) if ctyp in ("list", "container") else _scalar(ctyp, child[1].get("value"))
        items.append((key, value))
    if typ == "list":
        return [{k: v} for k, v in items]
    out: dict[str, Any] = {}
    for k, v in items:
        name, n = k, 1
        while name in out:  # duplicate keys are kept, numbered (nothing read is dropped)
            n += 1
            name = f"{k}#{n}"
        out[name] = v
    return out


def _value(node: list) -> Any:
    typ = _local(node[0])
    return _nested(node, typ) if typ in ("list", "container") else _scalar(typ, node[1].get("value"))


class _Header:
    """What the log says before its first trace: extensions, global defaults, classifiers."""

    def __init__(self) -> None:
        self.extensions: list[dict[str, str]] = []
        self.globals: dict[str, dict[str, Any]] = {}
        self.classifiers: list[dict[str, str]] = []
        self.log_attributes: dict[str, Any] = {}

    def add(self, node: list) -> None:
        """Take one child of <log> that is not a trace or event."""
        kind = _local(node[0])
        if kind == "extension":
            self.extensions.append(dict(node[1]))
        elif kind == "classifier":
            self.classifiers.append(dict(node[1]))
        elif kind == "global":
            self.globals[node[1].get("scope", "event")] = {
                c[1].get("key"): _value(c) for c in node[2] if _local(c[0]) in XES_TYPES}
        elif kind in XES_TYPES and node[1].get("key") is not None:
            self.log_attributes[node[1]["key"]] = _value(node)


def read_xes(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stream the XES file at ``path`` into ``stager`` (events, trace attributes, attribute types).

    Raises :class:`InputError` (one line, with file and line) for malformed XML, a wrong root
    element, or a corrupt/truncated archive.  Events and traces without a usable
    ``concept:name`` are staged with NULL activity / case id so the workspace rejects them
    with a reason (nothing read is silently dropped).

    Files in the plain shape every XES writer produces go through the vectorised reader
    (:mod:`procatlas.io.xes_fast`); anything else (nested attributes, comments in the body,
    other encodings, malformed XML, ...) through the expat reader, which gives identical rows
    and the error messages.  ``PROCATLAS_XES_FAST=0`` forces the expat reader.
    """
    path = Path(path)
    if os.environ.get("PROCATLAS_XES_FAST", "1") != "0":
        from procatlas.io.xes_fast import NotSimple, read_xes_fast

        start = stager.savepoint()
        try:
            read_xes_fast(path, stager, options)
            return
        except (NotSimple, InputError):
            stager.rollback(start)  # start again from the first byte; expat words the error, if any
    read_xes_expat(path, stager, options)


def read_xes_expat(path: Path, stager: Stager, options: ReadOptions) -> None:
    """The general reader: expat over the whole file (any well-formed XES, any encoding)."""
    path = Path(path)
    with open_binary(path) as (stream, counter):
        parser = expat.ParserCreate()
        reader = _Reader(path, parser, stager, options)
        try:
            while True:
                chunk = stream.read(READ_BYTES)
                if not chunk:
                    break
                parser.Parse(chunk, False)
                stager.advance(counter.consumed)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            reason = expat.errors.messages.get(exc.code, str(exc))
            raise InputError(f"malformed XML ({reason}, line {exc.lineno}, column {exc.offset})", path=path,
                             location=exc.lineno) from None
        reader.finish()


READ_BYTES = 1 << 20


class _Reader:
    """Expat handlers that turn XES elements into staged rows.

    pyexpat rather than lxml.iterparse: on BPIC 2012 the same event loop costs 1.6 s of CPU
    with expat and 2.5 s with iterparse (whose cost is the Python proxy made for every
    attribute element); expat hands over each element's attributes as a dict and keeps no tree.
    """

    def __init__(self, path: Path, parser: Any, stager: Stager, options: ReadOptions):
        self.path = path
        self.parser = parser
        self.stager = stager
        mapping = options.mapping
        # attribute key -> role slot: the XES standard keys first, then what the user mapped
        # (so mapping resource='org:group' takes org:group away from the group role)
        explicit: dict[str, int] = {"identity:id": _EID}
        for role, default in _ROLE_DEFAULTS.items():
            if default is not None and not getattr(mapping, role):
                explicit[default] = _ROLE_SLOT[role]
        for role in _ROLE_DEFAULTS:
            if getattr(mapping, role):
                explicit[getattr(mapping, role)] = _ROLE_SLOT[role]
        self.explicit = explicit
        case_key = mapping.case or "concept:name"
        if case_key.startswith("case:"):
            case_key = case_key[len("case:"):]  # pm4py's flattened spelling names the trace attribute
        self.case_key = case_key
        self.start_key_given = bool(mapping.start_timestamp)
        self.schema = arrow_schema("case_event")
        self.header = _Header()
        self.stats = {"no_case": 0, "meta": 0, "unknown": 0, "outside": 0, "traces": 0}
        self.declared: set[tuple[str, str, str]] = set()
        self.position = 0
        self.flushed_upto = 0
        self.rows: list[list[Any]] = []
        self.case_col: list[str | None] = []
        self.case_rows_id: list[str] = []
        self.case_rows_attrs: list[str] = []
        self.root: str | None = None
        parser.StartElementHandler, parser.EndElementHandler = self._handlers()

    def _handlers(self):  # noqa: C901 - one hot loop, kept in closures for speed
        explicit = self.explicit
        start_key_given = self.start_key_given
        case_key = self.case_key
        stats = self.stats
        declared = self.declared
        rows = self.rows
        case_col = self.case_col
        header = self.header
        parser = self.parser
        dumps = json.dumps
        slot_of: dict[str | None, int] = {}
        kind_of: dict[str, str] = {}
        event_types: dict[str, str] = {}
        case_types: dict[str, str] = {}
        scalar_types = _SCALAR_TYPES

        # parser state
        depth = 0
        ev_depth = -5          # depth of the open <event> (-5: none)
        tr_depth = -5          # depth of the open <trace> (-5: none)
        row: list[Any] | None = None
        extra: dict[str, Any] | None = None
        pending = 0            # events of the open trace not yet given a case id
        case_id: str | None = None
        trace_attrs: dict[str, Any] = {}
        cap_stack: list[list] | None = None  # mini-tree being captured (nested attributes, header)
        cap_base = 0
        cap_target = ""        # 'event' | 'trace' | 'header'
        skip_above = 1 << 30   # meta-attributes below a scalar attribute: counted, not read

        def slot_for(key: str | None) -> int:
            slot = explicit.get(key, _NO_SLOT) if key is not None else _NO_SLOT
            if slot == _NO_SLOT and not start_key_given and key is not None and key.lower() in _START_KEYS:
                slot = _START  # taken only when the attribute is a <date>
            slot_of[key] = slot
            return slot

        def kind(name: str) -> str:
            k = kind_of[name] = _local(name)
            return k

        def add_extra(key: str, value: Any, typ: str) -> None:
            nonlocal extra
            if extra is None:
                extra = {key: value}
            elif key in extra:
                name, n = key, 1
                while name in extra:
                    n += 1
                    name = f"{key}#{n}"
                extra[name] = value
            else:
                extra[key] = value
            if event_types.get(key) != typ:
                event_types[key] = typ
                declared.add(("event", key, typ))

        def add_trace_attr(key: str, value: Any, typ: str) -> None:
            nonlocal case_id
            if key == case_key and case_id is None and typ in scalar_types:
                case_id = value
                return
            if typ in scalar_types:
                value = _scalar(typ, value)
            name, n = key, 1
            while name in trace_attrs:
                n += 1
                name = f"{key}#{n}"
            trace_attrs[name] = value
            if case_types.get(key) != typ:
                case_types[key] = typ
                declared.add(("case", key, typ))

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal depth, ev_depth, tr_depth, row, extra, pending, case_id, trace_attrs
            nonlocal cap_stack, cap_base, cap_target, skip_above
            depth += 1
            if depth == ev_depth + 1:  # an attribute of the open event: the hot path
                key = attrs.get("key")
                slot = slot_of.get(key)
                if slot is None:
                    slot = slot_for(key)
                typ = kind_of.get(name) or kind(name)
                if slot >= 0 and row[slot] is None and typ in scalar_types and (
                        slot != _START or start_key_given or typ == "date"):
                    row[slot] = attrs.get("value")
                    skip_above = depth
                    return
                if typ in scalar_types:
                    if key is None:
                        stats["unknown"] += 1
                    else:
                        value = attrs.get("value")
                        add_extra(key, value if typ == "string" else _scalar(typ, value), typ)
                    skip_above = depth
                elif typ in ("list", "container") and key is not None:
                    cap_stack = [[name, attrs, []]]
                    cap_base = depth
                    cap_target = "event"
                else:
                    stats["unknown"] += 1
                    skip_above = depth
                return
            if cap_stack is not None:
                node = [name, attrs, []]
                cap_stack[-1][2].append(node)
                cap_stack.append(node)
                return
            if depth > skip_above:
                stats["meta"] += 1  # a meta-attribute (or any element) below a scalar attribute
                return
            typ = kind_of.get(name) or kind(name)
            if typ == "event" and (depth == tr_depth + 1 or depth == 2):
                ev_depth = depth
                row = [None, None, None, None, None, None, None, None, parser.CurrentLineNumber]
                extra = None
                return
            if depth == tr_depth + 1:  # an attribute of the open trace
                key = attrs.get("key")
                if typ in scalar_types and key is not None:
                    add_trace_attr(key, attrs.get("value"), typ)
                    skip_above = depth
                elif typ in ("list", "container") and key is not None:
                    cap_stack = [[name, attrs, []]]
                    cap_base = depth
                    cap_target = "trace"
                else:
                    stats["unknown"] += 1
                    skip_above = depth
                return
            if depth == 1:
                self.root = typ
                if typ != "log":
                    raise InputError(f"not an XES log: root element is <{typ}>, expected <log>", path=self.path,
                                     location=parser.CurrentLineNumber)
                return
            if depth == 2:
                if typ == "trace":
                    tr_depth = depth
                    case_id = None
                    trace_attrs = {}
                    pending = 0
                    return
                cap_stack = [[name, attrs, []]]
                cap_base = depth
                cap_target = "header"
                return
            stats["unknown"] += 1  # e.g. an <event> nested in an attribute: not an event of the log
            skip_above = depth

        def end(name: str) -> None:
            nonlocal depth, ev_depth, tr_depth, row, extra, pending, case_id, cap_stack, skip_above
            d = depth
            depth = d - 1
            if d == skip_above:
                skip_above = 1 << 30
                return
            if cap_stack is not None:
                node = cap_stack.pop()
                if d == cap_base:
                    cap_stack = None
                    if cap_target == "event":
                        add_extra(node[1]["key"], _value(node), _local(node[0]))
                    elif cap_target == "trace":
                        add_trace_attr(node[1]["key"], _value(node), _local(node[0]))
                    else:
                        header.add(node)
                return
            if d == ev_depth:
                if extra is not None:
                    row[7] = dumps(extra, ensure_ascii=False)
                rows.append(row)
                self.position += 1
                row = None
                ev_depth = -5
                if d == 2:  # an event outside any trace: staged, rejected by the workspace
                    case_col.append(None)
                    stats["outside"] += 1
                    if len(rows) >= BATCH_EVENTS:
                        self.flush()
                else:
                    pending += 1
                return
            if d == tr_depth:
                tr_depth = -5
                stats["traces"] += 1
                if case_id is None:
                    stats["no_case"] += 1
                else:
                    self.case_rows_id.append(case_id)
                    self.case_rows_attrs.append(dumps(trace_attrs, ensure_ascii=False) if trace_attrs else "{}")
                case_col.extend([case_id] * pending)
                pending = 0
                if len(rows) >= BATCH_EVENTS:
                    self.flush()

        return start, end

    def flush(self) -> None:
        rows = self.rows
        n = len(rows)
        if n:
            cols = [list(c) for c in zip(*rows)]  # pa.array is slow on tuples
            nulls = pa.nulls(n, pa.timestamp("us"))
            table = pa.Table.from_arrays([
                pa.array(self.case_col, pa.string()), pa.array(cols[_ACT], pa.string()), nulls,
                pa.array(cols[_TS], pa.string()), nulls, pa.array(cols[_START], pa.string()),
                pa.array(cols[_LIFE], pa.string()), pa.array(cols[_RES], pa.string()),
                pa.array(cols[_GRP], pa.string()), pa.array(cols[_EID], pa.string()),
                pa.array(range(self.flushed_upto, self.flushed_upto + n), pa.int64()),
                pa.array(cols[7], pa.string()), pa.array(cols[8], pa.int64()),
            ], schema=self.schema)
            self.stager.append("case_event", table)
            self.flushed_upto += n
            rows.clear()
            self.case_col.clear()
        if self.case_rows_id:
            self.stager.append("case", {"case_id": self.case_rows_id[:], "attributes": self.case_rows_attrs[:]})
            self.case_rows_id.clear()
            self.case_rows_attrs.clear()

    def finish(self) -> None:
        stager, stats, header = self.stager, self.stats, self.header
        if self.root is None:
            raise InputError("not an XES log: no root element", path=self.path)
        # unterminated trace cannot reach here (expat reports it); guard the invariant anyway
        if len(self.case_col) < len(self.rows):
            self.case_col.extend([None] * (len(self.rows) - len(self.case_col)))
        self.flush()
        if self.declared:
            rows = sorted(self.declared)
            stager.append("attribute", {"scope": [r[0] for r in rows], "name": [r[1] for r in rows],
                                        "type": [r[2] for r in rows]})
        stager.detected.update({
            "format": "xes",
            "traces": stats["traces"],
            "events": self.position,
            "xes_extensions": header.extensions,
            "xes_globals": header.globals,
            "xes_classifiers": header.classifiers,
            "xes_log_attributes": header.log_attributes,
        })
        if stats["traces"] == 0 and self.position == 0:
            stager.note("the XES log holds no traces and no events")
        if stats["no_case"]:
            stager.note(f"{stats['no_case']} trace(s) have no '{self.case_key}' attribute; their events are rejected")
        if stats["outside"]:
            stager.note(f"{stats['outside']} event(s) lie outside any trace; they are rejected")
        if stats["meta"]:
            stager.note(f"{stats['meta']} meta-attribute(s) nested under scalar attributes were not imported")
        if stats["unknown"]:
            stager.note(f"{stats['unknown']} element(s) that are not XES attributes were skipped")

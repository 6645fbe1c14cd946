"""Streaming reader of XES event logs (IEEE 1849-2023; .xes, .xes.gz, .zip) into the staging area."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
from lxml import etree

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


def _local(tag: Any) -> str:
    """Local name of an element tag ('' for comments and processing instructions)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


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


def _nested(elem: etree._Element, typ: str) -> Any:
    """JSON value of a list (array of one-key objects) or container (object) attribute."""
    children = elem
    if typ == "list":
        # XES 1.0 wraps list items in <values>; IEEE 1849-2023 puts them directly in the list
        for child in elem:
            if _local(child.tag) == "values":
                children = child
                break
    items: list[tuple[str, Any]] = []
    for child in children:
        ctyp = _local(child.tag)
        if ctyp not in XES_TYPES:
            continue
        key = child.get("key")
        if key is None:
            continue
        value = _nested(child, ctyp) if ctyp in ("list", "container") else _scalar(ctyp, child.get("value"))
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


class _Header:
    """What the log says before its first trace: extensions, global defaults, classifiers."""

    def __init__(self) -> None:
        self.extensions: list[dict[str, str]] = []
        self.globals: dict[str, dict[str, Any]] = {}
        self.classifiers: list[dict[str, str]] = []
        self.log_attributes: dict[str, Any] = {}

    def read(self, log: etree._Element) -> None:
        for child in log:
            kind = _local(child.tag)
            if kind in ("trace", "event"):
                break
            if kind == "extension":
                self.extensions.append(dict(child.attrib))
            elif kind == "classifier":
                self.classifiers.append(dict(child.attrib))
            elif kind == "global":
                scope = child.get("scope", "event")
                self.globals[scope] = {
                    a.get("key"): (_nested(a, _local(a.tag)) if _local(a.tag) in ("list", "container")
                                   else _scalar(_local(a.tag), a.get("value")))
                    for a in child if _local(a.tag) in XES_TYPES}
            elif kind in XES_TYPES and child.get("key") is not None:
                self.log_attributes[child.get("key")] = (
                    _nested(child, kind) if kind in ("list", "container") else _scalar(kind, child.get("value")))


def read_xes(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stream the XES file at ``path`` into ``stager`` (events, trace attributes, attribute types).

    Raises :class:`InputError` (one line, with file and line) for malformed XML, a wrong root
    element, or a corrupt/truncated archive.  Events and traces without a usable
    ``concept:name`` are staged with NULL activity / case id so the workspace rejects them
    with a reason (nothing read is silently dropped).
    """
    path = Path(path)
    with open_binary(path) as (stream, counter):
        try:
            _read(path, stream, counter, stager, options)
        except etree.XMLSyntaxError as exc:
            msg = " ".join(str(exc.msg or exc).split())
            raise InputError(f"malformed XML ({msg})", path=path, location=exc.lineno or None) from None


def _read(path: Path, stream: Any, counter: Any, stager: Stager, options: ReadOptions) -> None:
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
    case_key = mapping.case or "concept:name"
    if case_key.startswith("case:"):
        case_key = case_key[len("case:"):]  # pm4py's flattened spelling names the trace attribute
    start_key_given = bool(mapping.start_timestamp)

    slot_of: dict[str | None, int] = {}  # attribute key -> role slot (or _NO_SLOT); cached

    def slot_for(key: str | None) -> int:
        slot = explicit.get(key, _NO_SLOT) if key is not None else _NO_SLOT
        if slot == _NO_SLOT and not start_key_given and key is not None and key.lower() in _START_KEYS:
            slot = _START  # only taken when the attribute is a date (checked by the caller)
        slot_of[key] = slot
        return slot

    kind_of: dict[Any, str] = {}  # element tag -> local name (cached; comments map to "")

    # column lists of the current batch
    case_col: list[str | None] = []
    rows: list[list[Any]] = []
    case_rows_id: list[str] = []
    case_rows_attrs: list[str] = []

    event_types: dict[str, str] = {}
    declared: set[tuple[str, str, str]] = set()
    case_types: dict[str, str] = {}
    stats = {"no_case": 0, "meta": 0, "unknown": 0, "outside": 0, "traces": 0}
    header = _Header()
    schema = arrow_schema("case_event")
    position = 0
    flushed_upto = 0  # position of the first event of the current batch

    def flush() -> None:
        nonlocal flushed_upto
        n = len(rows)
        if n:
            cols = [list(c) for c in zip(*rows)]  # pa.array is slow on tuples
            nulls = pa.nulls(n, pa.timestamp("us"))
            table = pa.Table.from_arrays([
                pa.array(case_col, pa.string()), pa.array(cols[_ACT], pa.string()), nulls,
                pa.array(cols[_TS], pa.string()), nulls, pa.array(cols[_START], pa.string()),
                pa.array(cols[_LIFE], pa.string()), pa.array(cols[_RES], pa.string()),
                pa.array(cols[_GRP], pa.string()), pa.array(cols[_EID], pa.string()),
                pa.array(range(flushed_upto, flushed_upto + n), pa.int64()),
                pa.array(cols[7], pa.string()), pa.array(cols[8], pa.int64()),
            ], schema=schema)
            stager.append("case_event", table)
            flushed_upto += n
            rows.clear()
            case_col.clear()
        if case_rows_id:
            stager.append("case", {"case_id": case_rows_id[:], "attributes": case_rows_attrs[:]})
            case_rows_id.clear()
            case_rows_attrs.clear()
        stager.advance(counter.consumed)

    def declare(scope: str, key: str, typ: str) -> None:
        declared.add((scope, key, typ))

    def trace_end(trace: etree._Element, pending: int) -> None:
        """Read the trace's own attributes (its events are already cleared) and close it."""
        case_id: str | None = None
        attrs: dict[str, Any] = {}
        for child in trace:
            kind = kind_of.get(child.tag)
            if kind is None:
                kind = kind_of[child.tag] = _local(child.tag)
            if kind == "event" or not kind:
                continue
            if kind not in XES_TYPES:
                stats["unknown"] += 1
                continue
            key = child.get("key")
            if key is None:
                stats["unknown"] += 1
                continue
            if key == case_key and case_id is None and kind in _SCALAR_TYPES:
                case_id = child.get("value")
                continue
            if kind in _SCALAR_TYPES:
                attrs[key] = _scalar(kind, child.get("value"))
                if len(child):
                    stats["meta"] += len(child)
            else:
                attrs[key] = _nested(child, kind)
            if case_types.get(key) != kind:
                case_types[key] = kind
                declare("case", key, kind)
        if case_id is None:
            stats["no_case"] += 1
        else:
            case_rows_id.append(case_id)
            case_rows_attrs.append(json.dumps(attrs, ensure_ascii=False) if attrs else "{}")
        case_col.extend([case_id] * pending)

    context = etree.iterparse(stream, events=("end",), tag=("{*}event", "{*}trace"), huge_tree=True,
                              resolve_entities=False, no_network=True, load_dtd=False, recover=False)
    pending = 0  # events of the open trace not yet given a case id
    log_checked = False
    dumps = json.dumps
    for _, elem in context:
        tag = elem.tag
        kind = kind_of.get(tag)
        if kind is None:
            kind = kind_of[tag] = _local(tag)
        parent = elem.getparent()
        if not log_checked:
            log = parent if kind == "trace" else (parent.getparent() if parent is not None else None)
            if kind == "event" and parent is not None and _local(parent.tag) == "log":
                log = parent
            if log is None or _local(log.tag) != "log" or log.getparent() is not None:
                root = elem.getroottree().getroot()
                raise InputError(f"not an XES log: root element is <{_local(root.tag)}>, expected <log>",
                                 path=path, location=root.sourceline)
            header.read(log)
            log_checked = True
        if kind == "trace":
            stats["traces"] += 1
            trace_end(elem, pending)
            pending = 0
            elem.clear(keep_tail=False)
            while elem.getprevious() is not None:
                del parent[0]
            if len(rows) >= BATCH_EVENTS:
                flush()
            continue

        # an <event>
        ptag = parent.tag if parent is not None else None
        pkind = kind_of.get(ptag)
        if pkind is None:
            pkind = kind_of[ptag] = _local(ptag)
        if pkind == "trace":
            pending += 1
        elif pkind == "log":
            case_col.append(None)  # an event outside any trace: staged, rejected by the workspace
            stats["outside"] += 1
        else:
            stats["unknown"] += 1  # e.g. an <event> nested in an attribute: not an event of the log
            continue
        # row: activity, ts_text, start_ts_text, lifecycle, resource, grp, event_id, attributes, location
        row: list[Any] = [None, None, None, None, None, None, None, None, elem.sourceline]
        extra: dict[str, Any] | None = None
        for child in elem:
            key = child.get("key")
            slot = slot_of.get(key)
            if slot is None:
                slot = slot_for(key)
            if slot >= 0 and row[slot] is None:
                if slot != _START or start_key_given or _local(child.tag) == "date":
                    row[slot] = child.get("value")
                    continue
            ctag = child.tag
            typ = kind_of.get(ctag)
            if typ is None:
                typ = kind_of[ctag] = _local(ctag)
            if typ == "string":
                value = child.get("value")
            elif typ in _SCALAR_TYPES:
                value = _scalar(typ, child.get("value"))
                if len(child):
                    stats["meta"] += len(child)
            elif typ in ("list", "container"):
                value = _nested(child, typ)
            else:
                if typ:
                    stats["unknown"] += 1
                continue
            if key is None:
                stats["unknown"] += 1
                continue
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
                declare("event", key, typ)
        if extra is not None:
            row[7] = dumps(extra, ensure_ascii=False)
        rows.append(row)
        position += 1
        elem.clear(keep_tail=False)
        prev = elem.getprevious()
        if prev is not None and prev.tag == tag:  # earlier events are done with: bounded memory
            parent.remove(prev)
        if pkind == "log" and len(rows) >= BATCH_EVENTS:
            flush()

    root = context.root
    if root is None or _local(root.tag) != "log":
        name = _local(root.tag) if root is not None else ""
        raise InputError(f"not an XES log: root element is <{name}>, expected <log>", path=path,
                         location=root.sourceline if root is not None else None)
    if not log_checked:
        header.read(root)
    if pending:  # cannot happen with well-formed XML; kept for safety
        case_col.extend([None] * pending)
    flush()
    if declared:
        rows = sorted(declared)
        stager.append("attribute", {"scope": [r[0] for r in rows], "name": [r[1] for r in rows],
                                    "type": [r[2] for r in rows]})
    stager.detected.update({
        "format": "xes",
        "traces": stats["traces"],
        "events": position,
        "xes_extensions": header.extensions,
        "xes_globals": header.globals,
        "xes_classifiers": header.classifiers,
        "xes_log_attributes": header.log_attributes,
    })
    if stats["traces"] == 0 and position == 0:
        stager.note("the XES log holds no traces and no events")
    if stats["no_case"]:
        stager.note(f"{stats['no_case']} trace(s) have no '{case_key}' attribute; their events are rejected")
    if stats["outside"]:
        stager.note(f"{stats['outside']} event(s) lie outside any trace; they are rejected")
    if stats["meta"]:
        stager.note(f"{stats['meta']} meta-attribute(s) nested under scalar attributes were not imported")
    if stats["unknown"]:
        stager.note(f"{stats['unknown']} element(s) that are not XES attributes were skipped")

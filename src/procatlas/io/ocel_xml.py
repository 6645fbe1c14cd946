"""Reading OCEL XML (2.0 and 1.0, told apart by content) into the staging tables, streaming."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._open import open_binary
from procatlas.io._stage import Stager
from procatlas.io.ocel_sink import OcelSink, split_history

_EPOCH = re.compile(r"^(1970-01-01([T ]00:00(:00(\.0*)?)?)?(Z|[+-]00(:?00)?)?|0)$")
# OCEL 1.0 XML value elements -> (XES type, converter)
_V1_TYPES = {"string": "string", "date": "date", "int": "int", "float": "float", "boolean": "boolean"}


def _local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _is_epoch(time: str | None) -> bool:
    return time is None or bool(_EPOCH.match(time.strip()))


def _v1_value(el: Any, sink: OcelSink, scope: str) -> tuple[str | None, Any]:
    tag = _local(el.tag)
    key, raw = el.get("key"), el.get("value")
    if key is None or raw is None:
        return None, None
    if tag == "int":
        try:
            value: Any = int(raw)
        except ValueError:
            value = raw
    elif tag == "float":
        try:
            value = float(raw)
        except ValueError:
            value = raw
    elif tag == "boolean":
        value = raw.strip().lower() == "true"
    else:
        value = raw
    sink.attr(scope, key, _V1_TYPES.get(tag, "string"))
    return key, value


def read_ocel_xml(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stage an OCEL 2.0 or OCEL 1.0 XML file (``.xmlocel``/``.xml``, optionally compressed)."""
    path = Path(path)
    sink = OcelSink(stager, path, options)
    ev_types: dict[str, dict[str, str]] = {}
    ob_types: dict[str, dict[str, str]] = {}
    version: str | None = None
    seen_ocel = False
    with open_binary(path) as (stream, counter):
        parser = etree.iterparse(stream, events=("start", "end"), huge_tree=True, resolve_entities=False,
                                 remove_comments=True, remove_pis=True)
        depth = 0
        root = None
        section = None
        n = 0
        try:
            for action, el in parser:
                if action == "start":
                    depth += 1
                    if depth == 1:
                        root = el
                        if _local(el.tag) != "log":
                            raise InputError(f"is XML but not OCEL (root element <{_local(el.tag)}>, expected <log>)",
                                             path=path, location=el.sourceline)
                    elif depth == 2:
                        section = _local(el.tag)
                        if section == "trace":
                            raise InputError("is XML but not OCEL (it has <trace> elements: an XES log? "
                                             "rename it to .xes)", path=path, location=el.sourceline)
                        if section == "global" and version is None:
                            version = "1.0"
                        elif section in ("object-types", "event-types") and version is None:
                            version = "2.0"
                    continue
                depth -= 1
                if depth == 2:
                    tag = _local(el.tag)
                    if section == "events" and tag == "event":
                        seen_ocel = True
                        if version is None:
                            version = "2.0" if el.get("id") is not None else "1.0"
                        (_v2_event if version == "2.0" else _v1_event)(el, sink, ev_types)
                    elif section == "objects" and tag == "object":
                        seen_ocel = True
                        if version is None:
                            version = "2.0" if el.get("id") is not None else "1.0"
                        (_v2_object if version == "2.0" else _v1_object)(el, sink, ob_types)
                    elif section == "object-types" and tag == "object-type":
                        _v2_type(el, ob_types, sink, "object")
                    elif section == "event-types" and tag == "event-type":
                        _v2_type(el, ev_types, sink, "event")
                    el.clear(keep_tail=False)
                    while el.getprevious() is not None:
                        del el.getparent()[0]
                    n += 1
                    if n % 5000 == 0:
                        stager.advance(counter.consumed)
                elif depth == 1:
                    el.clear(keep_tail=False)
                    if root is not None:
                        while el.getprevious() is not None:
                            del root[0]
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else None
            msg = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc)
            kind = "truncated or malformed XML" if "end" in msg.lower() or "premature" in msg.lower() \
                else "malformed XML"
            raise InputError(f"{kind} ({msg})", path=path, location=line) from None
        stager.advance(counter.consumed)
    if not seen_ocel and root is None:
        raise InputError("is empty", path=path)
    if not seen_ocel and version is None:
        raise InputError("is XML but not OCEL (no <events> or <objects> with OCEL content)", path=path)
    stager.detected["format"] = "ocel2-xml" if version == "2.0" else "ocel1-xml"
    sink.close()


# ---- OCEL 2.0 --------------------------------------------------------------------------

def _v2_type(el: Any, book: dict[str, dict[str, str]], sink: OcelSink, scope: str) -> None:
    name = el.get("name")
    attrs: dict[str, str] = {}
    for a in el.iter("{*}attribute", "attribute"):
        if a.get("name") is not None:
            attrs[a.get("name")] = a.get("type") or "string"
            sink.typed(scope, "", a.get("name"), None, attrs[a.get("name")])
    book[str(name)] = attrs


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c.tag) == name]


def _v2_event(el: Any, sink: OcelSink, ev_types: dict[str, dict[str, str]]) -> None:
    eid, act = el.get("id"), el.get("type")
    declared = ev_types.get(str(act), {})
    values: dict[str, Any] = {}
    for attrs in _children(el, "attributes"):
        for a in _children(attrs, "attribute"):
            name = a.get("name")
            if name is not None and a.text is not None:
                values[name] = sink.typed("event", str(act), name, a.text, declared.get(name, "string"))
    sink.event(eid, act, el.get("time"), values, el.sourceline)
    for objs in _children(el, "objects"):
        for rel in _children(objs, "relationship"):
            sink.e2o(eid, rel.get("object-id"), rel.get("qualifier"))


def _v2_object(el: Any, sink: OcelSink, ob_types: dict[str, dict[str, str]]) -> None:
    oid, otype = el.get("id"), el.get("type")
    declared = ob_types.get(str(otype), {})
    entries: list[tuple[str, Any, str | None]] = []
    for attrs in _children(el, "attributes"):
        for a in _children(attrs, "attribute"):
            name = a.get("name")
            if name is not None and a.text is not None:
                entries.append((name, sink.typed("object", str(otype), name, a.text, declared.get(name, "string")),
                                a.get("time")))
    initial, later = split_history(entries, _is_epoch)
    sink.obj(oid, otype, initial)
    for name, value, time in later:
        sink.change(oid, name, value, time if time is not None else "1970-01-01T00:00:00Z")
    for objs in _children(el, "objects"):
        for rel in _children(objs, "relationship"):
            sink.o2o(oid, rel.get("object-id"), rel.get("qualifier"))


# ---- OCEL 1.0 --------------------------------------------------------------------------

def _v1_fields(el: Any) -> tuple[dict[str, str], dict[str, Any]]:
    plain: dict[str, str] = {}
    lists: dict[str, Any] = {}
    for c in el:
        key = c.get("key")
        if key is None:
            continue
        if _local(c.tag) == "list":
            lists[key] = c
        elif c.get("value") is not None:
            plain[key] = c.get("value")
    return plain, lists


def _v1_values(vmap: Any, sink: OcelSink, scope: str) -> dict[str, Any]:
    """The attribute values of an OCEL 1.0 vmap/ovmap element (none when it is absent)."""
    values: dict[str, Any] = {}
    for c in vmap if vmap is not None else ():
        k, v = _v1_value(c, sink, scope)
        if k is not None:
            values[k] = v
    return values


def _v1_event(el: Any, sink: OcelSink, _types: Any) -> None:
    plain, lists = _v1_fields(el)
    values = _v1_values(lists.get("vmap"), sink, "event")
    eid = plain.get("id")
    sink.event(eid, plain.get("activity"), plain.get("timestamp"), values, el.sourceline)
    omap = lists.get("omap")
    if omap is not None:
        for c in omap:
            if c.get("value") is not None:
                sink.e2o(eid, c.get("value"), None)


def _v1_object(el: Any, sink: OcelSink, _types: Any) -> None:
    plain, lists = _v1_fields(el)
    values = _v1_values(lists.get("ovmap"), sink, "object")
    sink.obj(plain.get("id"), plain.get("type"), values)

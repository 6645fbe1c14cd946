"""Reading OCEL JSON (2.0 and 1.0, told apart by content) into the staging tables."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._open import open_binary
from procatlas.io._stage import Stager
from procatlas.io.ocel_sink import OcelSink, split_history

# the keys whose values are parsed element by element, so each element keeps its line
_BIG = {"events", "objects", "ocel:events", "ocel:objects"}
_WS = re.compile(r"[ \t\n\r]*")
_EPOCH = re.compile(r"^(1970-01-01([T ]00:00(:00(\.0*)?)?)?(Z|[+-]00(:?00)?)?|0)$")


class _Located:
    """A big container: its elements with the line each starts on."""

    __slots__ = ("items", "is_object")

    def __init__(self, items: list[tuple[int, str | None, Any]], is_object: bool):
        self.items = items  # (line, key or None, value)
        self.is_object = is_object


class _Lines:
    """Turns increasing character offsets into 1-based line numbers cheaply."""

    def __init__(self, text: str):
        self.text = text
        self.off = 0
        self.line = 1

    def at(self, off: int) -> int:
        if off < self.off:
            return self.text.count("\n", 0, off) + 1
        self.line += self.text.count("\n", self.off, off)
        self.off = off
        return self.line


def _fail(path: Path, text: str, pos: int, reason: str) -> InputError:
    line = text.count("\n", 0, pos) + 1
    return InputError(reason, path=path, location=line)


def _scan(text: str, path: Path) -> dict[str, Any]:
    """Parse the top-level JSON object; the big arrays/objects keep each element's line."""
    dec = json.JSONDecoder()
    lines = _Lines(text)
    n = len(text)

    def skip(i: int) -> int:
        return _WS.match(text, i).end()  # type: ignore[union-attr]

    def expect(i: int, chars: str, what: str) -> str:
        if i >= n:
            raise _fail(path, text, i, f"truncated JSON: expected {what} but the file ends")
        c = text[i]
        if c not in chars:
            raise _fail(path, text, i, f"invalid JSON: expected {what}, found {c!r}")
        return c

    def container(i: int) -> tuple[_Located, int]:
        is_obj = text[i] == "{"
        close = "}" if is_obj else "]"
        items: list[tuple[int, str | None, Any]] = []
        i = skip(i + 1)
        if i < n and text[i] == close:
            return _Located(items, is_obj), i + 1
        while True:
            start = i
            key = None
            if is_obj:
                expect(i, '"', "a quoted key")
                key, i = dec.raw_decode(text, i)
                i = skip(i)
                expect(i, ":", "':'")
                i = skip(i + 1)
            value, i = dec.raw_decode(text, i)
            items.append((lines.at(start), key, value))
            i = skip(i)
            c = expect(i, "," + close, f"',' or '{close}'")
            i = skip(i + 1)
            if c == close:
                return _Located(items, is_obj), i

    i = skip(0)
    if i >= n:
        raise InputError("is empty", path=path)
    try:
        if text[i] != "{":
            value, _ = dec.raw_decode(text, i)
            raise InputError(f"is JSON but not OCEL (the top level is a {type(value).__name__}, "
                             "not an object with objects/events keys)", path=path)
        out: dict[str, Any] = {}
        i = skip(i + 1)
        if i < n and text[i] == "}":
            i += 1
        else:
            while True:
                expect(i, '"', "a quoted key")
                key, i = dec.raw_decode(text, i)
                i = skip(i)
                expect(i, ":", "':'")
                i = skip(i + 1)
                if key in _BIG and i < n and text[i] in "[{":
                    out[key], i = container(i)
                else:
                    out[key], i = dec.raw_decode(text, i)
                i = skip(i)
                c = expect(i, ",}", "',' or '}'")
                i = skip(i + 1)
                if c == "}":
                    break
        if skip(i) < n:
            raise _fail(path, text, skip(i), "invalid JSON: extra data after the top-level object")
        return out
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated"):
            reason = f"truncated or invalid JSON ({exc.msg}, column {exc.colno})"
        else:
            reason = f"invalid JSON ({exc.msg}, column {exc.colno})"
        raise InputError(reason, path=path, location=exc.lineno) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=path) from None


def _items(value: Any) -> list[tuple[int | None, str | None, Any]]:
    if isinstance(value, _Located):
        return value.items  # type: ignore[return-value]
    if isinstance(value, list):
        return [(None, None, v) for v in value]
    if isinstance(value, dict):
        return [(None, k, v) for k, v in value.items()]
    return []


def read_ocel_json(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stage an OCEL 2.0 or OCEL 1.0 JSON file (``.jsonocel``/``.json``, optionally compressed)."""
    path = Path(path)
    with open_binary(path) as (stream, counter):
        data = stream.read()
        stager.advance(counter.consumed)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not UTF-8 text (byte {exc.start}); is this really a JSON file?",
                         path=path, location=line) from None
    del data
    doc = _scan(text, path)
    del text
    if "ocel:events" in doc or "ocel:objects" in doc:
        stager.detected["format"] = "ocel1-json"
        _read_v1(doc, path, stager, options)
    elif "events" in doc or "objects" in doc:
        stager.detected["format"] = "ocel2-json"
        _read_v2(doc, path, stager, options)
    else:
        keys = ", ".join(list(doc)[:6]) or "none"
        raise InputError(f"is JSON but not OCEL (no objects/events keys; top-level keys: {keys})", path=path)


def _check_container(path: Path, doc: dict, key: str, kinds: tuple[type, ...]) -> None:
    v = doc.get(key)
    if v is None:
        return
    if isinstance(v, _Located):
        ok = (dict in kinds) if v.is_object else (list in kinds)
    else:
        ok = isinstance(v, kinds)
    if not ok:
        want = " or ".join("an object" if k is dict else "an array" for k in kinds)
        raise InputError(f"is JSON but not valid OCEL ('{key}' must be {want})", path=path)


def _declared(path: Path, doc: dict, key: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    decl = doc.get(key) or []
    if not isinstance(decl, list):
        raise InputError(f"is JSON but not valid OCEL ('{key}' must be an array)", path=path)
    for t in decl:
        if not isinstance(t, dict) or "name" not in t:
            raise InputError(f"is JSON but not valid OCEL (an entry of '{key}' has no name)", path=path)
        attrs = t.get("attributes") or []
        out[str(t["name"])] = {str(a.get("name")): str(a.get("type") or "string")
                               for a in attrs if isinstance(a, dict)}
    return out


def _is_epoch(time: Any) -> bool:
    if time is None:
        return True
    return bool(_EPOCH.match(str(time).strip()))


def _read_v2(doc: dict, path: Path, stager: Stager, options: ReadOptions) -> None:
    for key in ("events", "objects"):
        _check_container(path, doc, key, (list,))
    ev_types = _declared(path, doc, "eventTypes")
    ob_types = _declared(path, doc, "objectTypes")
    sink = OcelSink(stager, path, options)

    for line, _, ob in _items(doc.pop("objects", None)):
        if not isinstance(ob, dict):
            sink.reject(line, "object is not a JSON object", json.dumps(ob, ensure_ascii=False)[:2000])
            continue
        oid, otype = ob.get("id"), ob.get("type")
        declared = ob_types.get(str(otype), {})
        entries: list[tuple[str, Any, Any]] = []
        attrs = ob.get("attributes") or []
        for a in attrs if isinstance(attrs, list) else []:
            if isinstance(a, dict) and a.get("name") is not None and a.get("value") is not None:
                name = str(a["name"])
                entries.append((name, sink.typed("object", str(otype), name, a["value"], declared.get(name)),
                                a.get("time")))
        initial, later = split_history(entries, _is_epoch)
        sink.obj(oid, otype, initial)
        for name, value, time in later:
            sink.change(oid, name, value, time if time is not None else "1970-01-01T00:00:00Z")
        for rel in ob.get("relationships") or []:
            if isinstance(rel, dict):
                sink.o2o(oid, rel.get("objectId"), rel.get("qualifier"))

    for line, _, ev in _items(doc.pop("events", None)):
        if not isinstance(ev, dict):
            sink.reject(line, "event is not a JSON object", json.dumps(ev, ensure_ascii=False)[:2000])
            continue
        eid, act = ev.get("id"), ev.get("type")
        declared = ev_types.get(str(act), {})
        values: dict[str, Any] = {}
        attrs = ev.get("attributes") or []
        for a in attrs if isinstance(attrs, list) else []:
            if isinstance(a, dict) and a.get("name") is not None and a.get("value") is not None:
                name = str(a["name"])
                values[name] = sink.typed("event", str(act), name, a["value"], declared.get(name))
        sink.event(eid, act, ev.get("time"), values, line)
        for rel in ev.get("relationships") or []:
            if isinstance(rel, dict):
                sink.e2o(eid, rel.get("objectId"), rel.get("qualifier"))
    # declared attributes that no value uses still belong to the schema
    for scope, decl in (("event", ev_types), ("object", ob_types)):
        for attrs_ in decl.values():
            for name, t in attrs_.items():
                sink.typed(scope, "", name, None, t)
    sink.close()


def _read_v1(doc: dict, path: Path, stager: Stager, options: ReadOptions) -> None:
    for key in ("ocel:events", "ocel:objects"):
        _check_container(path, doc, key, (dict,))
    sink = OcelSink(stager, path, options)

    for line, oid, ob in _items(doc.pop("ocel:objects", None)):
        if not isinstance(ob, dict):
            sink.reject(line, "object is not a JSON object", json.dumps(ob, ensure_ascii=False)[:2000])
            continue
        vmap = ob.get("ocel:ovmap") or {}
        values = {}
        if isinstance(vmap, dict):
            for k, v in vmap.items():
                if v is not None:
                    values[k] = sink.typed("object", "", k, v, None)
        sink.obj(oid, ob.get("ocel:type"), values)
        for rel in ob.get("ocel:o2o") or []:  # pm4py's extension of OCEL 1.0
            if isinstance(rel, dict):
                sink.o2o(oid, rel.get("ocel:oid"), rel.get("ocel:qualifier"))

    for line, eid, ev in _items(doc.pop("ocel:events", None)):
        if not isinstance(ev, dict):
            sink.reject(line, "event is not a JSON object", json.dumps(ev, ensure_ascii=False)[:2000])
            continue
        vmap = ev.get("ocel:vmap") or {}
        values = {}
        if isinstance(vmap, dict):
            for k, v in vmap.items():
                if v is not None:
                    values[k] = sink.typed("event", "", k, v, None)
        sink.event(eid, ev.get("ocel:activity"), ev.get("ocel:timestamp"), values, line)
        typed = ev.get("ocel:typedOmap") or []  # pm4py's qualified extension of OCEL 1.0
        qualified: set[str] = set()
        for rel in typed if isinstance(typed, list) else []:
            if isinstance(rel, dict):
                sink.e2o(eid, rel.get("ocel:oid"), rel.get("ocel:qualifier"))
                qualified.add(str(rel.get("ocel:oid")))
        omap = ev.get("ocel:omap") or []
        for oid in omap if isinstance(omap, list) else []:
            if str(oid) not in qualified:
                sink.e2o(eid, oid, None)

    for ch in doc.get("ocel:objectChanges") or []:  # pm4py's extension of OCEL 1.0
        if isinstance(ch, dict):
            field = ch.get("ocel:field") or ch.get("ocel:name")
            if field is not None:
                value = ch.get(field, ch.get("ocel:value"))
                sink.typed("object", "", str(field), value, None)
                sink.change(ch.get("ocel:oid"), str(field), value, ch.get("ocel:timestamp"))
    sink.close()

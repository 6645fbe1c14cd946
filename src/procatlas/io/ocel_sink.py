"""Buffers what an OCEL reader finds and hands it to the Stager in Arrow batches."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io._types import xes_type_of

# OCEL 2.0 attribute type -> the XES type name the staging contract records
XES_TYPE = {
    "string": "string", "time": "date", "date": "date", "timestamp": "date", "datetime": "date",
    "integer": "int", "int": "int", "float": "float", "double": "float", "real": "float",
    "boolean": "boolean", "bool": "boolean",
}
_BATCH = 20_000
_RESOURCE_KEYS = ("org:resource", "resource")
_LIFECYCLE_KEYS = ("lifecycle:transition", "lifecycle")


def convert(value: Any, ocel_type: str | None) -> tuple[Any, bool]:
    """``value`` as the JSON value its declared OCEL 2.0 type asks for; second item False
    when the value does not fit the type (it is then kept as it was)."""
    if value is None or ocel_type is None:
        return value, True
    t = ocel_type.lower()
    try:
        if t in ("integer", "int"):
            if isinstance(value, bool):
                return int(value), True
            if isinstance(value, int):
                return value, True
            if isinstance(value, float):
                return (int(value), True) if value.is_integer() else (value, False)
            text = str(value).strip()
            try:
                return int(text), True
            except ValueError:
                f = float(text)
                return (int(f), True) if f.is_integer() else (value, False)
        if t in ("float", "double", "real"):
            if isinstance(value, bool):
                return value, False
            f = float(value)
            return (f, True) if math.isfinite(f) else (str(value), True)
        if t in ("boolean", "bool"):
            if isinstance(value, bool):
                return value, True
            if isinstance(value, (int, float)):
                return bool(value), True
            low = str(value).strip().lower()
            if low in ("true", "1", "yes"):
                return True, True
            if low in ("false", "0", "no"):
                return False, True
            return value, False
        if t == "string":
            if isinstance(value, str):
                return value, True
            if isinstance(value, bool):
                return ("true" if value else "false"), True
            if isinstance(value, (int, float)):
                return (repr(value) if isinstance(value, float) else str(value)), True
            return json.dumps(value, ensure_ascii=False), True
        # time and unknown types: keep the text as written (timestamps are parsed in SQL)
        return (value if isinstance(value, (str, int, float, bool)) else str(value)), True
    except (TypeError, ValueError, OverflowError):
        return value, False


def split_history(entries: list[tuple[str, Any, Any]], is_initial) -> tuple[dict[str, Any], list[tuple[str, Any, Any]]]:
    """An object's (name, value, time) entries as initial values and timed changes.

    A value stamped at the epoch (``is_initial(time)``) is the initial one; every value with
    a real time is a change at that time.  An attribute that only has timed values also gets
    its first one as initial value, so the object's attributes show what it was first known to
    be while the change keeps when that happened.
    """
    initial: dict[str, Any] = {}
    changes: list[tuple[str, Any, Any]] = []
    timed: list[tuple[str, Any, Any]] = []
    for name, value, time in entries:
        if is_initial(time):
            if name in initial:
                changes.append((name, value, time))
            else:
                initial[name] = value
        else:
            timed.append((name, value, time))
    for name, value, time in timed:
        if name not in initial:
            initial[name] = value
        changes.append((name, value, time))
    return initial, changes


def dump_attrs(attrs: dict[str, Any] | None) -> str | None:
    if not attrs:
        return None
    return json.dumps(attrs, ensure_ascii=False, allow_nan=False, default=str)


class OcelSink:
    """Collects events, objects, changes, links and attribute types; appends in batches.

    ``position`` is assigned here: the 0-based ordinal of each event in the order found.
    """

    def __init__(self, stager: Stager, path: Path, options: ReadOptions | None = None):
        self.stager = stager
        self.path = path
        self.position = 0
        mapping = options.mapping if options is not None else None
        self._resource_keys = ((mapping.resource,) if mapping and mapping.resource else ()) + _RESOURCE_KEYS
        self._lifecycle_keys = ((mapping.lifecycle,) if mapping and mapping.lifecycle else ()) + _LIFECYCLE_KEYS
        self._buf: dict[str, dict[str, list]] = {}
        self._attr_types: dict[tuple[str, str], str] = {}
        self._bad_types: dict[tuple[str, str, str], int] = {}

    def _add(self, kind: str, row: dict[str, Any]) -> None:
        buf = self._buf.get(kind)
        if buf is None:
            buf = self._buf[kind] = {k: [] for k in row}
        for k, v in row.items():
            buf[k].append(v)
        if len(buf[next(iter(buf))]) >= _BATCH:
            self._flush(kind)

    def _flush(self, kind: str) -> None:
        buf = self._buf.pop(kind, None)
        if buf:
            self.stager.append(kind, buf)

    # ---- rows ------------------------------------------------------------------------
    def event(self, event_id: Any, activity: Any, ts_text: Any, attributes: dict[str, Any] | None,
              location: int | None) -> None:
        resource = lifecycle = None
        if attributes:
            resource = next((attributes[k] for k in self._resource_keys if attributes.get(k) is not None), None)
            lifecycle = next((attributes[k] for k in self._lifecycle_keys if attributes.get(k) is not None), None)
        self._add("event", {
            "event_id": _text(event_id), "activity": _text(activity), "ts_text": _text(ts_text),
            "lifecycle": _text(lifecycle), "resource": _text(resource),
            "position": self.position, "attributes": dump_attrs(attributes), "location": location,
        })
        self.position += 1

    def obj(self, object_id: Any, type_: Any, attributes: dict[str, Any] | None) -> None:
        self._add("object", {"object_id": _text(object_id), "type": _text(type_),
                             "attributes": dump_attrs(attributes)})

    def change(self, object_id: Any, name: str, value: Any, ts_text: Any) -> None:
        self._add("object_change", {"object_id": _text(object_id), "name": name,
                                    "value": json.dumps(value, ensure_ascii=False, default=str),
                                    "ts_text": _text(ts_text)})

    def e2o(self, event_id: Any, object_id: Any, qualifier: Any) -> None:
        self._add("event_object", {"event_id": _text(event_id), "object_id": _text(object_id),
                                   "qualifier": _text(qualifier)})

    def o2o(self, source_id: Any, target_id: Any, qualifier: Any) -> None:
        self._add("object_object", {"source_id": _text(source_id), "target_id": _text(target_id),
                                    "qualifier": _text(qualifier)})

    def reject(self, location: int | None, reason: str, raw: str | None) -> None:
        self._add("reject", {"location": location, "reason": reason, "raw": raw})

    # ---- attribute types ---------------------------------------------------------------
    def attr(self, scope: str, name: str, xes_type: str) -> None:
        """Record the type of attribute ``name``; conflicting types widen to string."""
        key = (scope, name)
        old = self._attr_types.get(key)
        if old is None or old == xes_type:
            self._attr_types[key] = xes_type
        elif {old, xes_type} == {"int", "float"}:
            self._attr_types[key] = "float"
        else:
            self._attr_types[key] = "string"

    def typed(self, scope: str, owner: str, name: str, value: Any, ocel_type: str | None) -> Any:
        """Convert ``value`` to its declared type, record the type, count misfits."""
        if ocel_type is None:
            self.attr(scope, name, xes_type_of(value))
            return value
        out, ok = convert(value, ocel_type)
        if not ok:
            k = (scope, owner, name)
            self._bad_types[k] = self._bad_types.get(k, 0) + 1
        self.attr(scope, name, XES_TYPE.get(ocel_type.lower(), "string"))
        return out

    def close(self) -> None:
        for kind in list(self._buf):
            self._flush(kind)
        if self._attr_types:
            items = sorted(self._attr_types.items())
            self.stager.append("attribute", {"scope": [k[0] for k, _ in items], "name": [k[1] for k, _ in items],
                                             "type": [t for _, t in items]})
        for (scope, owner, name), n in sorted(self._bad_types.items()):
            self.stager.note(f"{n} value(s) of {scope} attribute '{name}' of type '{owner}' do not fit the "
                             "declared type and were kept as written")


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)

"""Streaming writer of XES event logs (plain or .gz by suffix) from flattened case-view batches."""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from procatlas.io._types import xes_type_of as _json_type

# The standard extensions every written log declares (IEEE 1849-2023, section 7).
EXTENSIONS = (
    ("Concept", "concept", "http://www.xes-standard.org/concept.xesext"),
    ("Time", "time", "http://www.xes-standard.org/time.xesext"),
    ("Lifecycle", "lifecycle", "http://www.xes-standard.org/lifecycle.xesext"),
    ("Organizational", "org", "http://www.xes-standard.org/org.xesext"),
    ("Identity", "identity", "http://www.xes-standard.org/identity.xesext"),
)

# Characters XML 1.0 cannot carry at all; they are written as U+FFFD (documented).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                          "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})
_SAFE = re.compile(r'[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _esc(text: str) -> str:
    """Escape ``text`` for a double-quoted XML attribute value (whitespace kept exactly)."""
    if _SAFE.search(text) is None:
        return text
    return _INVALID_XML.sub("\ufffd", text).translate(_ESCAPES)


def _timestamp(ts: datetime) -> str:
    """ISO 8601 with millisecond precision and an explicit UTC offset."""
    return (f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
            f".{ts.microsecond // 1000:03d}+00:00")


def _attribute(out: list[str], indent: str, key: str, value: Any, declared: str | None) -> None:
    """Append one typed XES attribute element; JSON nulls are not written (XES has no null)."""
    if value is None:
        return
    natural = _json_type(value)
    typ = declared if declared is not None else natural
    # a declared type the value cannot carry (e.g. an int column holding unparsable text)
    # falls back to the value's own type, so the value survives unchanged
    if typ in ("int", "float", "boolean") and natural != typ and not (typ == "float" and natural == "int"):
        typ = natural
    elif typ in ("string", "date", "id") and natural != "string":
        typ = natural
    elif typ in ("list", "container") and natural not in ("list", "container"):
        typ = natural
    k = _esc(key)
    if typ == "list" or typ == "container":
        items = _items(value)
        out.append(f'{indent}<{typ} key="{k}">\n')
        inner = indent + "\t"
        if typ == "list":
            out.append(f"{inner}<values>\n")
            inner += "\t"
        for ikey, ivalue in items:
            _attribute(out, inner, ikey, ivalue, None)
        if typ == "list":
            out.append(f"{indent}\t</values>\n")
        out.append(f"{indent}</{typ}>\n")
        return
    if typ == "boolean":
        text = "true" if value else "false"
    elif typ == "float":
        f = float(value)
        text = repr(f) if math.isfinite(f) else ("NaN" if f != f else ("INF" if f > 0 else "-INF"))
    elif typ == "int":
        text = str(value)
    else:
        text = _esc(str(value))
    out.append(f'{indent}<{typ} key="{k}" value="{text}"/>\n')


def _items(value: Any) -> list[tuple[str, Any]]:
    """Members of a list (array of one-key objects, or bare values) or container (object)."""
    if isinstance(value, dict):
        return list(value.items())
    items: list[tuple[str, Any]] = []
    for i, item in enumerate(value):
        if isinstance(item, dict) and len(item) == 1:
            items.extend(item.items())
        else:
            items.append((str(i), item))
    return items


def _open(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "wt", encoding="utf-8", newline="\n", compresslevel=6)
    return open(path, "w", encoding="utf-8", newline="\n")


def write_xes(path: Path, batches: Iterable[pa.RecordBatch], attribute_types: dict[tuple[str, str], str], *,
              process: str) -> int:
    """Write the flattened case view in ``batches`` as an XES log at ``path``; return the events written.

    Rows must be sorted by case id, then event order.  ``attribute_types`` maps
    ``(scope, name)`` (scope ``'case'`` or ``'event'``) to an XES type; attributes not in it
    get the type of their JSON value (string, int, float, boolean, list, container).

    >>> import pyarrow as pa, tempfile, pathlib
    >>> batch = pa.RecordBatch.from_pylist([{"case_id": "c1", "activity": "A"}])
    >>> write_xes(pathlib.Path(tempfile.mkdtemp()) / "x.xes", [batch], {}, process="demo")
    1
    """
    path = Path(path)
    case_types = {name: t for (scope, name), t in attribute_types.items() if scope in ("case", "trace")}
    event_types = {name: t for (scope, name), t in attribute_types.items() if scope == "event"}
    events = 0
    with _open(path) as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<log xes.version="2.0" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n')
        for name, prefix, uri in EXTENSIONS:
            fh.write(f'\t<extension name="{name}" prefix="{prefix}" uri="{uri}"/>\n')
        fh.write('\t<classifier name="Activity" keys="concept:name"/>\n'
                 f'\t<string key="concept:name" value="{_esc(process)}"/>\n')
        open_case: Any = _NO_CASE
        for batch in batches:
            out: list[str] = []
            cols = {name: batch.column(i).to_pylist() for i, name in enumerate(batch.schema.names)}
            n = batch.num_rows
            none = [None] * n
            case_ids = cols.get("case_id", none)
            case_attrs = cols.get("case_attributes", none)
            acts = cols.get("activity", none)
            tss = cols.get("timestamp", none)
            lifes = cols.get("lifecycle", none)
            ress = cols.get("resource", none)
            grps = cols.get("grp", none)
            starts = cols.get("start_timestamp", none)
            eids = cols.get("event_id", none)
            attrs = cols.get("attributes", none)
            for i in range(n):
                cid = case_ids[i]
                if cid != open_case or open_case is _NO_CASE:
                    if open_case is not _NO_CASE:
                        out.append("\t</trace>\n")
                    open_case = cid
                    out.append("\t<trace>\n")
                    if cid is not None:
                        out.append(f'\t\t<string key="concept:name" value="{_esc(str(cid))}"/>\n')
                    if case_attrs[i]:
                        for key, value in json.loads(case_attrs[i]).items():
                            _attribute(out, "\t\t", key, value, case_types.get(key))
                out.append("\t\t<event>\n")
                if acts[i] is not None:
                    out.append(f'\t\t\t<string key="concept:name" value="{_esc(acts[i])}"/>\n')
                if tss[i] is not None:
                    out.append(f'\t\t\t<date key="time:timestamp" value="{_timestamp(tss[i])}"/>\n')
                if lifes[i] is not None:
                    out.append(f'\t\t\t<string key="lifecycle:transition" value="{_esc(lifes[i])}"/>\n')
                if ress[i] is not None:
                    out.append(f'\t\t\t<string key="org:resource" value="{_esc(ress[i])}"/>\n')
                if grps[i] is not None:
                    out.append(f'\t\t\t<string key="org:group" value="{_esc(grps[i])}"/>\n')
                if starts[i] is not None:
                    out.append(f'\t\t\t<date key="start_timestamp" value="{_timestamp(starts[i])}"/>\n')
                if eids[i] is not None:
                    out.append(f'\t\t\t<id key="identity:id" value="{_esc(eids[i])}"/>\n')
                if attrs[i]:
                    for key, value in json.loads(attrs[i]).items():
                        _attribute(out, "\t\t\t", key, value, event_types.get(key))
                out.append("\t\t</event>\n")
            events += n
            fh.write("".join(out))
        if open_case is not _NO_CASE:
            fh.write("\t</trace>\n")
        fh.write("</log>\n")
    return events


class _NoCase:
    """Sentinel: no trace open yet (a NULL case id is a value, so None cannot be the sentinel)."""


_NO_CASE = _NoCase()

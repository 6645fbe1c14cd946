"""Vectorised text building with Arrow compute: ids, ISO times, JSON values and lines."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procatlas.simulate.calendar import WorkCalendar
from procatlas.simulate.log import PREFIX


def object_ids(otype: str, index: np.ndarray) -> pa.Array:
    """``PREFIX-000123`` for object indices (numbered from 1)."""
    num = pc.utf8_lpad(pc.cast(pa.array(np.asarray(index, np.int64) + 1), pa.string()), 6, "0")
    return pc.binary_join_element_wise(pa.scalar(PREFIX[otype] + "-"), num, "")


def person_ids(index: np.ndarray, ids: tuple[str, ...]) -> pa.Array:
    """Person ids for indices; -1 becomes null."""
    idx = np.asarray(index)
    table = pa.array(ids)
    return pc.take(table, pa.array(np.where(idx >= 0, idx, 0), mask=idx < 0))


def labels(codes: np.ndarray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Names for codes; negative codes become null."""
    c = np.asarray(codes)
    return pc.take(pa.array(list(names), pa.string()), pa.array(np.where(c >= 0, c, 0), mask=c < 0))


def iso_local(cal: WorkCalendar, ts: np.ndarray) -> pa.Array:
    """ISO 8601 local times with their UTC offset, e.g. ``2025-03-04T09:12:00+01:00``."""
    base = pc.strftime(pa.array(ts).cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
    off = cal.utc_offset(ts)
    uniq, inv = np.unique(off, return_inverse=True)
    names = [f"{'+' if o >= 0 else '-'}{abs(o) // 3600:02d}:{abs(o) % 3600 // 60:02d}" for o in uniq]
    return pc.binary_join_element_wise(base, pc.take(pa.array(names), pa.array(inv)), "")


def utc_naive(cal: WorkCalendar, ts: np.ndarray) -> pa.Array:
    """UTC instants of local times as ``timestamp('us')`` without zone."""
    return pa.array((ts - cal.utc_offset(ts)) * 1_000_000).cast(pa.timestamp("us"))


def iso_utc(cal: WorkCalendar, ts: np.ndarray, ms: bool = False) -> pa.Array:
    """ISO 8601 UTC times ending in Z (``.000Z`` with ``ms``, the Twitter API v2 shape)."""
    utc = pa.array(ts - cal.utc_offset(ts)).cast(pa.timestamp("s"))
    return pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S.000Z" if ms else "%Y-%m-%dT%H:%M:%SZ")


def jstr(values: pa.Array) -> pa.Array:
    """JSON string literals of a string array (nulls stay null)."""
    v = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise(pa.scalar('"'), v, pa.scalar('"'), "")


def jnum(values: np.ndarray) -> pa.Array:
    """JSON numbers."""
    return pc.cast(pa.array(values), pa.string())


def jlist(items: pa.Array) -> pa.Array:
    """JSON arrays of strings from a list<string> array."""
    quoted = pa.ListArray.from_arrays(items.offsets, jstr(items.flatten()))
    return pc.binary_join_element_wise(pa.scalar("["), pc.binary_join(quoted, ","), pa.scalar("]"), "")


def json_objects(fields: list[tuple[str, pa.Array]], n: int) -> pa.Array:
    """JSON object text per row from already-encoded values; null values are left out."""
    parts = []
    for key, val in fields:
        part = pc.binary_join_element_wise(pa.scalar(f'"{key}":'), val, "")
        parts.append(pc.fill_null(pc.binary_join_element_wise(part, pa.scalar(","), ""), ""))
    if not parts:
        return pa.array(["{}"] * n)
    body = pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
    body = pc.utf8_slice_codeunits(body, 0, -1)  # the trailing comma
    return pc.binary_join_element_wise(pa.scalar("{"), body, pa.scalar("}"), "")

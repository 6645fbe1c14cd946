"""Independent readers of the simulator's output for the tests (pyarrow only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

WORK_OPEN, WORK_CLOSE = 8 * 3600, 17 * 3600


def read_csv(out: str, process: str) -> dict[str, np.ndarray]:
    """Columns of one process CSV as numpy object arrays (empty cells as '')."""
    opts = pcsv.ConvertOptions(column_types={"time:timestamp": pa.string()}, strings_can_be_null=False)
    t = pcsv.read_csv(Path(out) / f"{process}.csv", convert_options=opts)
    cols = {}
    for name in t.column_names:
        col = t[name].to_numpy(zero_copy_only=False)
        cols[name] = np.array(["" if v is None else v for v in col], dtype=object) if col.dtype == object else col
    return cols


def local_seconds(iso: np.ndarray) -> np.ndarray:
    """Local wall-clock seconds since 1970 from ISO strings with offset (offset ignored)."""
    return np.array([s[:19] for s in iso], dtype="datetime64[s]").astype(np.int64)


def truth(out: str) -> dict:
    return json.loads((Path(out) / "ground_truth.json").read_text())


def working_seconds(t: np.ndarray, holidays: list[str]) -> np.ndarray:
    """Working seconds from 1970 to local ``t`` on numpy's business-day calendar."""
    day = (t // 86400).astype("datetime64[D]")
    hol = np.array(holidays, dtype="datetime64[D]")
    full = np.busday_count(np.datetime64("2000-01-03"), day, holidays=hol)
    tod = t % 86400
    part = np.where(np.is_busday(day, holidays=hol), np.clip(tod - WORK_OPEN, 0, WORK_CLOSE - WORK_OPEN), 0)
    return full * (WORK_CLOSE - WORK_OPEN) + part


def cases_with(cols: dict, activity: str, **eq: str) -> set[str]:
    """Case ids having an event of ``activity`` (and column values ``eq``)."""
    m = cols["concept:name"] == activity
    for k, v in eq.items():
        m &= cols[k] == v
    return set(cols["case:concept:name"][m].tolist())

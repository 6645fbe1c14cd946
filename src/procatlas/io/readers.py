"""Which function reads which format (imported lazily so a missing extra costs nothing)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from procatlas.io import ReadOptions
from procatlas.io._stage import Stager

Reader = Callable[[Path, Stager, ReadOptions], None]

READERS: dict[str, str] = {
    "xes": "procatlas.io.xes:read_xes",
    "csv": "procatlas.io.csv:read_csv",
    "parquet": "procatlas.io.parquet:read_parquet",
    "ocel2-json": "procatlas.io.ocel:read_ocel_json",
    "ocel2-xml": "procatlas.io.ocel:read_ocel_xml",
    "ocel2-sqlite": "procatlas.io.ocel:read_ocel_sqlite",
}

# formats whose files are case-centric (one object type, named after the process)
CASE_CENTRIC = {"xes", "csv", "parquet"}


def reader_for(fmt: str) -> Reader:
    module, _, func = READERS[fmt].partition(":")
    return getattr(importlib.import_module(module), func)

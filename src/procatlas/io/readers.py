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
    # communication records (``--as messages|people|posts``), finalised into message / person
    "messages-jsonl": "procatlas.io.messages:read_messages_jsonl",
    "messages-csv": "procatlas.io.messages:read_messages_csv",
    "calendar-csv": "procatlas.io.messages:read_calendar_csv",
    "people-csv": "procatlas.io.people:read_people_csv",
    "snap-labels": "procatlas.io.people:read_snap_labels",
    "snap-edges": "procatlas.io.snap:read_snap_edges",
    "enron-simplices": "procatlas.io.snap:read_enron_simplices",
    "posts-jsonl": "procatlas.io.posts:read_posts_jsonl",
    "posts-csv": "procatlas.io.posts:read_posts_csv",
}

# formats whose rows are messages or people (finalised by workspace.ingest's communication branch)
MESSAGE_FORMATS = {"messages-jsonl", "messages-csv", "calendar-csv", "snap-edges", "enron-simplices",
                   "posts-jsonl", "posts-csv"}
PEOPLE_FORMATS = {"people-csv", "snap-labels"}

# formats whose files are case-centric (one object type, named after the process)
CASE_CENTRIC = {"xes", "csv", "parquet"}


def reader_for(fmt: str) -> Reader:
    module, _, func = READERS[fmt].partition(":")
    return getattr(importlib.import_module(module), func)

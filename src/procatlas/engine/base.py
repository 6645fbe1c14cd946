"""The engine interface: select a process with filters, then read summaries of the selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pyarrow as pa

from procatlas.model.discovery import Filters


@dataclass(frozen=True)
class Selection:
    """The kept cases and events of one process under some filters, materialised by an engine."""

    process: str
    filters: Filters
    events_table: str
    cases_table: str
    activities_table: str
    cases: int
    events: int


class Engine(Protocol):
    """What discovery needs from an engine; every method returns a small summary.

    An implementation runs the SQL of :mod:`procatlas.engine.queries` (DuckDB dialect) on its own
    storage; a Spark engine transpiles the same statements with sqlglot.
    """

    def select(self, process: str, filters: Filters) -> Selection: ...

    def release(self, selection: Selection) -> None: ...

    def steps(self, selection: Selection) -> str: ...

    def dfg(self, selection: Selection, *, performance: bool = True) -> pa.Table: ...

    def start_activities(self, selection: Selection) -> pa.Table: ...

    def end_activities(self, selection: Selection) -> pa.Table: ...

    def activities(self, selection: Selection) -> pa.Table: ...

    def variants(self, selection: Selection) -> pa.Table: ...

    def case_durations(self, selection: Selection) -> pa.Table: ...

"""The DuckDB engine: runs engine/queries.py inside the workspace through its choke point."""

from __future__ import annotations

import itertools

import pyarrow as pa

from procatlas.engine import queries as q
from procatlas.engine.base import Selection
from procatlas.errors import InputError
from procatlas.model.discovery import Filters
from procatlas.workspace.core import Workspace

_ids = itertools.count(1)


class DuckDBEngine:
    """Discovery summaries computed by DuckDB in the workspace (temporary tables per selection).

    >>> ws = Workspace(":memory:")
    >>> DuckDBEngine(ws).processes()
    []
    """

    def __init__(self, workspace: Workspace):
        self.ws = workspace
        # DuckDB draws a progress bar on stdout for long queries; stdout is the CLI's JSON
        self.ws.execute("SET enable_progress_bar = false")
        self._steps: dict[str, str] = {}  # events table -> its step table, built on first use

    def processes(self) -> list[str]:
        return [r[0] for r in self.ws.rows(
            "SELECT DISTINCT o.type FROM object o JOIN event_object eo ON eo.oid = o.oid ORDER BY 1")]

    def select(self, process: str, filters: Filters | None = None) -> Selection:
        filters = filters or Filters()
        n = next(_ids)
        acts, ev, cases = f"pa_sel{n}_acts", f"pa_sel{n}_ev", f"pa_sel{n}_cases"
        where, wparams, case_where, cparams = q.event_where(filters)
        vwhere, vparams = q.variant_where(filters)
        try:
            self.ws.execute(q.ACTS_SQL.format(acts=acts))
            codes = dict(self.ws.rows(q.CODES_SQL.format(acts=acts)))
            having, hparams = q.case_having(filters, codes)
            self.ws.execute(q.EVENTS_SQL.format(ev=ev, acts=acts, where=where, case_where=case_where),
                            [process, *cparams, *wparams])
            self.ws.execute(q.CASES_SQL.format(ev=ev, cases=cases, having=having, variant_where=vwhere),
                            [*hparams, *vparams])
            kept_cases, kept_events = self.ws.rows(q.TOTALS_SQL.format(cases=cases))[0]
            if kept_events != self.ws.scalar(f"SELECT count(*) FROM {ev}"):
                self.ws.execute(q.PRUNE_EVENTS_SQL.format(ev=ev, cases=cases))
        except BaseException:
            self._drop(acts, ev, cases)
            raise
        if kept_cases == 0 and not self.ws.scalar(
                "SELECT count(*) FROM object WHERE type = ?", [process]):
            self._drop(acts, ev, cases)
            known = self.processes()
            raise InputError(f"no process '{process}' in the workspace; processes: "
                             + (", ".join(known) or "(none; run `procatlas ingest FILE` first)"))
        return Selection(process, filters, ev, cases, acts, int(kept_cases), int(kept_events))

    def release(self, selection: Selection) -> None:
        steps = self._steps.pop(selection.events_table, None)
        self._drop(*([steps] if steps else []), selection.activities_table, selection.events_table,
                   selection.cases_table)

    def steps(self, selection: Selection) -> str:
        """Name of the selection's step table (:data:`queries.STEPS_SQL`), built once and shared
        by every analysis of the selection until :meth:`release`."""
        name = self._steps.get(selection.events_table)
        if name is None:
            name = selection.events_table + "_steps"
            groups = bool(self.ws.scalar(f"SELECT count(grp) > 0 FROM {selection.events_table}"))
            after, columns = q.STEPS_AFTER[groups]
            self.ws.execute(q.STEPS_SQL.format(steps=name, ev=selection.events_table, after=after,
                                               after_columns=columns))
            self._steps[selection.events_table] = name
        return name

    def _drop(self, *tables: str) -> None:
        for t in tables:
            self.ws.execute(f"DROP TABLE IF EXISTS {t}")

    def _arrow(self, sql: str, sel: Selection) -> pa.Table:
        return self.ws.arrow(sql.format(ev=sel.events_table, cases=sel.cases_table, acts=sel.activities_table))

    def dfg(self, selection: Selection, *, performance: bool = True) -> pa.Table:
        return self._arrow(q.DFG_SQL if performance else q.DFG_COUNTS_SQL, selection)

    def start_activities(self, selection: Selection) -> pa.Table:
        return self._arrow(q.START_SQL, selection)

    def end_activities(self, selection: Selection) -> pa.Table:
        return self._arrow(q.END_SQL, selection)

    def activities(self, selection: Selection) -> pa.Table:
        return self._arrow(q.ACTIVITIES_SQL, selection)

    def variants(self, selection: Selection) -> pa.Table:
        return self._arrow(q.VARIANTS_SQL, selection)

    def case_durations(self, selection: Selection) -> pa.Table:
        return self._arrow(q.CASE_DURATIONS_SQL, selection)

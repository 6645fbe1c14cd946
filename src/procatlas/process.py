"""The Process facade: summaries, maps and models of one process (object type as case notion)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from procatlas.engine import DuckDBEngine, Engine, Selection
from procatlas.errors import InputError
from procatlas.mining import dfg_filter
from procatlas.model.discovery import (
    VIEWS,
    ActivityStats,
    CaseDurations,
    Dfg,
    DiscoveryResult,
    Filters,
    MapEdge,
    MapNode,
    ProcessMap,
    Variants,
)
from procatlas.workspace.core import Workspace


def _filters(filters: Filters | None, where: dict[str, Any]) -> Filters:
    if filters is not None and where:
        return filters.replace(**where)
    if filters is not None:
        return filters
    try:
        return Filters(**where)
    except TypeError as exc:
        raise InputError(f"unknown filter: {exc}") from None


def _share(value: float, what: str) -> float:
    """Sliders take a share 0..1 (the CLI takes percentages and divides)."""
    v = float(value)
    if not 0 <= v <= 1:
        raise InputError(f"{what} must be a share between 0 and 1, not {value}")
    return v


def _counts(table: pa.Table) -> dict[str, int]:
    return dict(zip(table["activity"].to_pylist(), table["cases"].to_pylist()))


class Process:
    """One process of a workspace; every method takes the same optional filters.

    Filters are given as a :class:`~procatlas.model.discovery.Filters` or as its fields by
    keyword (``start=``, ``end=``, ``case_attributes=``, ``top_variants=`` ...).

    >>> ws = Workspace(":memory:")
    >>> ws.process("bpic2012").dfg()  # doctest: +SKIP
    """

    def __init__(self, workspace: Workspace, name: str, *, engine: Engine | None = None):
        self.workspace = workspace
        self.name = name
        self.engine: Engine = engine or DuckDBEngine(workspace)

    def __repr__(self) -> str:
        return f"Process({self.name!r})"

    @contextmanager
    def _selection(self, filters: Filters) -> Iterator[Selection]:
        sel = self.engine.select(self.name, filters)
        try:
            yield sel
        finally:
            self.engine.release(sel)

    # -- summaries --------------------------------------------------------------------------
    def dfg(self, filters: Filters | None = None, *, performance: bool = True, **where: Any) -> Dfg:
        """Directly-follows graph with frequencies, cases and (``performance``) transition times."""
        f = _filters(filters, where)
        with self._selection(f) as sel:
            return self._dfg(sel, performance)

    def _dfg(self, sel: Selection, performance: bool = True) -> Dfg:
        return Dfg(self.name, self.engine.dfg(sel, performance=performance),
                   _counts(self.engine.start_activities(sel)), _counts(self.engine.end_activities(sel)),
                   sel.filters)

    def activities(self, filters: Filters | None = None, **where: Any) -> ActivityStats:
        """Events, cases and service times per activity."""
        with self._selection(_filters(filters, where)) as sel:
            return ActivityStats(self.name, self.engine.activities(sel))

    def variants(self, filters: Filters | None = None, **where: Any) -> Variants:
        """Variants with count, share and case duration statistics, most frequent first."""
        with self._selection(_filters(filters, where)) as sel:
            return Variants(self.name, self.engine.variants(sel), sel.cases)

    def case_durations(self, filters: Filters | None = None, **where: Any) -> CaseDurations:
        """One row per case: events, first and last timestamp, duration, variant."""
        with self._selection(_filters(filters, where)) as sel:
            return CaseDurations(self.name, self.engine.case_durations(sel))

    def start_activities(self, filters: Filters | None = None, **where: Any) -> dict[str, int]:
        with self._selection(_filters(filters, where)) as sel:
            return _counts(self.engine.start_activities(sel))

    def end_activities(self, filters: Filters | None = None, **where: Any) -> dict[str, int]:
        with self._selection(_filters(filters, where)) as sel:
            return _counts(self.engine.end_activities(sel))

    # -- the map ----------------------------------------------------------------------------
    def map(self, filters: Filters | None = None, *, activities: float = 1.0, paths: float = 1.0,
            view: str = "frequency", measure: str | None = None, **where: Any) -> ProcessMap:
        """Process map with Disco-style sliders (shares 0..1).

        ``activities`` keeps the most frequent activities; the map is then computed on the log
        projected on them (paths around removed activities are rerouted, as in Disco).
        ``paths`` keeps the most frequent paths plus whatever keeps every activity reachable
        from the start and able to reach the end.
        """
        f = _filters(filters, where)
        with self._selection(f) as sel:
            stats = ActivityStats(self.name, self.engine.activities(sel))
            return self._map(sel, stats, activities=activities, paths=paths, view=view, measure=measure)

    def _map(self, sel: Selection, stats: ActivityStats, *, activities: float, paths: float, view: str,
             measure: str | None, dfg: Dfg | None = None, projected: dict | None = None,
             durations: CaseDurations | None = None) -> ProcessMap:
        # ``projected``: a dict the caller keeps (kept activities -> DFG), so that slider moves
        # that keep the same activities do not select the projected log again (the web app);
        # ``durations``: the selection's cases, for a caller whose selection is already released
        if view not in VIEWS:
            raise InputError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        measure = measure or VIEWS[view][0]
        if measure not in VIEWS[view]:
            raise InputError(f"measure of the {view} view must be one of {', '.join(VIEWS[view])}, not {measure!r}")
        a_share, p_share = _share(activities, "activities"), _share(paths, "paths")
        events = stats.events
        kept = dfg_filter.keep_activities(events, a_share)
        if len(kept) < len(events):
            key = tuple(kept)
            if projected is not None and key in projected:
                dfg = projected[key]
            else:
                with self._selection(self._projection(sel, kept, durations)) as narrowed:
                    dfg = self._dfg(narrowed)
                if projected is not None:
                    projected[key] = dfg
        elif dfg is None:
            dfg = self._dfg(sel)
        rows = {(r["source"], r["target"]): r for r in dfg.table.to_pylist()}
        graph = dfg_filter.graph_edges({e: r["frequency"] for e, r in rows.items()}, dfg.start, dfg.end)
        chosen = dfg_filter.keep_paths(graph, p_share)
        edges = []
        for s, t in chosen:
            r = rows.get((s, t))
            if r is None:  # start/end edge: one per case
                n = graph[(s, t)]
                edges.append(MapEdge(s, t, n, n))
            else:
                edges.append(MapEdge(s, t, r["frequency"], r["cases"], r.get("mean_s"), r.get("median_s"),
                                     r.get("p90_s"), r.get("max_s")))
        by_activity = {r["activity"]: r for r in stats.table.to_pylist()}
        nodes = tuple(MapNode(a, by_activity[a]["events"], by_activity[a]["cases"],
                              by_activity[a].get("service_mean_s"), by_activity[a].get("service_median_s"))
                      for a in kept)
        return ProcessMap(self.name, nodes, tuple(edges), view=view, measure=measure, activities=a_share,
                          paths=p_share, cases=sel.cases, events=sel.events, total_activities=len(events),
                          total_paths=len(graph))

    def _projection(self, sel: Selection, kept: list[str], durations: CaseDurations | None = None) -> Filters:
        """Filters selecting the events of ``sel``'s cases whose activity is kept.

        Case-level filters chose whole cases on the log as it is; on the projected log a time
        window, duration or variant could choose other cases, so the chosen cases travel as
        their ids instead (the map of a filtered log shows the same cases in every view).
        """
        f = sel.filters
        attrs = dict(f.event_attributes)
        attrs["activity"] = tuple(a for a in attrs.get("activity", kept) if a in set(kept))
        trim = {"start": f.start, "end": f.end, "time_mode": "trim"} if f.time_mode == "trim" else {}
        narrowed = Filters(event_attributes=attrs, **trim)
        # a trimmed window is an event filter, kept above; only case-level filters need the ids
        untrimmed = {"start": None, "end": None, "time_mode": Filters().time_mode} if trim else {}
        if f.replace(event_attributes=(), **untrimmed).is_empty:
            return narrowed
        table = durations.table if durations is not None else self.engine.case_durations(sel)
        ids = table.column("case_id").to_pylist()
        return narrowed.replace(case_attributes={"case": ids or [""]})

    # -- people -----------------------------------------------------------------------------
    def handover_network(self, filters: Filters | None = None, *, level: str = "person", kind: str = "handover",
                         missing: str = "skip", **where: Any) -> "Network":  # noqa: F821
        """Handover of work (or ``kind``: working_together, subcontracting, similar_activities)
        between people or groups (``level``); see :mod:`procatlas.people.networks`."""
        from procatlas.people.networks import PeopleEvents, network
        f = _filters(filters, where)
        if f == Filters():  # no filter: read the process's events directly (no selection tables)
            with PeopleEvents(self.workspace, self.name) as pe:
                return network(self.workspace, pe, kind, level=level, missing=missing)
        with self._selection(f) as sel:
            with PeopleEvents(self.workspace, self.name, selection_table=sel.events_table) as pe:
                return network(self.workspace, pe, kind, level=level, missing=missing)

    # -- everything -------------------------------------------------------------------------
    def discover(self, filters: Filters | None = None, *, noise: float = 0.2, activities: float = 1.0,
                 paths: float = 1.0, view: str = "frequency", measure: str | None = None,
                 **where: Any) -> DiscoveryResult:
        """Summaries, map and process models (IMf with ``noise``) of the process in one go."""
        f = _filters(filters, where)
        with self._selection(f) as sel:
            dfg = self._dfg(sel)
            stats = ActivityStats(self.name, self.engine.activities(sel))
            variants = Variants(self.name, self.engine.variants(sel), sel.cases)
            pmap = self._map(sel, stats, activities=activities, paths=paths, view=view, measure=measure, dfg=dfg)
        from procatlas.mining._models import mine_models
        tree, net, bpmn = mine_models(variants.counts, noise=noise)
        return DiscoveryResult(self.name, sel.cases, sel.events, dfg, stats, variants, pmap, noise=noise,
                               tree=tree, net=net, bpmn=bpmn, filters=f)

    # -- exceptions and hot spots (procatlas.hotspots) ---------------------------------------
    def exceptions(self, filters: Filters | None = None, *, settings: Any = None, model: str | Path | None = None,
                   **where: Any):
        """Exceptions of every case (rework, skipped steps, ..., see docs/exceptions.md);
        ``settings``: a :class:`procatlas.hotspots.ExceptionSettings`; ``model``: a PNML/BPMN file."""
        from procatlas.hotspots import detect_exceptions
        with self._selection(_filters(filters, where)) as sel:
            return detect_exceptions(self, sel, settings, model=model)

    def hotspots(self, filters: Filters | None = None, *, settings: Any = None, model: str | Path | None = None,
                 **where: Any):
        """Hot spots: where two or more exception types co-occur more than chance explains."""
        from procatlas.hotspots import find_hotspots
        with self._selection(_filters(filters, where)) as sel:
            return find_hotspots(self, sel, settings, model=model)

    def conformance(self, filters: Filters | None = None, *, model: str | Path | None = None,
                    settings: Any = None, **where: Any):
        """Alignment fitness per case and for the log against ``model`` (default: IMf discovered)."""
        from procatlas.hotspots import check_conformance
        with self._selection(_filters(filters, where)) as sel:
            return check_conformance(self, sel, settings, model=model)


def write_discovery(result: DiscoveryResult, out: Path) -> dict[str, Any]:
    """Write map.svg, model.bpmn, model.pnml, model.svg, variants.csv and dfg.csv into ``out``.

    Returns ``{name: path}``; models whose writer is missing are listed under ``"missing"``.
    """
    import pyarrow.csv as pacsv

    from procatlas.mining import _models

    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    missing: list[str] = []
    files["map.svg"] = str(result.map.write_svg(out / "map.svg"))
    for name, make in (("model.bpmn", _models.bpmn_xml), ("model.pnml", _models.pnml_xml),
                       ("model.svg", _models.model_svg)):
        try:
            text = make(result)
        except _models.ModelUnavailable:
            missing.append(name)
            continue
        (out / name).write_text(text, encoding="utf-8")
        files[name] = str(out / name)
    variants = result.variants.table
    flat = variants.set_column(variants.schema.get_field_index("activities"), "activities",
                               pa.array([" > ".join(a) for a in variants["activities"].to_pylist()], pa.string()))
    pacsv.write_csv(flat, out / "variants.csv")
    files["variants.csv"] = str(out / "variants.csv")
    pacsv.write_csv(result.dfg.table, out / "dfg.csv")
    files["dfg.csv"] = str(out / "dfg.csv")
    if missing:
        files["missing"] = missing
    return files

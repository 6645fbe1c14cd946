"""The public facade of procatlas: keyword-only, typed functions over a workspace.

>>> import procatlas.api as atlas
>>> report = atlas.ingest(["running-example.xes"], workspace="atlas.duckdb")  # doctest: +SKIP
>>> atlas.info(workspace="atlas.duckdb").processes  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from procatlas.io import ReadOptions
from procatlas.model.mapping import Mapping
from procatlas.model.results import IngestReport, WorkspaceInfo
from procatlas.workspace import Workspace
from procatlas.workspace.core import SqlRows
from procatlas.workspace import export as _export
from procatlas.workspace import info as _info
from procatlas.workspace import ingest as _ingest

PathLike = str | os.PathLike

if TYPE_CHECKING:  # discovery imports stay lazy
    from procatlas.model.discovery import DiscoveryResult, Filters
    from procatlas.model.people import PeopleReport, WateringHoles


def open_workspace(workspace: PathLike | None = None, *, read_only: bool = False) -> Workspace:
    """Open (creating if needed) the workspace at ``workspace``, ``$PROCATLAS_WORKSPACE`` or ./atlas.duckdb."""
    return Workspace(workspace, read_only=read_only)


def ingest(paths: Sequence[PathLike], *, workspace: PathLike | Workspace | None = None,
           process: str | None = None, case: str | None = None, activity: str | None = None,
           timestamp: str | None = None, start_timestamp: str | None = None,
           resource: str | None = None, group: str | None = None, lifecycle: str | None = None,
           timezone: str = "UTC", delimiter: str | None = None, timestamp_format: str | None = None,
           as_: str | None = None, case_patterns: Sequence[str] = (),
           progress: Callable[[str, int, int], None] | None = None) -> IngestReport:
    """Read event files into the workspace, each in one transaction.

    Case-centric files (XES, CSV, Parquet) become one object type named ``process`` (default:
    the file's stem).  Column flags override detected roles.  Re-ingesting a file with the
    same sha256 changes nothing.  Row-level problems go to the reject table; an unusable file
    raises :class:`procatlas.errors.InputError` and leaves the workspace as it was.

    ``as_`` says what the files hold: ``"events"``, ``"messages"`` (JSON lines/CSV of messages,
    meeting calendars, SNAP edge lists, Enron simplices), ``"people"`` (people.csv, SNAP
    department labels) or ``"posts"`` (Twitter/X API v2 tweets); detected when omitted.
    ``case_patterns`` add regexes that find case references in message subjects and text.
    """
    options = ReadOptions(
        mapping=Mapping(case=case, activity=activity, timestamp=timestamp, start_timestamp=start_timestamp,
                        resource=resource, group=group, lifecycle=lifecycle),
        timezone=timezone, process=process, delimiter=delimiter, timestamp_format=timestamp_format,
        as_=as_, case_patterns=tuple(case_patterns))
    with _use(workspace) as ws:
        return _ingest.ingest(ws, [Path(p) for p in paths], options, progress=progress)


def info(*, workspace: PathLike | Workspace | None = None) -> WorkspaceInfo:
    """Volumes, time span, processes and sources of a workspace."""
    with _use(workspace, read_only=True) as ws:
        return _info.workspace_info(ws)


def rejects(*, workspace: PathLike | Workspace | None = None, source: int | None = None,
            limit: int = 100) -> list[dict]:
    """Rows that could not be stored, with file, line/row and reason."""
    with _use(workspace, read_only=True) as ws:
        return _info.rejects(ws, source=source, limit=limit)


def export(*, to: PathLike | None = None, process: str | None = None,
           workspace: PathLike | Workspace | None = None, parquet_dir: PathLike | None = None) -> dict:
    """Write one process as .xes/.xes.gz/.csv/.parquet, or the whole workspace as OCEL 2.0 .json/.sqlite;
    with ``parquet_dir``, the workspace's tables as Parquet partitioned by process and month, the
    input of the Spark engine (docs/scale.md).

    >>> export(workspace="atlas.duckdb", parquet_dir="atlas-parquet")  # doctest: +SKIP
    """
    from procatlas.errors import InputError
    if (to is None) == (parquet_dir is None):
        raise InputError("give one target: --to FILE or --parquet-dir DIR")
    with _use(workspace, read_only=True) as ws:
        if parquet_dir is not None:
            from procatlas.engine.choose import export_for_spark
            return export_for_spark(ws, Path(parquet_dir))
        return _export.export(ws, Path(to), process=process)


def discover(*, process: str, workspace: PathLike | Workspace | None = None, out: PathLike | None = None,
             activities: float = 1.0, paths: float = 1.0, view: str = "frequency", measure: str | None = None,
             noise: float = 0.2, filters: "Filters | None" = None, engine: str | None = None,
             spark_master: str | None = None, spark_data: PathLike | None = None,
             **where) -> tuple["DiscoveryResult", dict]:
    """Discover a process: summaries, map (sliders as shares 0..1) and IMf models.

    With ``out``, writes map.svg, model.bpmn, model.pnml, model.svg, variants.csv and dfg.csv
    there and returns their paths (a model file is left out, and named under ``"missing"``,
    when its writer is not available).  Filters are the fields of
    :class:`procatlas.model.discovery.Filters`, by keyword or as one object.  ``engine``:
    ``"duckdb"`` (default, or ``$PROCATLAS_ENGINE``) or ``"spark"`` (on the workspace's Parquet
    export, or ``spark_data``, with ``spark_master``; docs/scale.md), as for every analysis below.

    >>> result, files = discover(process="bpic2012", workspace="atlas.duckdb", paths=0.5)  # doctest: +SKIP
    >>> result.variants.to_pandas().head()  # doctest: +SKIP
    """
    from procatlas.process import write_discovery
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data,
              process=process) as ws:
        result = ws.process(process).discover(filters, noise=noise, activities=activities, paths=paths,
                                              view=view, measure=measure, **where)
    files = write_discovery(result, Path(out)) if out is not None else {}
    return result, files


def people(*, workspace: PathLike | Workspace | None = None, process: str | None = None, level: str = "person",
           missing: str = "skip", out: PathLike | None = None, engine: str | None = None,
           spark_master: str | None = None, spark_data: PathLike | None = None) -> tuple["PeopleReport", dict]:
    """Who does the work: per person (or group) statistics, resource x activity matrix, workload,
    discovered roles, handover and working-together networks.  ``process=None`` takes every
    process; ``missing`` says what events without a resource do (skip|unknown|break).  With
    ``out``, writes stats.csv, matrix.csv, workload.csv, handover.csv, working_together.csv and
    handover.svg there.

    >>> report, files = people(workspace="atlas.duckdb", process="bpic2012", level="group")  # doctest: +SKIP
    >>> report.handover.to_pandas().head()  # doctest: +SKIP
    """
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data,
              process=process) as ws:
        report = ws.people(process, level=level, missing=missing)
    files = report.write(Path(out)) if out is not None else {}
    return report, files


def watering_holes(*, workspace: PathLike | Workspace | None = None, top: int | None = 5,
                   out: PathLike | None = None, engine: str | None = None, spark_master: str | None = None,
                   spark_data: PathLike | None = None, **criteria) -> "WateringHoles":
    """Watering holes (informal cross-group venues) ranked by score, near misses and brokers.

    ``criteria`` override :class:`procatlas.people.Criteria` (``min_weeks=``, ``min_informal=`` ...).
    With ``out``, writes the people graph as ``people.svg`` there.

    >>> holes = watering_holes(workspace="atlas.duckdb", top=5)  # doctest: +SKIP
    >>> [h.venue for h in holes]  # doctest: +SKIP
    """
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data) as ws:
        from procatlas.people import Criteria, watering_holes as find
        result = find(ws, top=top, criteria=Criteria(**criteria) if criteria else None)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "people.svg").write_text(result.to_svg(), encoding="utf-8")
    return result


class _use:
    """Use a given Workspace as is, or open (and later close) one from a path; with
    ``engine="spark"`` a :class:`procatlas.engine.spark.SparkWorkspace` on its Parquet export
    (or on ``spark_data``), which analyses use through the same SQL interface."""

    # engine=False: DuckDB only (ingest, info, baselines ...); None: $PROCATLAS_ENGINE, else duckdb
    def __init__(self, workspace: PathLike | Workspace | None, *, read_only: bool = False, engine: str | None | bool = False,
                 spark_master: str | None = None, spark_data: PathLike | None = None, process: str | None = None):
        # a Workspace, or a Spark workspace (the SQL interface of one, procatlas.engine.spark)
        self._given = workspace if isinstance(workspace, SqlRows) else None
        self._path = None if self._given else workspace
        self._read_only = read_only
        self._opened: Workspace | None = None
        self._spark = None
        self._engine, self._master, self._data, self._process = engine, spark_master, spark_data, process

    def __enter__(self) -> Workspace:
        from procatlas.engine.choose import engine_name
        if self._given is not None and not isinstance(self._given, Workspace):
            return self._given  # already a Spark workspace
        if self._engine is not False and engine_name(self._engine) == "spark":
            return self._enter_spark()
        if self._given is not None:
            return self._given
        self._opened = Workspace(self._path, read_only=self._read_only)
        return self._opened

    def _enter_spark(self):
        from procatlas.engine.choose import ENV_SPARK_DATA, open_spark
        from procatlas.engine.spark import require_pyspark
        require_pyspark()  # before anything is exported
        if self._data or os.environ.get(ENV_SPARK_DATA):
            self._spark = open_spark(None, data=self._data, master=self._master, process=self._process)
        elif self._given is not None:
            self._spark = open_spark(self._given, master=self._master, process=self._process)
        else:
            with Workspace(self._path, read_only=True) as ws:
                self._spark = open_spark(ws, master=self._master, process=self._process)
        return self._spark

    def __exit__(self, *exc) -> None:
        if self._spark is not None:
            self._spark.close()
        if self._opened is not None:
            self._opened.close()


# -- process inventory, catalog, triggers, dependencies, post linking (procatlas.triggers) ----------

def processes(*, workspace: PathLike | Workspace | None = None, engine: str | None = None,
              spark_master: str | None = None, spark_data: PathLike | None = None):
    """Every object type with events as a process candidate (:class:`procatlas.model.triggers.Inventory`).

    >>> inv = processes(workspace="atlas.duckdb")  # doctest: +SKIP
    >>> inv.to_pandas()[["process", "role", "objects"]]  # doctest: +SKIP
    """
    from procatlas.triggers.inventory import inventory
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data) as ws:
        return inventory(ws)


def catalog(*, workspace: PathLike | Workspace | None = None, out: PathLike | None = None,
            engine: str | None = None, spark_master: str | None = None, spark_data: PathLike | None = None):
    """The event catalog, one row per activity; with ``out`` (.md or .csv) also written there.

    >>> catalog(workspace="atlas.duckdb", out="catalog.md").to_pandas().head()  # doctest: +SKIP
    """
    from procatlas.triggers.catalog import catalog as build
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data) as ws:
        result = build(ws)
    if out is not None:
        result.write(out)
    return result


def triggers(*, workspace: PathLike | Workspace | None = None, process: str | None = None,
             engine: str | None = None, spark_master: str | None = None, spark_data: PathLike | None = None,
             **options):
    """What starts each process's cases, with share and lag (options of
    :func:`procatlas.triggers.triggers.triggers`: ``channel_keys``, ``max_lag_s``, ``timezone`` ...).

    >>> [t.to_dict() for t in triggers(workspace="atlas.duckdb", process="complaint").triggers]  # doctest: +SKIP
    """
    from procatlas.triggers.triggers import triggers as find
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data) as ws:
        return find(ws, process=process, **options)


def dependencies(*, workspace: PathLike | Workspace | None = None, out: PathLike | None = None,
                 engine: str | None = None, spark_master: str | None = None, spark_data: PathLike | None = None,
                 **options):
    """Cross-process dependencies, relation cardinalities, synchronisation points and the OC-DFG;
    with ``out``, writes ocdfg.svg, ocdfg.csv, relations.csv and dependencies.csv there.

    >>> deps = dependencies(workspace="atlas.duckdb", out="deps")  # doctest: +SKIP
    """
    from procatlas.triggers.dependencies import dependencies as find
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data) as ws:
        result = find(ws, **options)
    if out is not None:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        result.ocdfg.write_svg(folder / "ocdfg.svg")
        pacsv.write_csv(result.ocdfg.edges, folder / "ocdfg.csv")
        rel = result.to_dict()["relations"]
        if rel:
            pacsv.write_csv(pa.Table.from_pylist(rel), folder / "relations.csv")
        if result.dependencies:
            pacsv.write_csv(result.to_arrow(), folder / "dependencies.csv")
    return result


def link_posts(*, workspace: PathLike | Workspace | None = None, target: str | None = None, rules=None,
               own_accounts: Sequence[str] | None = None, write: bool = False):
    """Link social posts to objects (ids in text, author, time near a ``target`` case start).

    With ``write``, linked object ids are added to the posts' ``case_refs`` in the workspace.

    >>> links = link_posts(workspace="atlas.duckdb", target="complaint")  # doctest: +SKIP
    >>> links.linked, links.unlinked, links.first_response_median_s  # doctest: +SKIP
    """
    from procatlas.triggers.linking import link_posts as link
    with _use(workspace, read_only=not write) as ws:
        return link(ws, rules=rules, target_type=target,
                    own_accounts=tuple(own_accounts) if own_accounts is not None else None, write=write)


def exceptions(*, process: str, workspace: PathLike | Workspace | None = None, model: PathLike | None = None,
               settings=None, filters: "Filters | None" = None, engine: str | None = None,
               spark_master: str | None = None, spark_data: PathLike | None = None, **where):
    """Exceptions of every case of ``process`` (see docs/exceptions.md); ``model``: a PNML/BPMN file
    for conformance (default: the IMf model discovered from the log).

    >>> result = exceptions(process="bpic2012", workspace="atlas.duckdb")  # doctest: +SKIP
    >>> result.counts()  # doctest: +SKIP
    """
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data,
              process=process) as ws:
        return ws.process(process).exceptions(filters, settings=settings, model=model, **where)


def hotspots(*, process: str, workspace: PathLike | Workspace | None = None, model: PathLike | None = None,
             settings=None, out: PathLike | None = None, filters: "Filters | None" = None,
             engine: str | None = None, spark_master: str | None = None, spark_data: PathLike | None = None,
             **where):
    """Ranked hot spots of ``process``; with ``out`` also writes ``heatmap.svg`` (the process map
    coloured by exception load) there.

    >>> result = hotspots(process="bpic2012", workspace="atlas.duckdb")  # doctest: +SKIP
    >>> result.to_dict(top=5)["hotspots"]  # doctest: +SKIP
    """
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data,
              process=process) as ws:
        proc = ws.process(process)
        result = proc.hotspots(filters, settings=settings, model=model, **where)
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
            result.write_heat_svg(proc.map(filters, **where), Path(out) / "heatmap.svg")
    return result


def conformance(*, process: str, workspace: PathLike | Workspace | None = None, model: PathLike | None = None,
                settings=None, filters: "Filters | None" = None, engine: str | None = None,
                spark_master: str | None = None, spark_data: PathLike | None = None, **where):
    """Alignment fitness of ``process`` (per case and for the log) against ``model`` (PNML/BPMN)
    or, without one, against its discovered IMf model."""
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data,
              process=process) as ws:
        return ws.process(process).conformance(filters, model=model, settings=settings, **where)


# -- metrics: KPI catalog, user KPIs, baselines, comparisons (procatlas.metrics) -----------------

def _catalog_options(calendar=None, sla_hours: float | None = None, exceptions: bool = True):
    from procatlas.metrics.run import options_of
    return options_of(calendar=calendar, sla_hours=sla_hours, exceptions=exceptions)


def metrics(*, workspace: PathLike | Workspace | None = None, process: str | None = None,
            kpis: PathLike | None = None, start=None, end=None, calendar=None, sla_hours: float | None = None,
            exceptions: bool = True, engine: str | None = None, spark_master: str | None = None,
            spark_data: PathLike | None = None):
    """KPIs of ``process`` (default every process) for cases started in ``start``..``end``: the
    built-in catalog (docs/kpis.md) plus the user KPIs of the TOML file ``kpis``; ``calendar``
    (a :class:`procatlas.metrics.BusinessCalendar`) makes cycle times working time.

    >>> m = metrics(process="bpic2012", workspace="atlas.duckdb")  # doctest: +SKIP
    >>> m["cycle_time_median"].value  # doctest: +SKIP
    """
    from procatlas.metrics import run
    with _use(workspace, read_only=True, engine=engine, spark_master=spark_master, spark_data=spark_data,
              process=process) as ws:
        return run.metrics(ws, process=process, kpis=kpis, start=start, end=end,
                           options=_catalog_options(calendar, sla_hours, exceptions))


def baseline_save(name: str, *, workspace: PathLike | Workspace | None = None, process: str | None = None,
                  kpis: PathLike | None = None, start=None, end=None, calendar=None,
                  sla_hours: float | None = None, exceptions: bool = True, replace: bool = False,
                  engine: str | None = None, spark_master: str | None = None, spark_data: PathLike | None = None):
    """Save the KPIs (values, window, definitions' hash, per-case samples) as baseline ``name``
    (computed by ``engine``, stored in the workspace)."""
    from procatlas.metrics import run
    with _use(workspace) as ws, _use(ws, read_only=True, engine=engine, spark_master=spark_master,
                                     spark_data=spark_data, process=process) as calc:
        return run.save(ws, name, process=process, kpis=kpis, start=start, end=end, replace=replace,
                        options=_catalog_options(calendar, sla_hours, exceptions), calc=calc)


def baselines(*, workspace: PathLike | Workspace | None = None):
    """Saved baselines (:class:`procatlas.model.metrics.BaselineInfo`), oldest first."""
    from procatlas.metrics.baseline import list_baselines
    with _use(workspace, read_only=True) as ws:
        return list_baselines(ws)


def baseline_delete(name: str, *, workspace: PathLike | Workspace | None = None) -> None:
    from procatlas.metrics.baseline import delete_baseline
    with _use(workspace) as ws:
        delete_baseline(ws, name)


def compare(*, workspace: PathLike | Workspace | None = None, baseline: str | None = None,
            before: str | None = None, after: str | None = None, start=None, end=None,
            process: str | None = None, kpis: PathLike | None = None, calendar=None,
            sla_hours: float | None = None, exceptions: bool = True, alpha: float = 0.05, seed: int = 0,
            engine: str | None = None, spark_master: str | None = None, spark_data: PathLike | None = None):
    """Compare a baseline with current data, or window ``before`` ("A..B") with ``after`` ("C..D"):
    per KPI both values, change, bootstrap 95% CI, p-value (Mann-Whitney / two-proportion / Fisher),
    Benjamini-Hochberg across KPIs and a verdict respecting the KPI's direction.

    >>> compare(baseline="q1", workspace="atlas.duckdb").to_dict()  # doctest: +SKIP
    """
    from procatlas.errors import InputError
    from procatlas.metrics import run
    if baseline is not None and (before or after):
        raise InputError("give a baseline name or --before/--after, not both")
    if baseline is None and not (before and after):
        raise InputError("compare needs a baseline name, or both --before A..B and --after C..D")
    # the baseline is read from the workspace; the KPIs of the data are computed by the engine
    with _use(workspace, read_only=True) as ws, _use(ws, read_only=True, engine=engine, spark_master=spark_master,
                                                     spark_data=spark_data, process=process) as calc:
        if baseline is not None:
            return run.compare_baseline(ws, baseline, start=start, end=end, alpha=alpha, seed=seed, calc=calc)
        return run.compare_windows(calc, before, after, process=process, kpis=kpis, alpha=alpha, seed=seed,
                                   options=_catalog_options(calendar, sla_hours, exceptions))

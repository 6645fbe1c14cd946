"""The atlas: ingest files, run every analysis for every process, write artifacts and atlas.html.

>>> report = build_atlas(["bpic2012.xes.gz"], workspace="atlas.duckdb", out="atlas-out")  # doctest: +SKIP
>>> report.html  # doctest: +SKIP
'atlas-out/atlas.html'
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procatlas.errors import AtlasError

# Slider positions precomputed for the interactive map of atlas.html (shares 0..1).  Three by
# three by two views keeps the file small; the web app renders any position on request.
ACTIVITY_LEVELS = (1.0, 0.6, 0.3)
PATH_LEVELS = (1.0, 0.5, 0.2)
VIEWS = ("frequency", "performance")

Progress = Callable[[str, int, int], None]
SECTION_STEPS = 4  # progress steps of one process: discovery, maps, durations, hot spots and the rest


def map_key(activities: float, paths: float, view: str) -> str:
    """Key of one precomputed map position, e.g. ``a100-p50-frequency`` (used by the report's JS)."""
    return f"a{round(activities * 100)}-p{round(paths * 100)}-{view}"


def slug(name: str) -> str:
    """A file-system-safe folder name for a process (object types may hold any character)."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "process"
    return text[:80]


@dataclass(frozen=True)
class ProcessSection:
    """Everything the atlas found about one process (result objects, not recomputed by render/)."""

    name: str
    cases: int
    events: int
    candidate: Any = None  # procatlas.model.triggers.ProcessCandidate
    discovery: Any = None  # DiscoveryResult
    files: dict = field(default_factory=dict)
    maps: dict = field(default_factory=dict)  # map_key -> SVG text
    durations: Any = None  # CaseDurations
    exceptions: Any = None  # ExceptionsResult
    hotspots: Any = None  # HotspotsResult
    heat_svg: str | None = None
    model_svg: str | None = None
    triggers: tuple = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AtlasContents:
    """The inputs of the report: workspace facts and every analysis result."""

    info: Any  # WorkspaceInfo
    ingest: Any  # IngestReport | None
    rejects: tuple[dict, ...]
    inventory: Any
    catalog: Any
    processes: tuple[ProcessSection, ...]
    triggers: Any
    dependencies: Any
    people: Any  # PeopleReport (group level)
    people_persons: Any  # PeopleReport (person level)
    watering_holes: Any
    post_links: Any
    metrics: Any
    notes: tuple[str, ...]
    generated: str


@dataclass(frozen=True)
class AtlasReport:
    """What ``build_atlas`` wrote and how long each stage took."""

    out: str
    html: str
    workspace: str
    ingest: dict
    info: dict
    processes: dict[str, dict]
    files: dict[str, str]
    notes: tuple[str, ...]
    seconds: dict[str, float]
    html_bytes: int

    def to_dict(self) -> dict:
        return {"out": self.out, "html": self.html, "workspace": self.workspace, "ingest": self.ingest,
                "info": self.info, "processes": self.processes, "files": self.files, "notes": list(self.notes),
                "seconds": self.seconds, "html_bytes": self.html_bytes}


class _Notes:
    """Run analyses, keeping a note instead of failing when one is unavailable or refuses the data."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def run(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (AtlasError, ImportError, NotImplementedError) as exc:
            self.items.append(f"{what}: skipped ({exc})")
            return None


def build_atlas(files: Sequence[str | Path], *, workspace: str | Path | None = None,
                out: str | Path = "atlas-out", progress: Progress | None = None,
                processes: Sequence[str] | None = None, title: str = "Process atlas",
                engine: str | None = None, spark_master: str | None = None, spark_data: str | Path | None = None,
                **ingest_options: Any) -> AtlasReport:
    """Ingest ``files`` (unchanged files are skipped by sha256), run every analysis for every
    process (or only ``processes``) and write DIR/atlas.html plus per-process artifacts.

    ``engine="spark"`` (default ``$PROCATLAS_ENGINE``, else DuckDB) computes every event-level
    analysis on Spark (``spark_master``), reading the workspace's Parquet export or ``spark_data``
    (docs/scale.md); ingest, the overview (volumes, rejected rows) and the social-post links read
    the workspace file.

    ``progress(stage, done, total)`` is called as stages advance.  Analyses that are missing or
    refuse the data (an :class:`~procatlas.errors.AtlasError`) are skipped with a note in the
    report and in ``AtlasReport.notes``.
    """
    from procatlas import api

    tick = progress or (lambda _stage, _done, _total: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    ingested = None
    if files:
        tick("ingest", 0, 1)
        ingested = api.ingest(list(files), workspace=workspace, **ingest_options)
        tick("ingest", 1, 1)
    seconds["ingest"] = round(time.perf_counter() - started, 3)
    ws = api.open_workspace(workspace, read_only=True)
    try:
        contents = collect(ws, ingested=ingested, processes=processes, out=out, progress=tick, seconds=seconds,
                           engine=engine, spark_master=spark_master, spark_data=spark_data)
    finally:
        ws.close()
    t = time.perf_counter()
    tick("report", 0, 1)
    from procatlas.render.report import render_report
    html = render_report(contents, title=title)
    html_path = out / "atlas.html"
    html_path.write_text(html, encoding="utf-8")
    tick("report", 1, 1)
    seconds["report"] = round(time.perf_counter() - t, 3)
    seconds["total"] = round(time.perf_counter() - started, 3)
    written = {"atlas.html": str(html_path)}
    if (out / "catalog.md").exists():
        written["catalog.md"] = str(out / "catalog.md")
    summary = {p.name: {"cases": p.cases, "events": p.events,
                        "variants": len(p.discovery.variants) if p.discovery is not None else None,
                        "exceptions": len(p.exceptions) if p.exceptions is not None else None,
                        "hotspots": len(p.hotspots) if p.hotspots is not None else None,
                        "files": {k: v for k, v in p.files.items() if k != "missing"},
                        "notes": list(p.notes)} for p in contents.processes}
    notes = tuple(contents.notes) + tuple(f"{p.name}: {n}" for p in contents.processes for n in p.notes)
    return AtlasReport(str(out), str(html_path), str(ws.path), ingested.to_dict() if ingested else {"sources": []},
                       contents.info.to_dict(), summary, written, notes, seconds, len(html.encode("utf-8")))


def collect(ws, *, ingested=None, processes: Sequence[str] | None = None, out: Path | None = None,
            progress: Progress | None = None, seconds: dict[str, float] | None = None,
            engine: str | None = None, spark_master: str | None = None,
            spark_data: str | Path | None = None) -> AtlasContents:
    """Run every available analysis on an open workspace; with ``out``, write the artifacts
    (``engine``, ``spark_master``, ``spark_data``: where the analyses run, see :func:`build_atlas`)."""
    from procatlas.triggers._base import shared_object_tables

    tick = progress or (lambda _stage, _done, _total: None)
    seconds = seconds if seconds is not None else {}
    with _Engine(ws, engine, spark_master, spark_data) as on, shared_object_tables(on.whole):
        return _collect(ws, on, ingested=ingested, processes=processes, out=out, tick=tick, seconds=seconds)


def _collect(ws, on: "_Engine", *, ingested, processes: Sequence[str] | None, out: Path | None, tick: Progress,
             seconds: dict[str, float]) -> AtlasContents:
    import datetime as dt

    from procatlas import api

    notes = _Notes()
    whole = on.whole  # the workspace-wide analyses read every process (the inventory's tables built once)
    t = time.perf_counter()
    tick("overview", 0, 4)
    info = api.info(workspace=ws)
    rejects = tuple(api.rejects(workspace=ws, limit=20))
    tick("overview", 1, 4)
    inventory = notes.run("process inventory", lambda: api.processes(workspace=whole))
    tick("overview", 2, 4)
    catalog = notes.run("event catalog", lambda: api.catalog(workspace=whole,
                                                              out=(out / "catalog.md") if out else None))
    tick("overview", 3, 4)
    all_triggers = notes.run("triggers", lambda: api.triggers(workspace=whole))
    tick("overview", 4, 4)
    seconds["overview"] = round(time.perf_counter() - t, 3)

    names = [p.process for p in info.processes]
    if processes is not None:
        unknown = sorted(set(processes) - set(names))
        if unknown:
            from procatlas.errors import InputError
            raise InputError(f"no process {', '.join(map(repr, unknown))} in the workspace; processes: "
                             + ", ".join(names))
        names = [n for n in names if n in set(processes)]
    by_name = {p.process: p for p in info.processes}
    candidates = {c.process: c for c in inventory.processes} if inventory is not None else {}
    sections = []
    t = time.perf_counter()
    steps = len(names) * SECTION_STEPS  # the bar advances within a process too (minutes each on Spark)
    for i, name in enumerate(names):
        tick("processes", i * SECTION_STEPS, steps)
        with on.section(name) as events:
            sections.append(_process_section(
                events, name, by_name[name], candidates.get(name), all_triggers,
                (out / "discovery" / slug(name)) if out else None,
                step=lambda j, i=i: tick("processes", i * SECTION_STEPS + j, steps)))
    tick("processes", steps, steps)
    seconds["processes"] = round(time.perf_counter() - t, 3)

    t = time.perf_counter()
    tick("cross-process", 0, 5)
    deps = notes.run("dependencies", lambda: api.dependencies(workspace=whole,
                                                               out=(out / "dependencies") if out else None))
    tick("cross-process", 1, 5)
    people_groups = notes.run("people (groups)", lambda: api.people(
        workspace=whole, level="group", out=(out / "people" / "groups") if out else None)[0])
    tick("cross-process", 2, 5)
    people_persons = notes.run("people", lambda: api.people(
        workspace=whole, level="person", out=(out / "people" / "persons") if out else None)[0])
    tick("cross-process", 3, 5)
    holes = notes.run("watering holes", lambda: api.watering_holes(
        workspace=whole, top=10, out=(out / "people") if out else None))
    tick("cross-process", 4, 5)
    links = None
    if ws.scalar("SELECT count(*) FROM message WHERE kind = 'social'"):
        links = notes.run("social posts", lambda: api.link_posts(workspace=ws, target=_post_target(names)))
    from procatlas.metrics.catalog import compute_metrics
    # the KPIs of the processes in the atlas (every process unless --process chose some)
    metrics = notes.run("metrics", lambda: compute_metrics(whole, processes=None if processes is None else names))
    tick("cross-process", 5, 5)
    seconds["cross-process"] = round(time.perf_counter() - t, 3)
    return AtlasContents(info, ingested, rejects, inventory, catalog, tuple(sections), all_triggers, deps,
                         people_groups, people_persons, holes, links, metrics, tuple(notes.items),
                         dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


class _Engine:
    """Where the atlas's event-level analyses run: the workspace itself (DuckDB), or Spark on its
    Parquet export (resolved once, so every analysis reads the same folder): ``whole`` for the
    workspace-wide analyses, :meth:`section` for one process's section."""

    def __init__(self, ws, engine: str | None, master: str | None, data: str | Path | None) -> None:
        from procatlas.engine.choose import engine_name
        self.ws, self.whole = ws, ws
        self.spark: dict[str, Any] | None = None
        if engine_name(engine) == "spark":
            import os

            from procatlas.engine.choose import ENV_SPARK_DATA, parquet_for
            from procatlas.engine.spark import require_pyspark
            require_pyspark()  # a missing pyspark fails the atlas, not each analysis with a note
            self.spark = {"data": str(data or os.environ.get(ENV_SPARK_DATA) or parquet_for(ws)), "master": master}

    def __enter__(self) -> "_Engine":
        if self.spark is not None:
            from procatlas.engine.choose import open_spark
            self.whole = open_spark(None, **self.spark)
        return self

    def __exit__(self, *exc) -> None:
        if self.whole is not self.ws:
            self.whole.close()

    @contextmanager
    def section(self, process: str) -> Iterator[Any]:
        """The workspace one process's section reads: ``ws``, or a Spark workspace of that process."""
        if self.spark is None:
            yield self.ws
            return
        from procatlas.engine.choose import open_spark
        with open_spark(None, process=process, **self.spark) as sw:
            yield sw


def _post_target(names: list[str]) -> str | None:
    """The process that social posts most plausibly start (complaints when there are any)."""
    for name in names:
        if "complaint" in name.lower():
            return name
    return None


def _process_section(ws, name: str, pinfo, candidate, all_triggers, folder: Path | None,
                     step: Callable[[int], None] = lambda _done: None) -> ProcessSection:
    from procatlas.model.discovery import ActivityStats, Filters
    from procatlas.process import write_discovery

    notes = _Notes()
    proc = ws.process(name)
    discovery = notes.run("discovery", lambda: proc.discover(paths=1.0))
    step(1)
    files: dict = {}
    if discovery is not None and folder is not None:
        files = write_discovery(discovery, folder)
        if files.get("missing"):
            notes.items.append("model files not written: " + ", ".join(files["missing"]))
    maps: dict[str, str] = {}
    if discovery is not None:
        # one selection for every slider position; the activity projections are the only extra queries
        with proc._selection(Filters()) as sel:
            stats = ActivityStats(name, proc.engine.activities(sel))
            for a in ACTIVITY_LEVELS:
                for p in PATH_LEVELS:
                    for view in VIEWS:
                        pmap = proc._map(sel, stats, activities=a, paths=p, view=view, measure=None,
                                         dfg=discovery.dfg)
                        maps[map_key(a, p, view)] = pmap.to_svg()
    step(2)
    durations = notes.run("case durations", lambda: proc.case_durations())
    step(3)
    hotspots = notes.run("hot spots", lambda: proc.hotspots())
    # hot spots are found from the exceptions; detect them again only when that step was skipped
    exceptions = getattr(hotspots, "exceptions", None)
    if exceptions is None:
        exceptions = notes.run("exceptions", lambda: proc.exceptions())
    heat = None
    if hotspots is not None and discovery is not None:
        heat = hotspots.heat_svg(discovery.map)
        if folder is not None:
            (folder / "heatmap.svg").write_text(heat, encoding="utf-8")
            files["heatmap.svg"] = str(folder / "heatmap.svg")
    model_svg = None
    if discovery is not None:
        from procatlas.mining._models import ModelUnavailable
        try:
            model_svg = discovery.to_model_svg()
        except ModelUnavailable as exc:
            notes.items.append(f"model drawing skipped ({exc})")
    mine = tuple(t for t in getattr(all_triggers, "triggers", ()) if t.process == name)
    return ProcessSection(name, pinfo.cases, pinfo.events, candidate, discovery, files, maps, durations,
                          exceptions, hotspots, heat, model_svg, mine, tuple(notes.items))

"""The local web app: the atlas views with live filters; every HTML page has a JSON twin under /api.

Read-only on the workspace: requests share one read-only DuckDB connection that closes two seconds
after the last request (:mod:`procatlas.web.cache`), so that ``procatlas ingest`` in another
process can take the write lock between bursts of requests.  DuckDB refuses a read-only connection
while another process holds the file for writing; the app then answers 503 with a JSON body
saying so, and the next request tries again.  Results (per process and filters: the selection's
activity statistics, DFG, variants and case durations; rendered maps) are cached in a small LRU
keyed by the workspace file's signature, so a finished ingest invalidates them.
Request text never becomes SQL: filters become :class:`procatlas.Filters` values that the
engine passes as parameters, and case ids travel as parameters too.
"""

from __future__ import annotations

import hmac
import json
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup

from procatlas.engine.choose import engine_name
from procatlas.errors import AtlasError, InputError
from procatlas.web.cache import LRU, Cubes, Handle, Locked

MAX_CASES = 200
__all__ = ["Locked", "create_app"]


def create_app(workspace: str | Path, *, token: str | None = None, idle: float = 2.0,
               cache_size: int = 128, warm: bool = False, engine: str | None = None,
               spark_master: str | None = None, spark_data: str | Path | None = None) -> FastAPI:
    """The FastAPI app over ``workspace`` (read-only; the connection closes ``idle`` seconds after the
    last request); ``token`` guards every route; ``cache_size`` results are kept; ``warm`` builds
    the process cubes (the arrays filters are answered from) in a background thread at once.

    With ``engine="spark"`` the event-level work (the process cubes, selections the cubes cannot
    answer, exceptions and hot spots, people and watering holes) runs on Spark, on the workspace's Parquet
    export or ``spark_data`` (docs/scale.md); the workspace file still answers the overview, case
    timelines, case attribute lists and dependencies."""
    import jinja2

    from procatlas.render.report import duration, inline_svg, num, pct

    path = Path(workspace)
    app = FastAPI(title="procatlas", description="The atlas of a procatlas workspace, read-only.",
                  version="1")
    env = jinja2.Environment(loader=jinja2.PackageLoader("procatlas.web", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=pct, num=num, duration=duration, svg=inline_svg)

    handle = Handle(path, idle=idle)
    cache = LRU(cache_size)
    # selections hold a case table each (about 30 MB at 10 million events): few of them
    selections = LRU(max(2, cache_size // 16))
    cubes = Cubes()
    spark = _SparkSide(spark_master, spark_data) if engine_name(engine) == "spark" else None
    warm = warm and spark is None  # on Spark a cube is built when a process is first asked for
    app.state.spark = spark
    app.state.handle, app.state.cache, app.state.selections, app.state.cubes = handle, cache, selections, cubes
    app.state.warming = cubes.warm(path, then=lambda ws, sig, name: attributes(ws, sig, name)) if warm else None

    def opened():
        return handle.opened()

    def attributes(ws, sig: tuple, name: str) -> dict[str, list[str]]:
        return cache.get(("attributes", sig, name), lambda: _case_attributes(ws, name))

    def process_of(ws, sig: tuple, name: str, f):
        """The process on the engine for these filters: case-level filters and activity projections
        are answered from the process's cube (engine/cube.py), the rest by selecting the log."""
        from procatlas.engine.cube import Cube, CubeEngine
        from procatlas.process import Process
        ws = events(ws, sig, name)
        if Cube.supports(f):
            return Process(ws, name, engine=CubeEngine(cubes.get(ws, sig, name), ws))
        return ws.process(name)

    def events(ws, sig: tuple, name: str):
        """Where the events of ``name`` are read: the workspace, or its Spark workspace."""
        return spark.workspace(ws, sig, name) if spark is not None else ws

    def summary(ws, sig: tuple, name: str, f) -> dict:
        """One selection per (process, filters): everything the map, variants and drill-down need."""
        def compute() -> dict:
            from procatlas.model.discovery import ActivityStats, CaseDurations, Variants
            proc = process_of(ws, sig, name, f)
            with proc._selection(f) as sel:
                return {"sel": sel, "stats": ActivityStats(name, proc.engine.activities(sel)),
                        "dfg": proc._dfg(sel), "variants": Variants(name, proc.engine.variants(sel), sel.cases),
                        "durations": CaseDurations(name, proc.engine.case_durations(sel)), "projected": {}}
        return selections.get(("summary", sig, name, _key(f)), compute)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip() \
                or request.query_params.get("token", "") or request.cookies.get("procatlas_token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse({"error": "unauthorized", "detail": "a valid token is required"}, 401)
        response = await call_next(request)
        if token is not None and request.query_params.get("token"):
            response.set_cookie("procatlas_token", token, httponly=True, samesite="strict")
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(Locked)
    async def locked(_request: Request, exc: Locked):
        return JSONResponse({"error": "workspace busy", "detail": "another process holds the workspace for "
                             "writing (an ingest is running); try again when it has finished"}, 503)

    @app.exception_handler(AtlasError)
    async def atlas_error(_request: Request, exc: AtlasError):
        status = 404 if "no process" in str(exc) or "no case" in str(exc) else 400
        return JSONResponse({"error": type(exc).__name__, "detail": str(exc)}, status)

    def page(name: str, **data: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**data))

    # -- data (the JSON twins) ----------------------------------------------------------------
    def overview_data() -> dict:
        from procatlas import api
        with opened() as (ws, sig):
            def compute() -> dict:
                info = api.info(workspace=ws)
                return {"workspace": info.to_dict(), "rejects": api.rejects(workspace=ws, limit=20)}
            return cache.get(("overview", sig), compute)

    def filters_of(start: str | None, end: str | None, attribute: str | None, value: str | None,
                   variant: int | None, top_variants: int | None):
        from procatlas.model.discovery import Filters
        where: dict[str, Any] = {"start": start or None, "end": end or None, "top_variants": top_variants}
        if attribute and value is not None:
            where["case_attributes"] = {attribute: value}
        f = Filters(**where)
        return f, variant

    def narrowed(ws, sig: tuple, name: str, f, variant: int | None):
        """The filters and summary after narrowing to one variant (numbered under the other filters)."""
        base = summary(ws, sig, name, f)
        if variant is None:
            return f, base
        import pyarrow.compute as pc
        t = base["durations"].table
        ids = t.filter(pc.equal(t["variant"], variant))["case_id"].to_pylist()
        f = f.replace(case_attributes={**dict(f.case_attributes), "case": ids or ["\x00none"]})
        return f, summary(ws, sig, name, f)

    def process_data(name: str, activities: float, paths: float, view: str, f, variant: int | None) -> dict:
        with opened() as (ws, sig):
            def compute() -> dict:
                variants = summary(ws, sig, name, f)["variants"]
                g, s = narrowed(ws, sig, name, f, variant)
                proc = process_of(ws, sig, name, g)
                projected = s["projected"]
                if view == "frequency":  # counts only: the projection comes from the variants, no new selection
                    projected = _FromVariants(name, s["variants"], g, s["projected"])
                pmap = proc._map(s["sel"], s["stats"], activities=activities, paths=paths, view=view,
                                 measure=None, dfg=s["dfg"], projected=projected, durations=s["durations"])
                attrs = attributes(ws, sig, name)
                return {"process": name, "filters": g.to_dict(), "variant": variant, "cases": pmap.cases,
                        "events": pmap.events, "map": pmap.to_dict(), "svg": pmap.to_svg(),
                        "variants": [{**v, "activities": list(v["activities"])}
                                     for v in variants.table.slice(0, 25).to_pylist()],
                        "variant_count": len(variants), "case_attributes": attrs}
            return cache.get(("process", sig, name, _key(f), variant, activities, paths, view), compute)

    def cases_data(name: str, f, variant: int | None, activity: str | None, limit: int) -> dict:
        with opened() as (ws, sig):
            if activity:
                f = f.replace(with_activities=(activity,))
            t = summary(ws, sig, name, f)["durations"].table
        import pyarrow as pa
        import pyarrow.compute as pc
        if variant is not None:
            t = t.filter(pc.equal(t["variant"], variant))
        # longest first (no duration: last), ties in the table order (start time, case)
        import numpy as np
        order = pc.sort_indices(t.append_column("_i", pa.array(np.arange(t.num_rows, dtype=np.int64))),
                                sort_keys=[("duration_s", "descending"), ("_i", "ascending")])
        rows = t.take(order.slice(0, limit)).to_pylist()
        return {"process": name, "filters": f.to_dict(), "variant": variant, "activity": activity,
                "cases": t.num_rows, "rows": [_json_row(r) for r in rows], "limit": limit}

    def case_data(name: str, case_id: str) -> dict:
        with opened() as (ws, _sig):
            rows = ws.arrow(CASE_EVENTS_SQL, [name, case_id]).to_pylist()
            if not rows:
                if not ws.scalar("SELECT count(*) FROM object WHERE type = ?", [name]):
                    raise InputError(f"no process '{name}' in the workspace")
                raise InputError(f"no case '{case_id}' in process '{name}'")
        events = [_json_row(r) for r in rows]
        first, last = rows[0]["timestamp"], rows[-1]["timestamp"]
        return {"process": name, "case": case_id, "events": events,
                "duration_s": (last - first).total_seconds()}

    def holes_data(ws, sig: tuple) -> tuple[dict, str | None]:
        """Watering holes and brokers (workspace-wide: every process's events, for the formal
        handovers, and the messages) and the note when there are none to find."""
        from procatlas.people import watering_holes as find_holes
        try:
            found = find_holes(events(ws, sig, None), top=10)
        except InputError as exc:
            return {"watering_holes": [], "near_misses": [], "brokers": [], "candidates": 0,
                    "messages": 0, "criteria": {}, "people_svg": None}, str(exc)
        return found.to_dict() | {"people_svg": found.to_svg() if found.graph_nodes else None}, None

    def people_data(process: str | None) -> dict:
        with opened() as (ws, sig):
            def compute() -> dict:
                if process and not ws.scalar("SELECT count(*) FROM object WHERE type = ?", [process]):
                    raise InputError(f"no process '{process}' in the workspace")
                notes = []
                on = events(ws, sig, process)
                persons = on.people(process, level="person")
                try:
                    groups = on.people(process, level="group")
                except InputError as exc:  # no groups known: the handover network between people
                    groups = None
                    notes.append(str(exc))
                holes, note = cache.get(("holes", sig), lambda: holes_data(ws, sig))  # one for every process
                notes += [note] if note else []
                handover = (groups or persons).handover
                return {"process": process, "level": "group" if groups else "person",
                        "groups": _rows_of(groups.stats) if groups else [],
                        "persons": _rows_of(persons.stats.slice(0, 50)), "people": persons.stats.num_rows,
                        "events_without_resource": persons.events_without_resource,
                        "handover": handover.to_dict(), "handover_svg": handover.to_svg(),
                        "roles": groups.roles.to_dict() if groups and groups.roles else None,
                        **holes, "notes": notes}
            return cache.get(("people", sig, process), compute)

    def exceptions_data(name: str, limit: int) -> dict:
        from procatlas.model.discovery import Filters
        with opened() as (ws, sig):
            def compute() -> dict:
                s = summary(ws, sig, name, Filters())  # also raises "no process" for an unknown name
                proc = events(ws, sig, name).process(name)
                spots = proc.hotspots()
                found = spots.exceptions if spots.exceptions is not None else proc.exceptions()
                pmap = proc._map(s["sel"], s["stats"], activities=1.0, paths=1.0, view="frequency",
                                 measure=None, dfg=s["dfg"])
                return {"process": name, "exceptions": found.to_dict(), "hotspots": spots.to_dict(),
                        "activity_load": dict(spots.activity_load),
                        "edge_load": [{"source": a, "target": b, "exceptions": n}
                                      for (a, b), n in spots.edge_load.items()],
                        "heat_svg": spots.heat_svg(pmap)}
            d = cache.get(("exceptions", sig, name), compute)
        rows = d["exceptions"]["rows"]
        return {**d, "exceptions": {**d["exceptions"], "rows": [_json_row(r) for r in rows[:limit]],
                                    "limit": limit}}

    def dependencies_data() -> dict:
        from procatlas import api
        with opened() as (ws, sig):
            def compute() -> dict:
                deps = api.dependencies(workspace=ws)
                return {**json.loads(json.dumps(deps.to_dict(), default=str)),
                        "svg": deps.ocdfg.to_svg() if deps.dependencies or deps.relations else None}
            return cache.get(("dependencies", sig), compute)

    # -- JSON API ----------------------------------------------------------------------------
    @app.get("/api/overview", tags=["api"])
    def api_overview() -> dict:
        """Volumes, time span, processes, sources and first rejects."""
        return overview_data()

    @app.get("/api/process/{name}", tags=["api"])
    def api_process(name: str, activities: float = Query(1.0, ge=0, le=1), paths: float = Query(1.0, ge=0, le=1),
                    view: str = Query("frequency", pattern="^(frequency|performance)$"),
                    start: str | None = None, end: str | None = None, attribute: str | None = None,
                    value: str | None = None, variant: int | None = Query(None, ge=1),
                    top_variants: int | None = Query(None, ge=1)) -> dict:
        """The process map (sliders as shares 0..1) and variants under the filters."""
        f, variant = filters_of(start, end, attribute, value, variant, top_variants)
        return process_data(name, activities, paths, view, f, variant)

    @app.get("/api/process/{name}/cases", tags=["api"])
    def api_cases(name: str, start: str | None = None, end: str | None = None, attribute: str | None = None,
                  value: str | None = None, variant: int | None = Query(None, ge=1),
                  activity: str | None = None, limit: int = Query(100, ge=1, le=MAX_CASES)) -> dict:
        """The cases behind a number: of a variant, through an activity, under the filters."""
        f, variant = filters_of(start, end, attribute, value, variant, None)
        return cases_data(name, f, variant, activity, limit)

    @app.get("/api/process/{name}/case/{case_id}", tags=["api"])
    def api_case(name: str, case_id: str) -> dict:
        """One case's timeline: its events in order."""
        return case_data(name, case_id)

    @app.get("/api/people", tags=["api"])
    def api_people(process: str | None = None) -> dict:
        """Groups, the handover network between groups, busiest people, watering holes and brokers."""
        return people_data(process or None)

    @app.get("/api/process/{name}/exceptions", tags=["api"])
    def api_exceptions(name: str, limit: int = Query(100, ge=1, le=1000)) -> dict:
        """Exceptions per type (and the first ``limit`` rows), ranked hot spots and the heat map."""
        return exceptions_data(name, limit)

    @app.get("/api/dependencies", tags=["api"])
    def api_dependencies() -> dict:
        """Dependencies between processes, relation cardinalities, sync points and the OC-DFG."""
        return dependencies_data()

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(status_code=204)

    # -- HTML pages --------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page():
        return page("overview.html.j2", d=overview_data())

    @app.get("/process/{name}", response_class=HTMLResponse, include_in_schema=False)
    def process_page(name: str, activities: float = Query(1.0, ge=0, le=1), paths: float = Query(1.0, ge=0, le=1),
                     view: str = Query("frequency", pattern="^(frequency|performance)$"),
                     start: str | None = None, end: str | None = None, attribute: str | None = None,
                     value: str | None = None, variant: int | None = Query(None, ge=1),
                     top_variants: int | None = Query(None, ge=1)):
        f, variant = filters_of(start, end, attribute, value, variant, top_variants)
        d = process_data(name, activities, paths, view, f, variant)
        return page("process.html.j2", d=d, svg=Markup(inline_svg(d["svg"])), q={
            "activities": activities, "paths": paths, "view": view, "start": start or "", "end": end or "",
            "attribute": attribute or "", "value": value or "", "variant": variant or ""},
            api=Markup(json.dumps(f"/api/process/{name}").replace("<", "\\u003c")))

    @app.get("/process/{name}/cases", response_class=HTMLResponse, include_in_schema=False)
    def cases_page(name: str, start: str | None = None, end: str | None = None, attribute: str | None = None,
                   value: str | None = None, variant: int | None = Query(None, ge=1), activity: str | None = None,
                   limit: int = Query(100, ge=1, le=MAX_CASES)):
        f, variant = filters_of(start, end, attribute, value, variant, None)
        return page("cases.html.j2", d=cases_data(name, f, variant, activity, limit))

    @app.get("/process/{name}/case/{case_id}", response_class=HTMLResponse, include_in_schema=False)
    def case_page(name: str, case_id: str):
        return page("case.html.j2", d=case_data(name, case_id))

    @app.get("/people", response_class=HTMLResponse, include_in_schema=False)
    def people_page(process: str | None = None):
        d = people_data(process or None)
        return page("people.html.j2", d=d, handover_svg=Markup(inline_svg(d["handover_svg"])),
                    people_svg=Markup(inline_svg(d["people_svg"])) if d["people_svg"] else None)

    @app.get("/process/{name}/exceptions", response_class=HTMLResponse, include_in_schema=False)
    def exceptions_page(name: str, limit: int = Query(100, ge=1, le=1000)):
        d = exceptions_data(name, limit)
        return page("exceptions.html.j2", d=d, heat_svg=Markup(inline_svg(d["heat_svg"])))

    @app.get("/dependencies", response_class=HTMLResponse, include_in_schema=False)
    def dependencies_page():
        d = dependencies_data()
        return page("dependencies.html.j2", d=d, svg=Markup(inline_svg(d["svg"])) if d["svg"] else None)

    return app


# One case's events in order (timestamp, then file position); values are parameters only.
CASE_EVENTS_SQL = """
SELECT e.activity, e.timestamp, e.start_timestamp, e.resource, e."group", e.lifecycle
FROM event e
JOIN event_object eo ON eo.eid = e.eid
JOIN object o ON o.oid = eo.oid
WHERE o.type = ? AND o.id = ?
ORDER BY e.timestamp, e.eid
"""

# Case attributes with few distinct values: what the attribute filter offers.
CASE_ATTRIBUTES_SQL = """
WITH kv AS (
    SELECT k.key AS name, json_extract_string(o.attributes, '$."' || replace(k.key, '"', '') || '"') AS value
    FROM object o, LATERAL (SELECT unnest(json_keys(o.attributes)) AS key) k
    WHERE o.type = ? AND o.attributes IS NOT NULL
)
SELECT name, list(DISTINCT value ORDER BY value) AS "values"
FROM kv WHERE value IS NOT NULL
GROUP BY name HAVING count(DISTINCT value) BETWEEN 2 AND 30
ORDER BY name
"""


def _case_attributes(ws, process: str) -> dict[str, list[str]]:
    try:
        return {n: list(v) for n, v in ws.rows(CASE_ATTRIBUTES_SQL, [process])}
    except Exception:  # noqa: BLE001 - attribute shapes vary; the filter list is a convenience
        return {}


class _SparkSide:
    """The Spark workspaces of the app (one per process, its partitions only), opened on the
    workspace's Parquet export (written when missing or stale) or on ``data``; replaced when the
    workspace file changes."""

    def __init__(self, master: str | None, data: str | Path | None) -> None:
        from procatlas.engine.spark import require_pyspark
        require_pyspark()
        self.master, self.data = master, data
        self._open: dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def workspace(self, ws, sig: tuple, process: str | None):
        from procatlas.engine.choose import open_spark
        with self._lock:
            for key in [k for k in self._open if k[0] != sig]:
                self._open.pop(key).close()
            if (sig, process) not in self._open:
                self._open[(sig, process)] = open_spark(ws, data=self.data, master=self.master, process=process)
            return self._open[(sig, process)]


class _FromVariants(dict):
    """Projected DFGs (kept activities -> Dfg) counted from the variant table, for the frequency view.

    A case-level selection keeps whole cases, so projecting each variant's activity sequence on the
    kept activities and weighting it by its cases gives the same frequencies, case counts and
    start/end counts as selecting the projected events again (tests/web/test_pages.py checks it);
    only the transition times are missing (the performance view selects the events).  A DFG
    already selected for the performance view is used when there is one.
    """

    def __init__(self, name: str, variants, filters, selected: dict) -> None:
        super().__init__()
        self.name, self.variants, self.filters, self.selected = name, variants, filters, selected

    def __contains__(self, key) -> bool:
        return True

    def __getitem__(self, kept: tuple):
        if kept in self.selected:
            return self.selected[kept]
        if kept not in self.selected.setdefault("_counts", {}):
            self.selected["_counts"][kept] = _dfg_of_variants(self.name, self.variants, kept, self.filters)
        return self.selected["_counts"][kept]


def _dfg_of_variants(name: str, variants, kept: tuple, filters):
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from procatlas.model.discovery import Dfg
    t = variants.table
    flat = pc.list_flatten(t["activities"]).dictionary_encode().combine_chunks() \
        if isinstance(t["activities"], pa.ChunkedArray) else pc.list_flatten(t["activities"]).dictionary_encode()
    names = flat.dictionary.to_pylist()
    codes = flat.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    parent = pc.list_parent_indices(t["activities"]).to_numpy(zero_copy_only=False).astype(np.int64)
    weight = np.asarray(t["cases"].to_numpy(zero_copy_only=False), dtype=np.int64)
    keep = np.isin(codes, [i for i, a in enumerate(names) if a in set(kept)])
    codes, parent = codes[keep], parent[keep]
    k = len(names)
    same = parent[1:] == parent[:-1] if len(parent) else np.zeros(0, bool)
    first = np.ones(len(parent), bool)
    first[1:] = ~same
    last = np.ones(len(parent), bool)
    last[:-1] = ~same
    key = codes[:-1][same] * k + codes[1:][same]
    owner = parent[:-1][same]
    freq = np.bincount(key, weights=weight[owner], minlength=k * k) if len(key) else np.zeros(k * k)
    pairs = np.unique(owner * (k * k) + key) if len(key) else np.zeros(0, np.int64)
    cases = np.bincount(pairs % (k * k), weights=weight[pairs // (k * k)], minlength=k * k) \
        if len(pairs) else np.zeros(k * k)
    start = np.bincount(codes[first], weights=weight[parent[first]], minlength=k)
    end = np.bincount(codes[last], weights=weight[parent[last]], minlength=k)
    edges = sorted((int(e) for e in np.nonzero(freq)[0]),
                   key=lambda e: (-freq[e], names[e // k], names[e % k]))
    table = pa.table({"source": pa.array([names[e // k] for e in edges], pa.string()),
                      "target": pa.array([names[e % k] for e in edges], pa.string()),
                      "frequency": pa.array([int(freq[e]) for e in edges], pa.int64()),
                      "cases": pa.array([int(cases[e]) for e in edges], pa.int64())})

    def counts(x) -> dict[str, int]:  # as the engine lists them: most cases first, then by name
        return dict(sorted(((names[i], int(x[i])) for i in np.nonzero(x)[0]), key=lambda kv: (-kv[1], kv[0])))
    return Dfg(name, table, counts(start), counts(end), filters)


def _key(f) -> str:
    """A cache key of filters (their JSON form, sorted)."""
    return json.dumps(f.to_dict(), sort_keys=True, default=str)


def _rows_of(table) -> list[dict]:
    return [_json_row(r) for r in table.to_pylist()]


def _json_row(r: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}

"""One suite, two engines: every summary computed by Spark (local[2]) equals DuckDB's.

Each log is ingested once into DuckDB, exported with ``export --parquet-dir`` and read by the
Spark engine; the analyses run unchanged on both (the same SQL text, transpiled for Spark).
The module is one pytest-xdist group, so its SparkSession starts once per run.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import shutil
from datetime import datetime

import pyarrow as pa
import pytest

from procatlas import api
from procatlas.engine.choose import export_for_spark
from procatlas.workspace import Workspace
from tests.conftest import data_file

pytest.importorskip("pyspark", reason="pyspark not installed: pip install 'procatlas[spark]'")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("Spark needs Java 17+ (apt-get install openjdk-17-jre-headless)", allow_module_level=True)

from procatlas.engine.spark import SparkWorkspace, spark_session  # noqa: E402

LOGS = {  # process -> (file, ingest options)
    "receipt": ("pm4py__pm4py-core/receipt.csv", {}),
    "helpdesk": ("pm4py__pm4py-core/helpdesk.xes.gz", {}),
    "bpic2012": ("pm4py__pm4py-core/bpic2012.xes.gz", {}),
}
TOL = 1e-6


@pytest.fixture(scope="module")
def spark():
    return spark_session("local[2]")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("spark")


def _pair(folder, spark, process: str, ws: Workspace):
    pq = folder / f"{process}.parquet"
    export_for_spark(ws, pq)
    return ws, SparkWorkspace(pq, session=spark, process=process)


@pytest.fixture(scope="module")
def engines(folder, spark):
    """process -> (DuckDB workspace, Spark workspace), opened lazily."""
    opened: dict[str, tuple] = {}

    def get(process: str):
        if process not in opened:
            if process == "large":
                ws = _large_log(folder, get("bpic2012")[0])
            else:
                rel, options = LOGS[process]
                ws = Workspace(folder / f"{process}.duckdb")
                api.ingest([data_file(rel)], workspace=ws, process=process, **options)
            opened[process] = _pair(folder, spark, process, ws)
        return opened[process]

    yield get
    for ws, sw in opened.values():
        sw.close()
        ws.close()


def _large_log(folder, base: Workspace) -> Workspace:
    """BPIC 2012 replicated 4 times (1,048,800 events), as 'large': shifted ids, dates and eids."""
    ws = Workspace(folder / "large.duckdb")
    table = base.arrow("""SELECT e.*, eo.oid, o.id AS case_id FROM event e JOIN event_object eo ON eo.eid = e.eid
                          JOIN object o ON o.oid = eo.oid""")
    ws.execute("CREATE TEMP TABLE src AS SELECT * FROM t", register={"t": table})
    span = ws.scalar("SELECT max(eid) + 1 FROM src")
    ospan = ws.scalar("SELECT max(oid) + 1 FROM src")
    with ws.transaction():
        ws.execute("INSERT INTO source VALUES (1, 'generated', 'csv', 'large-1m', NULL, 'large', NULL, 'UTC', "
                   "NULL, NULL, 0, NULL, TIMESTAMP '2026-01-01')")
        for k in range(4):
            ws.execute(f"""INSERT INTO event SELECT eid + {k} * {span}, id, 1, position + {k} * {span}, activity,
                           timestamp + INTERVAL ({k * 7}) DAY, lifecycle, resource, "group",
                           start_timestamp + INTERVAL ({k * 7}) DAY, attributes FROM src""")
            ws.execute(f"""INSERT INTO event_object SELECT eid + {k} * {span}, oid + {k} * {ospan}, NULL FROM src""")
            ws.execute(f"""INSERT INTO object SELECT DISTINCT oid + {k} * {ospan}, case_id || '-{k}', 'large', 1, NULL
                           FROM src""")
    return ws


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _same_text(a: str, b: str) -> bool:
    """Explanations: equal words, numbers equal up to the last printed digit (printf('%.1f') of a
    half rounds down on DuckDB, which rounds the binary value, and up on Spark/Java)."""
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b)):
        step = 10.0 ** -len(x.partition(".")[2]) if "." in x else 0.0
        if abs(float(x) - float(y)) > step + 1e-9:
            return False
    return True


def _close(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str) and a != b:
        return _same_text(a, b)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=TOL, abs_tol=TOL)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(tzinfo=None) == b.replace(tzinfo=None)
    return a == b


def assert_same(duck: pa.Table, spark: pa.Table, *, ordered: bool = True, key=None) -> None:
    """Equal column names and rows; floats to 1e-6 (relative or absolute)."""
    assert duck.column_names == spark.column_names
    a, b = duck.to_pylist(), spark.to_pylist()
    assert len(a) == len(b)
    if not ordered:
        sort = key or (lambda r: tuple((v is None, str(v)) for v in r.values()))
        a, b = sorted(a, key=sort), sorted(b, key=sort)
    for x, y in zip(a, b):
        bad = {k: (x[k], y[k]) for k in x if not _close(x[k], y[k])}
        assert not bad, f"row {x} differs: {bad}"


SUMMARY_LOGS = ["receipt", "helpdesk", "bpic2012", "large"]


@pytest.mark.parametrize("process", SUMMARY_LOGS)
def test_discovery_summaries_equal(engines, process):
    ws, sw = engines(process)
    d, s = ws.process(process), sw.process(process)
    dfg_d, dfg_s = d.dfg(), s.dfg()
    assert dfg_d.table.num_rows > 0
    assert_same(dfg_d.table, dfg_s.table)  # frequencies, cases, mean/median/p90/max transition times
    assert dfg_d.start == dfg_s.start and dfg_d.end == dfg_s.end
    assert_same(d.dfg(performance=False).table, s.dfg(performance=False).table)  # from the variant table
    assert_same(d.variants().table, s.variants().table)
    assert_same(d.case_durations().table, s.case_durations().table)
    assert_same(d.activities().table, s.activities().table)


def test_filtered_selection_equal(engines):
    ws, sw = engines("receipt")
    where = dict(start="2011-01-01", end="2011-06-30", time_mode="started", min_duration=60.0, top_variants=20)
    d, s = ws.process("receipt").variants(**where), sw.process("receipt").variants(**where)
    assert 0 < d.table.num_rows <= 20
    assert_same(d.table, s.table)


@pytest.mark.parametrize("process", SUMMARY_LOGS)
def test_handover_network_equal(engines, process):
    ws, sw = engines(process)
    d = ws.process(process).handover_network()
    s = sw.process(process).handover_network()
    assert d.edges.num_rows > 0
    assert_same(d.edges, s.edges)
    assert (d.cases, d.events, d.events_without_actor) == (s.cases, s.events, s.events_without_actor)


@pytest.mark.parametrize("process", ["receipt", "helpdesk", "bpic2012"])
def test_exceptions_equal(engines, process):
    ws, sw = engines(process)
    d, s = ws.process(process).exceptions(), sw.process(process).exceptions()
    assert d.table.num_rows > 0
    assert d.counts() == s.counts()
    assert_same(d.table, s.table, ordered=False)


def test_hotspots_equal(engines):
    """Hot spots read the exception table the detectors fill by a dozen INSERTs: on Spark that
    table is stored with its lineage cut, or planning it took minutes and the driver's heap."""
    ws, sw = engines("receipt")
    d, s = ws.process("receipt").hotspots().to_dict(), sw.process("receipt").hotspots().to_dict()
    assert len(d["hotspots"]) == 4 and d["candidates"] == 824
    _same_json(d["hotspots"], s["hotspots"])
    assert (d["candidates"], d["notes"]) == (s["candidates"], s["notes"])


@pytest.mark.parametrize("process", ["receipt", "helpdesk", "bpic2012"])
def test_kpis_equal(engines, process):
    from procatlas.metrics.run import metrics
    ws, sw = engines(process)
    d = {k["kpi"]: k for k in metrics(ws, process=process).to_dict()}
    s = {k["kpi"]: k for k in metrics(sw, process=process).to_dict()}
    assert len(d) > 10
    assert d.keys() == s.keys()
    for name in d:
        assert d[name]["n"] == s[name]["n"], name
        assert _close(d[name]["value"], s[name]["value"]), (name, d[name]["value"], s[name]["value"])


def test_cli_engine_spark_matches_duckdb(engines, folder, capsys):
    """`discover --engine spark --spark-data DIR` prints the discovery DuckDB computes."""
    import json

    from procatlas.cli import app
    ws, _sw = engines("receipt")
    duck = ws.process("receipt").discover().to_dict()
    app(["discover", "-p", "receipt", "-w", str(folder / "absent.duckdb"), "-f", "json", "--engine", "spark",
         "--spark-master", "local[2]", "--spark-data", str(folder / "receipt.parquet")], standalone_mode=False)
    spark = json.loads(capsys.readouterr().out)
    assert duck["cases"] == spark["cases"] == 1434
    assert duck["variants"] == spark["variants"]
    assert [(r["source"], r["target"], r["frequency"]) for r in duck["dfg"]] == \
           [(r["source"], r["target"], r["frequency"]) for r in spark["dfg"]]


def test_baseline_and_compare_on_spark_equal_duckdb(engines, monkeypatch):
    """`baseline save` and `compare` take --engine: KPIs computed by Spark, baselines kept in the
    workspace; before/after values, p-values and verdicts equal DuckDB's."""
    from procatlas.engine import choose
    ws, _sw = engines("receipt")
    opened = []
    real = choose.open_spark
    monkeypatch.setattr(choose, "open_spark", lambda *a, **k: opened.append(k) or real(*a, **k))
    lo, hi = ws.rows("SELECT min(timestamp), max(timestamp) FROM event")[0]
    mid = (lo + (hi - lo) / 2).date().isoformat()
    kw = dict(workspace=ws, process="receipt", exceptions=False, spark_master="local[2]")

    def by_kpi(result):
        return {r["kpi"]: r for r in result.to_dict()}

    duck = by_kpi(api.compare(before=f"..{mid}", after=f"{mid}..", engine="duckdb", **kw))
    spark = by_kpi(api.compare(before=f"..{mid}", after=f"{mid}..", engine="spark", **kw))
    assert len(duck) > 10 and duck.keys() == spark.keys()
    for name, d in duck.items():
        s = spark[name]
        for field in ("before", "after", "change", "p_value"):
            assert _close(d[field], s[field]), (name, field, d[field], s[field])
        assert d["verdict"] == s["verdict"], name

    api.baseline_save("on-spark", end=mid, engine="spark", **kw)
    api.baseline_save("on-duckdb", end=mid, engine="duckdb", **kw)
    assert len(opened) == 2  # the two Spark runs, and only they, read the Parquet export
    assert {"on-spark", "on-duckdb"} <= {b.name for b in api.baselines(workspace=ws)}
    a = by_kpi(api.compare(baseline="on-spark", workspace=ws, engine="duckdb"))
    b = by_kpi(api.compare(baseline="on-duckdb", workspace=ws, engine="duckdb"))
    assert a.keys() == b.keys() and len(a) > 10
    for name in a:
        assert a[name]["verdict"] == b[name]["verdict"] != "definition changed", name
        for field in ("before", "after", "p_value"):
            assert _close(a[name][field], b[name][field]), (name, field)


# -- SLA rules with a time zone and working hours (timing.py: timezone(), isodow(), epoch()) -----

CALENDAR_DETECTORS = ("long_wait", "sla_breach")  # what a calendar changes; the rest is tested above


def _calendar_rule(ws: Workspace, process: str, zone: str):
    """An SLA of a quarter of the median case duration, 08:30-17:00 in ``zone`` on weekdays, the
    log's busiest day a holiday (taken from the data, so the rule bites on every log)."""
    from procatlas.hotspots import SlaRule
    busiest = ws.scalar("SELECT CAST(timestamp AS DATE) FROM event GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
    median_h = ws.scalar("""SELECT median(s) / 3600 FROM (
        SELECT date_diff('second', min(e.timestamp), max(e.timestamp)) AS s FROM event e
        JOIN event_object eo ON eo.eid = e.eid JOIN object o ON o.oid = eo.oid WHERE o.type = ? GROUP BY eo.oid)""",
                         [process])
    return SlaRule(hours=max(median_h / 4, 1.0), working_hours=(8.5, 17.0), timezone=zone,
                   holidays=(busiest.isoformat(),))


def _assert_same_calendar_analyses(ws, sw, process: str, settings) -> None:
    """Exceptions (SLA breaches, long waits in working time) and the KPI catalog in working time
    with the SLA's exception rates: equal on both engines."""
    from procatlas.metrics.calendar import BusinessCalendar
    from procatlas.metrics.catalog import CatalogOptions
    from procatlas.metrics.run import metrics
    d, s = ws.process(process).exceptions(settings=settings), sw.process(process).exceptions(settings=settings)
    counts = d.counts()
    assert counts.get("sla_breach", {}).get("cases", 0) > 0 and counts.get("long_wait", {}).get("rows", 0) > 0, counts
    assert any("working time" in e for e in d.table["explanation"].to_pylist())
    assert counts == s.counts()
    assert_same(d.table, s.table, ordered=False)
    rule = settings.sla[process]
    options = CatalogOptions(calendar=BusinessCalendar(from_hour=rule.working_hours[0], to_hour=rule.working_hours[1],
                                                       holidays=rule.holidays),
                             sla_hours=rule.hours, exception_settings=settings)
    kd = {k["kpi"]: k for k in metrics(ws, process=process, options=options).to_dict()}
    ks = {k["kpi"]: k for k in metrics(sw, process=process, options=options).to_dict()}
    assert kd.keys() == ks.keys() and 0 < kd["exception_rate[sla_breach]"]["value"] < 1
    for name in kd:
        assert kd[name]["n"] == ks[name]["n"], name
        assert _close(kd[name]["value"], ks[name]["value"]), (name, kd[name]["value"], ks[name]["value"])


@pytest.mark.parametrize("process,zone", [("receipt", "America/New_York"), ("helpdesk", "Asia/Kolkata")])
def test_sla_with_time_zone_and_working_hours_equal(engines, process, zone):
    """A calendar SLA rule in a zone with (New York) and without (Kolkata, +05:30) daylight saving."""
    from procatlas.hotspots import ExceptionSettings
    ws, sw = engines(process)
    rule = _calendar_rule(ws, process, zone)
    settings = ExceptionSettings(detectors=CALENDAR_DETECTORS, sla={process: rule})
    _assert_same_calendar_analyses(ws, sw, process, settings)
    # the zone matters: the same rule in UTC moves the working-time delays (a zone that one
    # engine ignored could not pass the equality above)
    utc = settings.replace(sla={process: dataclasses.replace(rule, timezone="UTC")})
    here = ws.process(process).exceptions(settings=settings).table["delay_s"].to_pylist()
    there = ws.process(process).exceptions(settings=utc).table["delay_s"].to_pylist()
    assert sorted(here) != sorted(there)


@pytest.fixture(scope="module")
def demo(folder):
    """The demo organisation (simulated, small): its DuckDB workspace file (closed: the web app
    opens it), Parquet export and ground truth."""
    import json

    from procatlas.simulate import simulate
    simulate(folder / "demo", seed=7, cases=150, formats=("ocel-json",))
    with Workspace(folder / "demo.duckdb") as ws:
        # the events (people come from their resources); messages would add watering holes, which
        # the KPI catalog reads and which run on Spark once watering-holes takes --engine
        api.ingest([folder / "demo" / "company.jsonocel"], workspace=ws)
        export_for_spark(ws, folder / "demo.parquet")
    return folder / "demo.duckdb", folder / "demo.parquet", json.loads((folder / "demo" / "ground_truth.json").read_text())


def test_demo_company_sla_in_its_calendar_equal(demo, spark):
    """The demo company's complaint SLA (resolution within its working hours, Europe/Amsterdam,
    its holidays), as a user would enter it from the company's ground truth."""
    from procatlas.hotspots import ExceptionSettings, SlaRule
    ws, parquet, truth = demo
    cal = truth["calendar"]
    rule = SlaRule(truth["sla"]["complaint_resolution_working_hours"], None, "Resolve ticket",
                   working_hours=tuple(float(h[:2]) for h in cal["working_hours"]), timezone=cal["timezone"],
                   holidays=tuple(cal["holidays"]))
    settings = ExceptionSettings(detectors=CALENDAR_DETECTORS, sla={"complaint": rule})
    with Workspace(ws, read_only=True) as duck, SparkWorkspace(parquet, session=spark, process="complaint") as sw:
        _assert_same_calendar_analyses(duck, sw, "complaint", settings)


# -- the web app on Spark --------------------------------------------------------------------------

def _same_json(a, b, path: str = "") -> None:
    """Equal JSON answers: numbers to 1e-6, explanation texts up to the last printed digit; the
    computing time (``seconds``) left out."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) - {"seconds"}
        assert keys == set(b) - {"seconds"}, (path, sorted(keys ^ (set(b) - {"seconds"})))
        for k in keys:
            _same_json(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            _same_json(x, y, f"{path}[{i}]")
    else:
        assert _close(a, b), (path, a, b)


def test_web_app_on_spark_answers_as_on_duckdb(demo, spark):
    """`serve --engine spark`: every JSON endpoint answers the demo organisation as with DuckDB,
    filters answered from the cube built on Spark (window, attribute, variant, top variants,
    sliders, performance view), cases, people; the DuckDB parts (overview, a case, dependencies).
    (Exceptions and hot spots: on helpdesk below, as the demo organisation has no hot spot.)"""
    import time

    from fastapi.testclient import TestClient

    from procatlas.web.app import create_app
    path, parquet, _truth = demo
    duck = TestClient(create_app(path))
    on_spark = create_app(path, engine="spark", spark_master="local[2]", spark_data=str(parquet))
    assert on_spark.state.spark is not None
    sp = TestClient(on_spark)
    full = duck.get("/api/process/complaint").json()
    attr, values = next(iter(full["case_attributes"].items()))
    case_id = duck.get("/api/process/complaint/cases", params={"variant": 1}).json()["rows"][0]["case_id"]
    lo = full["variants"][0]
    urls = [("/api/overview", {}),
            ("/api/process/complaint", {}),
            ("/api/process/complaint", {"view": "performance"}),
            ("/api/process/complaint", {"activities": 0.5, "paths": 0.3, "view": "performance"}),
            ("/api/process/complaint", {"variant": 1}),
            ("/api/process/complaint", {"end": "2025-03-01", "top_variants": 3}),
            ("/api/process/complaint", {"attribute": attr, "value": values[0]}),
            ("/api/process/sales_order", {"start": "2025-02-01", "end": "2025-04-01", "view": "performance"}),
            ("/api/process/complaint/cases", {"variant": 1}),
            ("/api/process/complaint/cases", {"activity": lo["activities"][-1]}),
            (f"/api/process/complaint/case/{case_id}", {}),
            ("/api/people", {"process": "complaint"}),
            ("/api/dependencies", {})]
    took = []
    for url, params in urls:
        t0 = time.perf_counter()
        a = duck.get(url, params=params)
        t1 = time.perf_counter()
        b = sp.get(url, params=params)
        t2 = time.perf_counter()
        assert a.status_code == b.status_code == 200, (url, params, a.status_code, b.status_code, b.text[:300])
        _same_json(a.json(), b.json(), url)
        took.append((url, params, t1 - t0, t2 - t1))
    for url, params, d, s in took:  # latencies (first call: the cubes are built then), with -s
        print(f"{url} {params}: duckdb {d * 1000:.0f} ms, spark {s * 1000:.0f} ms")

# -- workspace-wide analyses: processes, catalog, triggers, dependencies, watering holes ----------

@pytest.fixture(scope="module")
def company(folder, spark):
    """The demo company (procatlas.simulate, 300 top-level cases): events of linked processes
    (OCEL 2.0), people, messages and social posts, in DuckDB and exported for Spark."""
    import json

    from procatlas.simulate import simulate
    data = folder / "company"
    simulate(data, seed=7, cases=300, formats=("ocel-json",))
    ws = Workspace(folder / "company.duckdb")
    for name in ("company.jsonocel", "people.csv", "messages.jsonl"):
        api.ingest([data / name], workspace=ws)
    api.ingest([data / "posts.jsonl"], workspace=ws, as_="posts")
    pq = folder / "company.parquet"
    export_for_spark(ws, pq)
    duck = {  # the DuckDB results, as the CLI prints them (JSON)
        "processes": api.processes(workspace=ws).to_dict(),
        "catalog": api.catalog(workspace=ws).to_dict(),
        "triggers": [t.to_dict() for t in api.triggers(workspace=ws).triggers],
        "dependencies": api.dependencies(workspace=ws).to_dict(),
        "watering-holes": api.watering_holes(workspace=ws, top=5).to_dict(),
    }
    yield ws, pq, {k: json.loads(json.dumps(v, default=str)) for k, v in duck.items()}
    ws.close()


def test_company_results_are_not_empty(company):
    """What the Spark comparisons below compare: every kind of result is there."""
    _ws, _pq, duck = company
    roles = {p["role"] for p in duck["processes"]["processes"]}
    assert {"process", "document"} <= roles and len(duck["processes"]["processes"]) >= 6
    assert len(duck["catalog"]["activities"]) > 30
    assert {"external", "process", "manual"} <= {t["trigger"]["kind"] for t in duck["triggers"]}
    deps = duck["dependencies"]
    assert deps["dependencies"] and deps["relations"] and deps["sync_points"]
    holes = duck["watering-holes"]
    assert holes["watering_holes"] and holes["brokers"] and holes["candidates"] > 10


# watering-holes: its own tests at the end of the module
@pytest.mark.parametrize("command", ["processes", "catalog", "triggers", "dependencies"])
def test_workspace_commands_on_spark_equal_duckdb(company, command, capsys):
    """`procatlas COMMAND --engine spark` prints what DuckDB computes (the same SQL, transpiled)."""
    import json

    from procatlas.cli import app
    ws, pq, duck = company
    app([command, "-w", str(ws.path), "-f", "json", "--engine", "spark", "--spark-master", "local[2]",
         "--spark-data", str(pq)], standalone_mode=False)
    _same_json(duck[command], json.loads(capsys.readouterr().out), command)


# -- watering holes on Spark: the demo company and real e-mail data ---------------------------------

def test_watering_holes_on_spark_equal_duckdb(company, folder, capsys):
    """`watering-holes --engine spark` on the demo company: the planted holes with the same groups,
    people, scores, informal shares (formal handovers explain part of the coffee's messages) and
    referenced cases as DuckDB; near misses and brokers too."""
    import json

    from procatlas.cli import app
    ws, pq, duck = company
    truth = json.loads((folder / "company" / "ground_truth.json").read_text())
    d = duck["watering-holes"]
    assert {(h["venue"], frozenset(h["groups"])) for h in d["watering_holes"]} == \
           {(h["venue"], frozenset(h["groups"])) for h in truth["watering_holes"]}
    assert all(0.5 < h["informal_share"] < 1 and h["cases"] > 0 for h in d["watering_holes"])
    app(["watering-holes", "-w", str(ws.path), "-f", "json", "--engine", "spark", "--spark-master", "local[2]",
         "--spark-data", str(pq)], standalone_mode=False)
    _same_json(d, json.loads(capsys.readouterr().out), "watering-holes")


class _Recording:
    """A workspace (either engine) that keeps the rows each query returned: the candidates table
    ``watering_holes`` reads (every venue's messages, weeks, informal share) before ranking."""

    def __init__(self, ws):
        self.ws, self.seen = ws, {}

    def __getattr__(self, name):
        return getattr(self.ws, name)

    def rows(self, sql, params=None):
        out = self.ws.rows(sql, params)
        self.seen[" ".join(sql.split())] = out
        return out


MAIL = {  # real e-mail data, messages only: files, messages
    "enron": (["arbenson__ScHoLP-Tutorial/email-Enron/email-Enron-simplices.txt"], 10883),
    "eu-core": (["AashwinS05__Social-Network-Analysis/email-Eu-core-department-labels.txt",
                 "AashwinS05__Social-Network-Analysis/email-Eu-core.txt"], 25571),
}


def _recurring_participant_sets(name: str, min_messages: int = 8) -> dict[str, int]:
    """The candidates read from the files themselves: Enron's e-mails have no venue and no known
    sender, so each set of participants with ``min_messages`` e-mails or more is one; Eu-core's
    static edges have no time and none recur."""
    from collections import Counter
    if name != "enron":
        return {}
    simplices = data_file(MAIL[name][0][0])
    sizes = [int(x) for x in simplices.with_name("email-Enron-nverts.txt").read_text().split()]
    ids = simplices.read_text().split()
    sets, at = Counter(), 0
    for k in sizes:
        sets[",".join(sorted(set(ids[at:at + k])))] += 1
        at += k
    return {f"people:{key}": n for key, n in sets.items() if n >= min_messages}


@pytest.mark.parametrize("name", MAIL)
def test_watering_holes_on_real_mail_equal_duckdb(folder, spark, name):
    """Enron (sender-less e-mails with times: 265 recurring groups of people are candidates) and
    email-Eu-core (static edges, 42 departments: the brokers): a workspace without events, whose
    Parquet export Spark reads; candidates, brokers (betweenness, roles) and graph equal DuckDB's."""
    from procatlas.people import watering_holes
    files, messages = MAIL[name]
    expected = _recurring_participant_sets(name)
    with Workspace(folder / f"{name}.duckdb") as ws:
        api.ingest([data_file(f) for f in files], workspace=ws)
        export_for_spark(ws, folder / f"{name}.parquet")
        duck = _Recording(ws)
        dr = watering_holes(duck, top=5)
    with SparkWorkspace(folder / f"{name}.parquet", session=spark) as sw:
        on_spark = _Recording(sw)
        sr = watering_holes(on_spark, top=5)
    d, s = dr.to_dict(), sr.to_dict()
    assert (d["candidates"], d["messages"]) == (len(expected), messages)
    cand = duck.seen["SELECT * FROM wh_cand"]
    assert {r[0]: r[2] for r in cand} == expected  # venue -> messages (key, main kind, messages, ...)
    key = lambda r: r[0]  # noqa: E731 - venue
    for x, y in zip(sorted(cand, key=key), sorted(on_spark.seen["SELECT * FROM wh_cand"], key=key), strict=True):
        assert all(_close(a, b) for a, b in zip(x, y)), (x, y)
    if name == "eu-core":  # the bridge between departments of tests/people
        assert d["brokers"][0]["person"] == "160" and d["brokers"][0]["cross_group_betweenness"] > 0
    assert len(dr.graph_edges) > 1000  # the people graph: who wrote to whom, how often
    _same_json(d, s, name)
    assert (dr.graph_nodes, dr.graph_edges) == (sr.graph_nodes, sr.graph_edges)


# -- the atlas on Spark: `atlas --engine spark` equals the DuckDB atlas ------------------------------

_GENERATED = re.compile(r"<div>Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC by procatlas")


def _run_atlas(workspace, out, monkeypatch, capsys, *options):
    """`procatlas atlas -w W --out OUT -f json [options]`: the JSON it prints (the out folder
    written as OUT) and the contents it rendered into atlas.html."""
    import json

    from procatlas.cli import app
    from procatlas.render import report
    rendered = []
    real = report.render_report
    monkeypatch.setattr(report, "render_report", lambda contents, **kw: rendered.append(contents) or real(contents, **kw))
    app(["atlas", "-w", str(workspace), "--out", str(out), "-f", "json", *options], standalone_mode=False)
    return json.loads(capsys.readouterr().out.replace(str(out), "OUT")), rendered[0]


def _plain(value):
    """A result as JSON data (to_dict of result objects, rows of Arrow tables)."""
    import json
    if isinstance(value, pa.Table):
        value = value.to_pylist()
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    return json.loads(json.dumps(value, default=str))


def _assert_same_atlas(duck, spark, duck_out, spark_out) -> None:
    """The two atlases agree: the printed report (timings left out), every result they rendered,
    every artifact file (CSV numbers to 1e-6) and atlas.html (its generation minute left out)."""
    (jd, cd), (js, cs) = duck, spark
    assert jd["processes"] and all(p["cases"] > 0 for p in jd["processes"].values())
    _same_json(jd, js, "atlas")  # notes (analyses left out) included; `seconds` (timings) left out

    # every result rendered into the page
    for name in ("inventory", "catalog", "dependencies", "people", "people_persons", "metrics", "post_links"):
        _same_json(_plain(getattr(cd, name)), _plain(getattr(cs, name)), name)
    _same_json([_plain(t) for t in cd.triggers.triggers], [_plain(t) for t in cs.triggers.triggers], "triggers")
    _same_json(_plain(cd.watering_holes), _plain(cs.watering_holes), "watering holes")
    assert (cd.watering_holes.graph_nodes, cd.watering_holes.graph_edges) == \
        (cs.watering_holes.graph_nodes, cs.watering_holes.graph_edges)
    assert len(cd.processes) == len(cs.processes)
    for a, b in zip(cd.processes, cs.processes):
        assert (a.name, a.cases, a.events, a.notes) == (b.name, b.cases, b.events, b.notes)
        _same_json(_plain(a.discovery), _plain(b.discovery), f"{a.name} discovery")
        assert a.maps.keys() == b.maps.keys() and len(a.maps) == 18
        for key in a.maps:
            assert _same_text(a.maps[key], b.maps[key]), (a.name, key)
        assert_same(a.durations.table, b.durations.table)
        assert a.exceptions.counts() == b.exceptions.counts()
        assert_same(a.exceptions.table, b.exceptions.table, ordered=False)
        _same_json(_plain(a.hotspots), _plain(b.hotspots), f"{a.name} hot spots")
        assert (a.hotspots.activity_load, a.hotspots.edge_load) == (b.hotspots.activity_load, b.hotspots.edge_load)
        assert (a.heat_svg, a.model_svg) == (b.heat_svg, b.model_svg)
        _same_json([_plain(t) for t in a.triggers], [_plain(t) for t in b.triggers], f"{a.name} triggers")

    # the files written
    def files(root):
        return {str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file()}
    fd, fs = files(duck_out), files(spark_out)
    assert set(fs) == set(fd) and {"atlas.html", "catalog.md", "people/people.svg"} <= set(fd)
    for rel, path in fs.items():
        if rel.endswith(".csv"):
            import pyarrow.csv as pacsv
            assert_same(pacsv.read_csv(fd[rel]), pacsv.read_csv(path))
            continue
        a, b = fd[rel].read_text(encoding="utf-8"), path.read_text(encoding="utf-8")
        if rel == "atlas.html":
            a, b = _GENERATED.sub("<div>Generated", a), _GENERATED.sub("<div>Generated", b)
        assert a == b or _same_text(a, b), rel


def test_atlas_on_spark_equals_duckdb_on_receipt(spark, folder, monkeypatch, capsys):
    """`atlas --engine spark --spark-data DIR` on a real log: the whole atlas (maps, models,
    variants, durations, exceptions, hot spots, heat map, inventory, catalog, triggers,
    dependencies, people, watering holes and brokers, KPIs, atlas.html) as the DuckDB atlas."""
    api.ingest([data_file(LOGS["receipt"][0])], workspace=folder / "atlas-receipt.duckdb", process="receipt")
    duck = _run_atlas(folder / "atlas-receipt.duckdb", folder / "atlas-duck", monkeypatch, capsys)
    api.export(workspace=folder / "atlas-receipt.duckdb", parquet_dir=folder / "atlas-receipt.parquet")
    spark = _run_atlas(folder / "atlas-receipt.duckdb", folder / "atlas-spark", monkeypatch, capsys,
                       "--engine", "spark", "--spark-master", "local[2]", "--spark-data",
                       str(folder / "atlas-receipt.parquet"))
    assert duck[0]["processes"]["receipt"]["cases"] == 1434 and duck[0]["processes"]["receipt"]["hotspots"] == 4
    _assert_same_atlas(duck, spark, folder / "atlas-duck", folder / "atlas-spark")


def test_atlas_on_spark_equals_duckdb_on_the_demo_company(company, folder, monkeypatch, capsys):
    """The demo company (linked processes, people, messages, social posts): the workspace-wide
    parts of the atlas (inventory, catalog, triggers, dependencies, people, watering holes and
    brokers, KPIs of every process) and the complaint section, as the DuckDB atlas."""
    data, ws = folder / "company", folder / "atlas-company.duckdb"
    for name in ("company.jsonocel", "people.csv", "messages.jsonl"):
        api.ingest([data / name], workspace=ws)
    api.ingest([data / "posts.jsonl"], workspace=ws, as_="posts")
    only = ("--process", "complaint")  # one section: the sections of the other processes are the same code
    duck = _run_atlas(ws, folder / "company-duck", monkeypatch, capsys, *only)
    api.export(workspace=ws, parquet_dir=folder / "atlas-company.parquet")
    spark = _run_atlas(ws, folder / "company-spark", monkeypatch, capsys, *only, "--engine", "spark",
                       "--spark-master", "local[2]", "--spark-data", str(folder / "atlas-company.parquet"))
    contents = duck[1]
    assert contents.watering_holes.holes and contents.watering_holes.brokers and contents.post_links.linked > 0
    assert contents.dependencies.dependencies and len(contents.inventory.processes) == 12
    kpi_processes = {k.process for k in contents.metrics.kpis}  # the KPIs of the chosen process only
    assert "complaint" in kpi_processes and "sales_order" not in kpi_processes
    assert list(duck[0]["processes"]) == ["complaint"] and duck[0]["processes"]["complaint"]["exceptions"] > 0
    _assert_same_atlas(duck, spark, folder / "company-duck", folder / "company-spark")


# -- a real object-centric log and real hot spots (OCEL 2.0 order management; helpdesk) ------------

REAL_OCEL = "ocpm__ocpa/running-example.sqlite"  # orders, items, packages, ...: 18,211 events, 10,031 objects


@pytest.fixture(scope="module")
def real_ocel(folder):
    """ocpa's OCEL 2.0 running example (order management) in a DuckDB workspace file (closed: the
    CLI opens it) and its Parquet export."""
    path, pq = folder / "ocel-running.duckdb", folder / "ocel-running.parquet"
    with Workspace(path) as ws:
        api.ingest([data_file(REAL_OCEL)], workspace=ws)
        export_for_spark(ws, pq)
    return path, pq


def _cli_json(capsys, *args: str):
    import json

    from procatlas.cli import app
    app(list(args), standalone_mode=False)
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("command", ["processes", "catalog", "triggers", "dependencies"])
def test_workspace_commands_on_real_ocel_equal(real_ocel, command, capsys):
    """`procatlas COMMAND -f json` prints the same on both engines for a real OCEL 2.0 log, whose
    object types (orders, items, packages, customers, products, employees) relate in many ways."""
    path, pq = real_ocel
    duck = _cli_json(capsys, command, "-w", str(path), "-f", "json")
    spark = _cli_json(capsys, command, "-w", str(path), "-f", "json", "--engine", "spark",
                      "--spark-master", "local[2]", "--spark-data", str(pq))
    nonempty = {"processes": lambda d: len(d["processes"]) >= 5, "catalog": lambda d: len(d["activities"]) >= 8,
                "triggers": lambda d: len(d) >= 5,
                "dependencies": lambda d: d["dependencies"] and d["relations"] and d["sync_points"]}
    assert nonempty[command](duck), duck
    _same_json(duck, spark, command)


@pytest.fixture(scope="module")
def helpdesk_file(folder):
    """helpdesk in a workspace file of its own (closed: the web app opens it read-only) and its export."""
    path, pq = folder / "helpdesk-web.duckdb", folder / "helpdesk-web.parquet"
    with Workspace(path) as ws:
        api.ingest([data_file(LOGS["helpdesk"][0])], workspace=ws, process="helpdesk")
        export_for_spark(ws, pq)
    return path, pq


def test_web_exceptions_and_hotspots_on_helpdesk_equal(helpdesk_file, spark):
    """`serve --engine spark`, the exceptions view's JSON twin on a real log with case attributes
    (seriousness, service level): the same exceptions, hot spots with their texts, candidates
    tested, notes, exception load per activity and edge, and heat map as with DuckDB."""
    from fastapi.testclient import TestClient

    from procatlas.web.app import create_app
    path, pq = helpdesk_file
    url = "/api/process/helpdesk/exceptions"
    a = TestClient(create_app(path)).get(url)
    b = TestClient(create_app(path, engine="spark", spark_master="local[2]", spark_data=str(pq))).get(url)
    assert a.status_code == b.status_code == 200, (a.status_code, b.status_code, b.text[:300])
    duck, spark = a.json(), b.json()
    spots = duck["hotspots"]
    assert len(spots["hotspots"]) >= 3 and spots["candidates"] > 1000
    assert {h["location"]["kind"] for h in spots["hotspots"]} >= {"pair", "attribute"}
    assert duck["exceptions"]["rows"] and duck["activity_load"] and duck["edge_load"]
    _same_json(duck, spark, url)

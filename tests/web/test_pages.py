"""People, exceptions/hot spots and dependencies pages: JSON twins equal the api's values; cache and lock."""

from __future__ import annotations

import json
import shutil
import time

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from procatlas.web.app import create_app  # noqa: E402

FILES = ("company.jsonocel", "people.csv", "messages.jsonl")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from procatlas.simulate import simulate
    root = tmp_path_factory.mktemp("pages")
    simulate(root / "data", seed=5, cases=120, formats=("ocel-json",))
    return root / "data"


@pytest.fixture(scope="module")
def workspace(demo, tmp_path_factory):
    from procatlas import api
    ws = tmp_path_factory.mktemp("pages-ws") / "ws.duckdb"
    api.ingest([demo / n for n in FILES], workspace=ws)
    return ws


@pytest.fixture(scope="module")
def client(workspace):
    return TestClient(create_app(workspace))


def _plain(x):
    return json.loads(json.dumps(x, default=str))


def test_people_twin_has_the_api_values(client, workspace):
    from procatlas import api
    d = client.get("/api/people").json()
    assert d["level"] == "group" and d["notes"] == []
    groups, _ = api.people(workspace=workspace, level="group")
    persons, _ = api.people(workspace=workspace, level="person")
    holes = api.watering_holes(workspace=workspace, top=10)
    assert [g["group"] for g in d["groups"]] == groups.stats.column("group").to_pylist()
    assert d["people"] == persons.stats.num_rows and len(d["persons"]) == min(50, persons.stats.num_rows)
    assert d["events_without_resource"] == persons.events_without_resource
    assert d["handover"]["edges"] == _plain(groups.handover.to_dict()["edges"])
    assert d["watering_holes"] and [h["venue"] for h in d["watering_holes"]] == [h.venue for h in holes]
    assert [b["person"] for b in d["brokers"]] == [b.person for b in holes.brokers]
    assert d["handover_svg"].lstrip().startswith(("<svg", "<?xml")) and d["people_svg"]
    html = client.get("/people").text
    assert d["watering_holes"][0]["venue"] in html and 'id="handover"' in html and "<svg" in html
    assert d["brokers"][0]["person"] in html
    one = client.get("/api/people", params={"process": "sales_order"}).json()
    assert one["process"] == "sales_order" and sum(g["events"] for g in one["groups"]) < \
        sum(g["events"] for g in d["groups"])


def test_exceptions_twin_has_the_api_values(client, workspace):
    from procatlas import api
    d = client.get("/api/process/complaint/exceptions", params={"limit": 3}).json()
    spots = api.hotspots(process="complaint", workspace=workspace)
    found = spots.exceptions if spots.exceptions is not None else api.exceptions(process="complaint",
                                                                                 workspace=workspace)
    assert d["exceptions"]["counts"] == found.counts() and d["exceptions"]["exceptions"] == len(found)
    assert len(d["exceptions"]["rows"]) == min(3, len(found)) and d["exceptions"]["limit"] == 3
    assert d["hotspots"]["hotspots"] == _plain(spots.to_dict()["hotspots"])
    assert d["activity_load"] == spots.activity_load
    assert "<svg" in d["heat_svg"]
    html = client.get("/process/complaint/exceptions").text
    assert 'id="heatmap"' in html and "<svg" in html
    for name, n in found.counts().items():
        assert name.replace("_", " ") in html
    assert client.get("/process/complaint").text.count("/process/complaint/exceptions") >= 1


def test_dependencies_twin_has_the_api_values(client, workspace):
    from procatlas import api
    d = client.get("/api/dependencies").json()
    deps = api.dependencies(workspace=workspace)
    assert d["dependencies"] == _plain(deps.to_dict()["dependencies"]) and d["dependencies"]
    assert d["svg"].lstrip().startswith(("<svg", "<?xml"))
    html = client.get("/dependencies").text
    first = d["dependencies"][0]
    assert f'{first["from_type"]}: {first["from_activity"]}' in html and 'id="ocdfg"' in html


def test_new_pages_are_in_the_schema_and_fail_as_json(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/people", "/api/process/{name}/exceptions", "/api/dependencies"} <= set(schema["paths"])
    for url in ("/api/process/nope/exceptions", "/process/nope/exceptions", "/api/people?process=nope"):
        r = client.get(url)
        assert r.status_code == 404 and "no process" in r.json()["detail"], url
    evil = "x' OR 1=1; DROP TABLE event; --"
    assert client.get("/api/process/" + evil + "/exceptions").status_code == 404
    assert client.get("/api/people", params={"process": evil}).status_code == 404
    assert client.get("/api/process/complaint/exceptions", params={"limit": 0}).status_code == 422
    assert client.get("/api/overview").json()["workspace"]["events"] > 0


def test_a_finished_ingest_invalidates_the_cache(demo, tmp_path):
    from procatlas import api
    ws = tmp_path / "ws.duckdb"
    api.ingest([demo / "company.jsonocel"], workspace=ws)
    client = TestClient(create_app(ws, idle=0.2))
    before = client.get("/api/overview").json()
    people = client.get("/api/people").json()  # no groups known yet: the network between people
    assert people["level"] == "person" and people["groups"] == [] and "no groups" in people["notes"][0]
    assert people["handover"]["level"] == "person" and "<svg" in client.get("/people").text
    assert client.get("/api/overview").json() == before  # served from the cache
    assert client.app.state.cache.hits >= 1
    deadline = time.monotonic() + 30  # the idle timer closes the connection 0.2 s after the last request
    while client.app.state.handle.is_open and time.monotonic() < deadline:  # (later on a busy machine)
        time.sleep(0.05)
    assert not client.app.state.handle.is_open  # closed: an ingest can take the write lock
    api.ingest([demo / "people.csv"], workspace=ws)
    after = client.get("/api/overview").json()
    assert len(after["workspace"]["sources"]) == len(before["workspace"]["sources"]) + 1


def test_filters_share_one_selection_and_hit_the_cache(tmp_path, workspace):
    ws = tmp_path / "copy.duckdb"
    shutil.copy(workspace, ws)
    client = TestClient(create_app(ws, idle=0))
    a = client.get("/api/process/sales_order", params={"activities": 0.4, "paths": 0.5}).json()
    misses, selected = client.app.state.cache.misses, client.app.state.selections.misses
    b = client.get("/api/process/sales_order", params={"activities": 0.4, "paths": 0.5,
                                                      "view": "performance"}).json()
    assert client.app.state.cache.misses == misses + 1  # the map only ...
    assert client.app.state.selections.misses == selected  # ... the selection was cached
    assert a["map"]["nodes"] == b["map"]["nodes"] and a["svg"] != b["svg"]
    assert client.get("/api/process/sales_order", params={"activities": 0.4, "paths": 0.5}).json() == a


@pytest.mark.parametrize("where", [{}, {"end": "2025-03-01"}, {"variant": 2}])
def test_frequency_maps_from_variants_equal_a_new_selection(client, workspace, where):
    from procatlas import api
    from procatlas.model.discovery import Filters
    ws = api.open_workspace(workspace, read_only=True)
    try:
        proc = ws.process("sales_order")
        f = Filters(end=where.get("end"))
        if "variant" in where:
            ids = [r["case_id"] for r in proc.case_durations(f).table.to_pylist() if r["variant"] == where["variant"]]
            f = f.replace(case_attributes={"case": ids})
        for a in (0.9, 0.6, 0.3):
            for p in (1.0, 0.4):
                got = client.get("/api/process/sales_order", params={**where, "activities": a, "paths": p}).json()
                want = proc.map(f, activities=a, paths=p).to_dict()
                assert got["map"]["nodes"] == _plain(want["nodes"])
                edges = [{k: e[k] for k in ("source", "target", "frequency", "cases")} for e in want["edges"]]
                assert [{k: e[k] for k in ("source", "target", "frequency", "cases")}
                        for e in got["map"]["edges"]] == edges, (a, p)
    finally:
        ws.close()


@pytest.mark.parametrize("where", [{}, {"start": "2025-02-01", "end": "2025-04-01"}, {"variant": 2},
                                   {"top_variants": 3}])
def test_performance_maps_from_the_cube_equal_the_engine(workspace, where):
    """The performance view (filters and activity projections answered from the process cube,
    built in the background at start) equals the map the DuckDB engine selects."""
    from procatlas import api
    from procatlas.model.discovery import Filters
    app = create_app(workspace, warm=True)
    app.state.warming.join()
    assert app.state.cubes._items, "the background build made the cubes"
    client = TestClient(app)
    ws = api.open_workspace(workspace, read_only=True)
    try:
        proc = ws.process("sales_order")
        f = Filters(start=where.get("start"), end=where.get("end"), top_variants=where.get("top_variants"))
        if "variant" in where:
            ids = [r["case_id"] for r in proc.case_durations(f).table.to_pylist() if r["variant"] == where["variant"]]
            f = f.replace(case_attributes={"case": ids})
        for a in (1.0, 0.7, 0.4):
            got = client.get("/api/process/sales_order",
                             params={**where, "activities": a, "paths": 1.0, "view": "performance"}).json()
            want = _plain(proc.map(f, activities=a, paths=1.0, view="performance").to_dict())
            assert got["cases"] == want["cases"] > 0 and got["events"] == want["events"]
            assert (got["cases"] < len(proc.case_durations())) == bool(where)  # the filters filter
            for part in ("nodes", "edges"):
                assert len(got["map"][part]) == len(want[part])
                for g, w in zip(got["map"][part], want[part]):
                    assert g.keys() == w.keys()
                    for k, v in w.items():
                        assert g[k] == (pytest.approx(v, rel=1e-9) if isinstance(v, float) else v), (where, a, k)
    finally:
        ws.close()

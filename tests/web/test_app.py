"""The web app through its JSON twins and HTML pages (in process), and its guards."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from procatlas.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    from procatlas import api
    from procatlas.simulate import simulate
    root = tmp_path_factory.mktemp("web")
    simulate(root / "data", seed=5, cases=120, formats=("ocel-json",))
    ws = root / "ws.duckdb"
    api.ingest([root / "data" / "company.jsonocel"], workspace=ws)
    return ws


@pytest.fixture(scope="module")
def client(workspace):
    return TestClient(create_app(workspace))


def test_every_page_has_a_json_twin(client):
    over = client.get("/api/overview").json()
    assert over["workspace"]["events"] > 0
    assert client.get("/").status_code == 200
    proc = client.get("/api/process/complaint").json()
    assert proc["cases"] > 0 and proc["svg"].lstrip().startswith(("<svg", "<?xml")) and proc["variants"]
    assert "complaint" in client.get("/process/complaint").text
    cases = client.get("/api/process/complaint/cases", params={"variant": 1}).json()
    assert cases["cases"] == proc["variants"][0]["cases"]
    case_id = cases["rows"][0]["case_id"]
    timeline = client.get(f"/api/process/complaint/case/{case_id}").json()
    assert len(timeline["events"]) == cases["rows"][0]["events"]
    assert client.get("/process/complaint/cases?variant=1").status_code == 200
    assert case_id in client.get(f"/process/complaint/case/{case_id}").text
    schema = client.get("/openapi.json").json()
    assert {"/api/overview", "/api/process/{name}", "/api/process/{name}/cases",
            "/api/process/{name}/case/{case_id}"} <= set(schema["paths"])


def test_sliders_and_filters_change_the_numbers(client):
    full = client.get("/api/process/sales_order").json()
    thin = client.get("/api/process/sales_order", params={"activities": 0.3, "paths": 0.2}).json()
    assert len(thin["map"]["nodes"]) < len(full["map"]["nodes"]) and thin["svg"] != full["svg"]
    perf = client.get("/api/process/sales_order", params={"view": "performance"}).json()
    assert perf["map"]["view"] == "performance" and perf["svg"] != full["svg"]
    one = client.get("/api/process/sales_order", params={"variant": 1}).json()
    assert one["cases"] == full["variants"][0]["cases"] < full["cases"]
    window = client.get("/api/process/sales_order", params={"end": "2025-02-01"}).json()
    assert 0 < window["cases"] < full["cases"]
    attr, values = next(iter(full["case_attributes"].items()))
    some = client.get("/api/process/sales_order", params={"attribute": attr, "value": values[0]}).json()
    assert 0 < some["cases"] < full["cases"]


def test_errors_are_json_4xx_and_request_text_is_never_sql(client):
    r = client.get("/api/process/nope")
    assert r.status_code == 404 and "no process" in r.json()["detail"]
    assert client.get("/api/process/complaint/case/none-such").status_code == 404
    assert client.get("/api/process/complaint", params={"start": "garbage"}).status_code == 400
    assert client.get("/api/process/complaint", params={"paths": 3}).status_code == 422
    evil = "x' OR 1=1; DROP TABLE event; --"
    assert client.get("/api/process/complaint/case/" + evil).status_code == 404
    assert client.get("/api/process/" + evil).status_code == 404
    r = client.get("/api/process/complaint", params={"attribute": evil, "value": evil})
    assert r.status_code == 200 and r.json()["cases"] == 0
    assert client.get("/api/overview").json()["workspace"]["events"] > 0  # still all there
    assert client.get("/../../etc/passwd").status_code == 404
    assert client.get("/process/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_token_guards_every_route(workspace):
    guarded = TestClient(create_app(workspace, token="s3cret", idle=0))
    assert guarded.get("/api/overview").status_code == 401
    assert guarded.get("/api/overview", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert guarded.get("/", params={"token": "s3cret"}).status_code == 200
    assert guarded.get("/api/overview").status_code == 200  # the cookie set by ?token=


def test_busy_workspace_answers_503(workspace, client, tmp_path):
    import subprocess
    import sys
    import textwrap
    import time
    client.get("/api/overview")
    time.sleep(0.1)
    client.app.state.handle.close()  # what the idle timer does two seconds after the last request
    # another process holds the file for writing, as an ingest does
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(workspace)!r})
        print("locked", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = TestClient(create_app(workspace, idle=0)).get("/api/overview")
        assert r.status_code == 503 and "another process" in r.json()["detail"]
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    assert TestClient(create_app(workspace, idle=0)).get("/api/overview").status_code == 200


def test_serve_refuses_a_public_host_without_token(workspace):
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "procatlas.cli", "serve", "--workspace", str(workspace),
                        "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--token" in r.stderr

"""The `procatlas` command as a user runs it: exit codes, one-line errors, JSON shapes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import data_file

EXE = [sys.executable, "-m", "procatlas.cli"]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "PROCATLAS_WORKSPACE"} | (env or {})
    return subprocess.run([*EXE, *args], cwd=cwd, capture_output=True, text=True, env=full_env, timeout=300)


def test_ingest_then_info_json(tmp_path):
    log = data_file("pm4py__pm4py-core/running-example.xes")
    r = run("ingest", str(log), "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    (src,) = data["sources"]
    assert {k: src[k] for k in ("process", "events", "objects", "rejected", "skipped")} == {
        "process": "running-example", "events": 42, "objects": 6, "rejected": 0, "skipped": False}
    assert len(src["sha256"]) == 64 and src["path"].endswith("running-example.xes")
    assert (tmp_path / "atlas.duckdb").exists()  # default workspace in the current folder

    info = json.loads(run("info", "--format", "json", cwd=tmp_path).stdout)
    assert {k: info[k] for k in ("events", "objects", "activities", "rejected")} == {
        "events": 42, "objects": 6, "activities": 8, "rejected": 0}
    assert info["first"] == "2010-12-30T10:02:00" and info["last"] == "2011-01-24T13:56:00"
    assert info["processes"] == [{"process": "running-example", "cases": 6, "events": 42, "activities": 8}]
    assert len(info["sources"]) == 1

    again = json.loads(run("ingest", str(log), "--format", "json", cwd=tmp_path).stdout)
    assert again["sources"][0]["skipped"] is True


def test_process_flag_and_workspace_env(tmp_path):
    log = data_file("pm4py__pm4py-core/running-example.xes")
    ws = tmp_path / "elsewhere.duckdb"
    r = run("ingest", str(log), "--process", "claims", "-f", "json", cwd=tmp_path,
            env={"PROCATLAS_WORKSPACE": str(ws)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sources"][0]["process"] == "claims"
    info = json.loads(run("info", "-f", "json", "--workspace", str(ws), cwd=tmp_path).stdout)
    assert info["processes"][0]["process"] == "claims"


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.xes", None, "missing.xes: no such file"),
    ("notes.docx", b"hello", "unknown format"),
    ("broken.xes.gz", gzip.compress(b"<log><trace><string key='concept:name' value='1'/>" * 50, mtime=0)[:120],
     "broken.xes.gz"),
    ("garbage.xes", b"\x00\x01\x02 not xml at all", "garbage.xes"),
])
def test_unusable_input_is_one_line_exit_2(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    r = run("ingest", str(path), cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_failed_ingest_leaves_workspace_unchanged(tmp_path):
    log = data_file("pm4py__pm4py-core/running-example.xes")
    assert run("ingest", str(log), cwd=tmp_path).returncode == 0
    before = run("info", "-f", "json", cwd=tmp_path).stdout
    bad = tmp_path / "half.xes"
    bad.write_bytes(log.read_bytes()[:7000])  # cut in the middle of a trace
    r = run("ingest", str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "half.xes" in r.stderr
    assert run("info", "-f", "json", cwd=tmp_path).stdout == before


def test_killed_ingest_leaves_workspace_unchanged(tmp_path):
    """SIGKILL in the middle of a large import: the next open sees the workspace as before."""
    big = data_file("pm4py__pm4py-core/bpic2012.xes.gz")
    small = data_file("pm4py__pm4py-core/running-example.xes")
    assert run("ingest", str(small), cwd=tmp_path).returncode == 0
    before = run("info", "-f", "json", cwd=tmp_path).stdout
    proc = subprocess.Popen([*EXE, "ingest", str(big)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=1.0)
        pytest.skip("ingest finished before it could be killed")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    assert run("info", "-f", "json", cwd=tmp_path).stdout == before


def test_info_without_workspace_is_exit_2(tmp_path):
    r = run("info", cwd=tmp_path)
    assert r.returncode == 2 and "no workspace here" in r.stderr


def test_unknown_process_export_is_exit_2(tmp_path):
    log = data_file("pm4py__pm4py-core/running-example.xes")
    run("ingest", str(log), cwd=tmp_path)
    r = run("export", "--process", "nope", "--to", str(tmp_path / "x.xes"), cwd=tmp_path)
    assert r.returncode == 2 and "no process 'nope'" in r.stderr and "running-example" in r.stderr


def test_rejects_command_lists_reasons(tmp_path):
    log = tmp_path / "bad.xes"
    log.write_text(
        '<?xml version="1.0"?><log xes.version="1.0">'
        '<trace><string key="concept:name" value="c1"/>'
        '<event><string key="concept:name" value="a"/><date key="time:timestamp" value="2020-01-01T00:00:00Z"/></event>'
        '<event><string key="concept:name" value="b"/><date key="time:timestamp" value="not a date"/></event>'
        '</trace></log>')
    r = run("ingest", str(log), "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sources"][0]["rejected"] == 1
    rejects = json.loads(run("rejects", "-f", "json", cwd=tmp_path).stdout)["rejects"]
    assert len(rejects) == 1 and rejects[0]["reason"] == "unparseable timestamp 'not a date'"
    assert rejects[0]["path"].endswith("bad.xes") and rejects[0]["location"] == 1


def test_csv_rejects_keep_their_line_numbers(tmp_path):
    """Through the real ingest transaction (where DuckDB numbers new rows from a large offset)."""
    log = tmp_path / "orders.csv"
    log.write_text("case_id,activity,timestamp,resource\n"
                   "1,register,2024-01-02 09:00:00,ann\n"
                   "1,check,2024-01-02 10:00:00,bob,EXTRA\n"
                   "1,approve,2024-01-02 11:00:00,cy\n"
                   "2,register,not a time,ann\n"
                   "2,approve,2024-01-03 11:00:00,cy\n")
    r = run("ingest", str(log), "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    src = json.loads(r.stdout)["sources"][0]
    assert (src["events"], src["rejected"]) == (3, 2)
    rejects = json.loads(run("rejects", "-f", "json", cwd=tmp_path).stdout)["rejects"]
    assert [(x["location"], x["reason"].split(":")[0].split(" '")[0]) for x in rejects][1] == (
        5, "unparseable timestamp")
    assert rejects[0]["location"] == 3 and "EXTRA" in rejects[0]["raw"]
    import duckdb
    con = duckdb.connect(str(tmp_path / "atlas.duckdb"), read_only=True)
    assert con.execute("SELECT list(position ORDER BY eid), min(eid) FROM event").fetchone() == ([0, 1, 3], 0)  # ordinal among parsed rows

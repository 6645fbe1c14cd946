"""Workspace -> file -> workspace keeps counts, activities, timestamps (ms) and attribute values."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from procatlas import api
from procatlas.workspace import Workspace
from tests.conftest import data_file

EVENTS_SQL = """
    SELECT o.id AS case_id, e.activity, epoch_ms(e.timestamp) AS ms, e.lifecycle, e.resource, e."group",
           epoch_ms(e.start_timestamp) AS start_ms, e.attributes::VARCHAR AS attributes,
           o.attributes::VARCHAR AS case_attributes
    FROM event e JOIN event_object USING (eid) JOIN object o USING (oid)
    ORDER BY o.id, e.timestamp, e.eid
"""


def _instant(value):
    """ISO date-time text as a UTC instant in ms (writers may spell the same instant differently)."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return round(dt.timestamp() * 1000)
    return value


def _values(doc: dict) -> dict:
    return {k: _instant(v) for k, v in doc.items()}


def events(path) -> list[tuple]:
    with Workspace(path, read_only=True) as ws:
        rows = ws.rows(EVENTS_SQL)
    # JSON texts compare as values (key order and number spelling may differ)
    return [(*r[:7], _values(json.loads(r[7])) if r[7] else {}, _values(json.loads(r[8])) if r[8] else {})
            for r in rows]


LOGS = [
    "pm4py__pm4py-core/running-example.xes",
    "pm4py__pm4py-core/compressed_input_data/08_receipt.xes.gz",
    "pm4py__pm4py-core/interval_event_log.xes",
    "pm4py__pm4py-core/reviewing.xes",
    "AutomatedProcessImprovement__Simod/Production.xes.gz",
    pytest.param("pm4py__pm4py-core/bpic2012.xes.gz", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("rel", LOGS)
@pytest.mark.parametrize("suffix", [".xes", ".xes.gz"])
def test_xes_round_trip(tmp_path, rel, suffix):
    src = data_file(rel)
    first = tmp_path / "first.duckdb"
    api.ingest([src], workspace=first, process="log")
    out = tmp_path / f"again{suffix}"
    written = api.export(workspace=first, process="log", to=out)
    second = tmp_path / "second.duckdb"
    api.ingest([out], workspace=second, process="log")
    a, b = events(first), events(second)
    assert written["events"] == len(a) == len(b)
    assert a == b
    assert api.info(workspace=second).processes == api.info(workspace=first).processes


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_round_trip(tmp_path, suffix):
    src = data_file("pm4py__pm4py-core/compressed_input_data/08_receipt.xes.gz")
    first = tmp_path / "first.duckdb"
    api.ingest([src], workspace=first, process="receipt")
    out = tmp_path / f"receipt{suffix}"
    api.export(workspace=first, process="receipt", to=out)
    second = tmp_path / "second.duckdb"
    api.ingest([out], workspace=second, process="receipt")
    a, b = events(first), events(second)
    assert len(a) == len(b) == 8577
    # columns keep their values; typed attributes may come back with the CSV's own typing
    assert [r[:7] for r in a] == [r[:7] for r in b]
    assert [r[8] for r in a] == [r[8] for r in b]


@pytest.mark.parametrize("suffix", [".jsonocel", ".sqlite"])
def test_ocel_round_trip(tmp_path, suffix):
    src = data_file("ocpm__ocpa/running-example.sqlite")
    first = tmp_path / "first.duckdb"
    api.ingest([src], workspace=first)
    out = tmp_path / f"all{suffix}"
    api.export(workspace=first, to=out)
    second = tmp_path / "second.duckdb"
    api.ingest([out], workspace=second)
    i1, i2 = api.info(workspace=first), api.info(workspace=second)
    assert (i2.events, i2.objects, i2.activities) == (i1.events, i1.objects, i1.activities) == (18211, 10031, 8)
    assert i2.processes == i1.processes
    q = """SELECT count(*), count(DISTINCT qualifier) FROM event_object"""
    with Workspace(first, read_only=True) as w1, Workspace(second, read_only=True) as w2:
        assert w1.rows(q) == w2.rows(q)
        assert w1.rows("SELECT count(*) FROM object_object") == w2.rows("SELECT count(*) FROM object_object")


@pytest.mark.parametrize("suffix", [".jsonocel", ".sqlite"])
def test_ocel_export_keeps_ids_that_collide_across_sources_apart(tmp_path, suffix):
    """Two case-centric files both with case "1", and two OCEL files both with event "e1": the
    workspace keeps four objects and all events apart, and so must the exported OCEL."""
    (tmp_path / "orders.csv").write_text("case,activity,timestamp\n1,Create order,2024-01-01 09:00\n"
                                         "1,Ship order,2024-01-02 09:00\n2,Create order,2024-01-03 09:00\n")
    (tmp_path / "tickets.csv").write_text("case,activity,timestamp\n1,Open ticket,2024-01-01 10:00\n"
                                          "1,Close ticket,2024-01-01 12:00\n")
    for name, act in (("a.jsonocel", "Pack"), ("b.jsonocel", "Pick")):
        (tmp_path / name).write_text(json.dumps({
            "objectTypes": [{"name": "box", "attributes": []}],
            "eventTypes": [{"name": act, "attributes": []}],
            "objects": [{"id": f"box-{name[0]}", "type": "box"}],
            "events": [{"id": "e1", "type": act, "time": "2024-02-01T08:00:00Z",
                        "relationships": [{"objectId": f"box-{name[0]}", "qualifier": "q"}]}]}))
    first = tmp_path / "first.duckdb"
    api.ingest([tmp_path / "orders.csv"], workspace=first, process="order")
    api.ingest([tmp_path / "tickets.csv"], workspace=first, process="ticket")
    api.ingest([tmp_path / "a.jsonocel", tmp_path / "b.jsonocel"], workspace=first)
    out = tmp_path / f"all{suffix}"
    api.export(workspace=first, to=out)
    second = tmp_path / "second.duckdb"
    api.ingest([out], workspace=second)
    q = """SELECT o.type, e.activity, count(*) FROM event e JOIN event_object USING (eid)
           JOIN object o USING (oid) GROUP BY ALL ORDER BY ALL"""
    with Workspace(first, read_only=True) as w1, Workspace(second, read_only=True) as w2:
        assert w1.rows("SELECT count(*) FROM object") == [(5,)]
        assert w2.rows("SELECT count(*) FROM object") == [(5,)]
        assert w2.rows("SELECT count(*), count(DISTINCT id) FROM event") == [(7, 7)]
        assert w2.rows(q) == w1.rows(q)
        # ids that were unique are written as they were read
        assert {r[0] for r in w2.rows("SELECT id FROM object")} >= {"2", "box-a", "box-b"}

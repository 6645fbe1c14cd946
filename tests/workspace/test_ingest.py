"""Ingestion semantics: transactions, idempotence, process names, rejects, time zones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import procatlas.workspace.ingest as ingest_mod
from procatlas import api
from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.workspace import Workspace

ROWS = [
    # case, activity, ts_text, resource, event_id
    ("c1", "register", "2024-03-01T09:00:00+01:00", "ann", "e1"),
    ("c1", "check", "2024-03-01T09:00:00+01:00", "bob", "e2"),  # same second: order by position
    ("c1", "decide", "2024-03-02 10:00:00", None, "e3"),         # naive: follows --timezone
    ("c2", "register", "2024-03-03T08:00:00Z", "ann", "e4"),
]


def fake_reader(rows=ROWS, fail_after: int | None = None, cases=None):
    """A reader staging given rows, optionally raising half-way (like a corrupt file)."""
    def read(path, stager, options):
        for i, (case, act, ts, res, eid) in enumerate(rows):
            if fail_after is not None and i == fail_after:
                raise InputError("unexpected end of file", path=path, location=i + 2)
            stager.append("case_event", {"case_id": [case], "activity": [act], "ts_text": [ts],
                                         "resource": [res], "event_id": [eid], "position": [i],
                                         "location": [i + 2], "attributes": [json.dumps({"n": i})]})
        for case, attrs in (cases or {}).items():
            stager.append("case", {"case_id": [case], "attributes": [json.dumps(attrs)]})
    return read


@pytest.fixture
def csv_file(tmp_path):
    def make(name="orders.csv", content="x\n"):
        p = tmp_path / name
        p.write_text(content)
        return p
    return make


def _ingest(ws, path, reader, **opts):
    old = ingest_mod.reader_for
    ingest_mod.reader_for = lambda fmt: reader
    try:
        return ingest_mod.ingest(ws, [path], ReadOptions(**opts))
    finally:
        ingest_mod.reader_for = old


def snapshot(ws: Workspace) -> dict:
    tables = ["event", "object", "event_object", "object_object", "object_change", "source", "reject",
              "attribute_type"]
    return {t: ws.rows(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}


def test_events_objects_and_order(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    report = _ingest(ws, csv_file(), fake_reader(), timezone="Europe/Amsterdam")
    src = report.sources[0]
    assert (src.process, src.events, src.objects, src.rejected) == ("orders", 4, 2, 0)
    rows = ws.rows("""SELECT o.id, e.activity, strftime(e.timestamp, '%Y-%m-%d %H:%M:%S'), e.resource
                      FROM event e JOIN event_object USING (eid) JOIN object o USING (oid)
                      ORDER BY o.id, e.timestamp, e.eid""")
    assert rows == [
        ("c1", "register", "2024-03-01 08:00:00", "ann"),
        ("c1", "check", "2024-03-01 08:00:00", "bob"),
        ("c1", "decide", "2024-03-02 09:00:00", None),  # 10:00 Amsterdam (CET) = 09:00 UTC
        ("c2", "register", "2024-03-03 08:00:00", "ann"),
    ]


def test_naive_times_default_to_utc(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    _ingest(ws, csv_file(), fake_reader())
    assert ws.scalar("SELECT strftime(timestamp, '%H:%M') FROM event WHERE activity = 'decide'") == "10:00"


def test_failed_import_changes_nothing(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    _ingest(ws, csv_file("first.csv"), fake_reader())
    before = snapshot(ws)
    with pytest.raises(InputError) as info:
        _ingest(ws, csv_file("second.csv", "y\n"), fake_reader(fail_after=3))
    assert "second.csv:5: unexpected end of file" in str(info.value)
    assert snapshot(ws) == before
    # and the workspace is still usable afterwards
    assert _ingest(ws, csv_file("third.csv", "z\n"), fake_reader()).sources[0].events == 4


def test_interrupt_rolls_back(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")

    def interrupted(path, stager, options):
        fake_reader()(path, stager, options)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _ingest(ws, csv_file(), interrupted)
    assert ws.scalar("SELECT count(*) FROM event") == 0
    assert ws.scalar("SELECT count(*) FROM source") == 0


def test_reingest_same_bytes_is_a_no_op(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    path = csv_file()
    _ingest(ws, path, fake_reader())
    before = snapshot(ws)
    again = _ingest(ws, path, fake_reader()).sources[0]
    assert again.skipped and "already ingested" in again.notes[0]
    assert snapshot(ws) == before


def test_same_case_ids_in_two_processes_do_not_collide(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    _ingest(ws, csv_file("a.csv", "a"), fake_reader(), process="purchase")
    _ingest(ws, csv_file("b.csv", "b"), fake_reader(), process="sales")
    per_type = ws.rows("""SELECT o.type, count(DISTINCT o.oid), count(*) FROM object o
                          JOIN event_object USING (oid) GROUP BY 1 ORDER BY 1""")
    assert per_type == [("purchase", 2, 4), ("sales", 2, 4)]


def test_same_process_merges_cases_and_says_so(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    _ingest(ws, csv_file("jan.csv", "a"), fake_reader(), process="orders")
    report = _ingest(ws, csv_file("feb.csv", "b"), fake_reader(), process="orders").sources[0]
    assert report.objects == 0 and report.events == 4
    assert any("already existed" in n for n in report.notes)
    assert ws.scalar("SELECT count(*) FROM object") == 2
    assert ws.scalar("SELECT count(*) FROM event_object") == 8


def test_row_problems_go_to_rejects_with_reason(tmp_path, csv_file):
    rows = ROWS + [
        ("c3", "", "2024-03-03T08:00:00Z", None, "e5"),
        ("c3", "pay", "yesterday-ish", None, "e6"),
        (None, "pay", "2024-03-03T08:00:00Z", None, "e7"),
        ("c3", "pay", "2024-03-04T08:00:00Z", None, "e1"),  # duplicate id
        ("c3", "pay", None, None, "e9"),
    ]
    ws = Workspace(tmp_path / "w.duckdb")
    src = _ingest(ws, csv_file(), fake_reader(rows)).sources[0]
    assert (src.events, src.rejected) == (4, 5)
    got = ws.rows("SELECT location, reason FROM reject ORDER BY location")
    assert got == [(6, "empty activity"), (7, "unparseable timestamp 'yesterday-ish'"), (8, "missing case id"),
                   (9, "duplicate event id 'e1'"), (10, "missing timestamp")]
    raw = json.loads(ws.scalar("SELECT raw FROM reject WHERE location = 7"))
    assert raw["ts_text"] == "yesterday-ish" and raw["case_id"] == "c3"


def test_case_attributes_become_object_attributes(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    _ingest(ws, csv_file(), fake_reader(cases={"c1": {"amount": 250.5}, "c9": {"empty": True}}))
    attrs = dict(ws.rows("SELECT id, attributes::VARCHAR FROM object ORDER BY id"))
    assert json.loads(attrs["c1"]) == {"amount": 250.5}
    assert attrs["c2"] is None
    assert "c9" in attrs  # a trace without events is still a case object


def test_unknown_timezone_is_an_input_error(tmp_path, csv_file):
    ws = Workspace(tmp_path / "w.duckdb")
    with pytest.raises(InputError, match="unknown time zone 'Mars/Base'"):
        _ingest(ws, csv_file(), fake_reader(), timezone="Mars/Base")


def test_non_iso_formats_parse(tmp_path, csv_file):
    rows = [("c1", "a", "2019/11/03 01:11:19.000", None, None), ("c1", "b", "03.11.2019 14:05", None, None),
            ("c1", "c", "2019-11-03T14:05:06.123456+05:30", None, None)]
    ws = Workspace(tmp_path / "w.duckdb")
    _ingest(ws, csv_file(), fake_reader(rows))
    got = [r[0] for r in ws.rows("SELECT strftime(timestamp, '%Y-%m-%d %H:%M:%S.%f') FROM event ORDER BY eid")]
    assert got == ["2019-11-03 01:11:19.000000", "2019-11-03 14:05:00.000000", "2019-11-03 08:35:06.123456"]


def test_workspace_path_resolution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROCATLAS_WORKSPACE", raising=False)
    assert Workspace().path == Path("atlas.duckdb")
    monkeypatch.setenv("PROCATLAS_WORKSPACE", str(tmp_path / "env.duckdb"))
    assert Workspace().path == tmp_path / "env.duckdb"
    assert Workspace(tmp_path / "explicit.duckdb").path == tmp_path / "explicit.duckdb"


def test_info_reports_processes(tmp_path, csv_file):
    ws_path = tmp_path / "w.duckdb"
    with Workspace(ws_path) as ws:
        _ingest(ws, csv_file(), fake_reader())
    info = api.info(workspace=ws_path)
    assert (info.events, info.objects, info.activities) == (4, 2, 3)
    assert [(p.process, p.cases, p.events, p.activities) for p in info.processes] == [("orders", 2, 4, 3)]

"""The XES reader: real logs stage the manifest's counts; broken inputs raise one-line InputErrors."""

from __future__ import annotations

import gzip
import json
import zipfile

from datetime import datetime

import pytest

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io.xes import read_xes
from procatlas.model.mapping import Mapping
from tests.conftest import data_file

# (file under shared/data, cases, events) from shared/data/MANIFEST.md
REAL_LOGS = [
    ("pm4py__pm4py-core/bpic2012.xes.gz", 13_087, 262_200),
    ("pm4py__pm4py-core/helpdesk.xes.gz", 4_580, 21_348),
    ("pm4py__pm4py-core/roadtraffic100traces.xes", 100, 390),
    ("pm4py__pm4py-core/running-example.xes", 6, 42),
    ("pm4py__pm4py-core/interval_event_log.xes", 1_266, 8_109),
    ("pm4py__pm4py-core/reviewing.xes", 100, 3_730),
    ("pm4py__pm4py-core/fairness/hiring_log_high.xes.gz", 10_000, 63_869),
    ("pm4py__pm4py-core/fairness/hospital_log_high.xes.gz", 10_000, 69_528),
    ("pm4py__pm4py-core/fairness/lending_log_high.xes.gz", 10_000, 58_822),
    ("pm4py__pm4py-core/fairness/renting_log_high.xes.gz", 10_000, 89_972),
    ("pm4py__pm4py-core/compressed_input_data/02_teleclaims.xes.gz", 3_512, 46_138),
    ("pm4py__pm4py-core/compressed_input_data/03_repairExample.xes.gz", 1_104, 11_855),
    ("pm4py__pm4py-core/compressed_input_data/06_bpic2013_closed.xes.gz", 1_487, 6_660),
    ("pm4py__pm4py-core/compressed_input_data/07_bpic2013_incidents.xes.gz", 7_554, 65_533),
    ("pm4py__pm4py-core/compressed_input_data/08_receipt.xes.gz", 1_434, 8_577),
    ("pm4py__pm4py-core/compressed_input_data/10_orders.xes.gz", 17, 154),
    ("pm4py__pm4py-core/compressed_input_data/12_roadtraffic_1t_per_variant.xes.gz", 231, 1_891),
    ("pm4py__pm4py-core/compressed_input_data/14_Billing_1t_per_variant.xes.gz", 1_020, 12_506),
    ("pm4py__pm4py-core/compressed_input_data/15_bpic2020_permit_log_1t_per_variant.xes.gz", 1_478, 26_028),
    ("pm4py__pm4py-core/compressed_input_data/16_bpic2019_1t_per_variant.xes.gz", 11_973, 338_247),
    ("pm4py__pm4py-core/compressed_input_data/17_bpic2012_1t_per_variant.xes.gz", 4_366, 182_467),
    ("AutomatedProcessImprovement__Simod/Production.xes.gz", 225, 9_906),
    ("AutomatedProcessImprovement__Simod/ConsultaDataMining201618.xes.gz", 954, 13_740),
    ("AutomatedProcessImprovement__Simod/BPI_Challenge_2012_W_Two_TS.xes.gz", 8_616, 118_604),
    ("AutomatedProcessImprovement__Simod/BPI_Challenge_2017_W_Two_TS_filtered.xes.gz", 8_941, 127_528),
    ("bptlab__bpi-challenge-2020/InternationalDeclarations.xes.gz", 6_323, 70_727),
    ("bptlab__bpi-challenge-2020/PermitLog.xes.gz", 6_426, 81_092),
    ("bptlab__bpi-challenge-2020/PrepaidTravelCost.xes.gz", 2_007, 17_507),
    ("bptlab__bpi-challenge-2020/RequestForPayment.xes.gz", 6_760, 36_072),
    pytest.param("Sophisss__pm_project/Road_Traffic_Fine_Management_Process.xes.zip", 150_370, 561_470,
                 marks=pytest.mark.slow),
]

# the biggest ones run in `make test` (slow) but not in the quick default loop
_SLOW = {"pm4py__pm4py-core/bpic2012.xes.gz", "pm4py__pm4py-core/compressed_input_data/16_bpic2019_1t_per_variant.xes.gz",
         "pm4py__pm4py-core/compressed_input_data/17_bpic2012_1t_per_variant.xes.gz",
         "AutomatedProcessImprovement__Simod/BPI_Challenge_2012_W_Two_TS.xes.gz",
         "AutomatedProcessImprovement__Simod/BPI_Challenge_2017_W_Two_TS_filtered.xes.gz",
         "bptlab__bpi-challenge-2020/PermitLog.xes.gz", "bptlab__bpi-challenge-2020/InternationalDeclarations.xes.gz",
         "pm4py__pm4py-core/fairness/renting_log_high.xes.gz"}
REAL_LOGS = [pytest.param(*p, marks=pytest.mark.slow) if isinstance(p, tuple) and p[0] in _SLOW else p
             for p in REAL_LOGS]


def one(stager, sql):
    return stager.con.execute(sql).fetchone()


def rows(stager, sql):
    return stager.con.execute(sql).fetchall()


@pytest.mark.parametrize(("rel", "cases", "events"), REAL_LOGS)
def test_real_log_stages_manifest_counts(stager, rel, cases, events):
    read_xes(data_file(rel), stager, ReadOptions())
    n_cases, n_events, no_case, no_activity, no_ts = one(stager, """
        SELECT count(DISTINCT case_id), count(*), count(*) FILTER (WHERE case_id IS NULL),
               count(*) FILTER (WHERE activity IS NULL), count(*) FILTER (WHERE ts_text IS NULL)
        FROM stage_case_event""")
    assert (n_cases, n_events) == (cases, events)
    assert (no_case, no_activity, no_ts) == (0, 0, 0)
    assert one(stager, "SELECT count(DISTINCT case_id) FROM stage_case") == (cases,)
    # positions are the 0-based file order, unique; locations are real line numbers
    assert one(stager, "SELECT min(position), max(position), count(DISTINCT position), min(location) > 1 "
                       "FROM stage_case_event") == (0, events - 1, events, True)
    # every staged attribute is valid JSON (DuckDB parses it) and has a declared type
    keys = {r[0] for r in rows(stager, "SELECT DISTINCT unnest(json_keys(attributes)) FROM stage_case_event "
                                       "WHERE attributes IS NOT NULL")}
    declared = {r[0] for r in rows(stager, "SELECT name FROM stage_attribute WHERE scope = 'event'")}
    assert keys <= declared
    assert stager.counts["case_event"] == events


@pytest.mark.slow
def test_bpic2012_typed_values(stager):
    read_xes(data_file("pm4py__pm4py-core/bpic2012.xes.gz"), stager, ReadOptions())
    first = one(stager, "SELECT case_id, activity, ts, ts_text, lifecycle, resource, grp, attributes, location "
                        "FROM stage_case_event WHERE position = 0")
    # the stager parses text with an offset in Arrow: 00:38:44.546+02:00 is 22:38:44.546 UTC the day before
    assert first == ("173688", "A_SUBMITTED", datetime(2011, 9, 30, 22, 38, 44, 546000),
                     "2011-10-01T00:38:44.546+02:00", "COMPLETE", "112",
                     None, None, 12744)
    case = json.loads(one(stager, "SELECT attributes FROM stage_case WHERE case_id = '173688'")[0])
    assert case == {"REG_DATE": "2011-10-01T00:38:44.546+02:00", "AMOUNT_REQ": "20000"}
    assert set(rows(stager, "SELECT scope, name, type FROM stage_attribute")) == {
        ("case", "AMOUNT_REQ", "string"), ("case", "REG_DATE", "date")}
    # 18,010 events lack org:resource (MANIFEST); lifecycle values are upper case
    assert one(stager, "SELECT count(*) FILTER (WHERE resource IS NULL) FROM stage_case_event") == (18_010,)
    assert {r[0] for r in rows(stager, "SELECT DISTINCT lifecycle FROM stage_case_event")} == {
        "SCHEDULE", "START", "COMPLETE"}
    assert stager.detected["xes_globals"]["event"]["lifecycle:transition"] == "UNKNOWN"
    # globals are defaults for missing values only; they are not applied to events
    assert one(stager, "SELECT count(*) FROM stage_case_event WHERE resource = 'UNKNOWN'") == (0,)


def test_interval_log_start_timestamp_role(stager):
    read_xes(data_file("pm4py__pm4py-core/interval_event_log.xes"), stager, ReadOptions())
    assert one(stager, "SELECT activity, ts_text, start_ts_text, attributes FROM stage_case_event "
                       "WHERE position = 0") == (
        "place order", "2015-01-05T09:02:50.000+00:00", "2015-01-05T09:00:07.000+00:00", None)


def test_orders_non_iso_dates_are_staged_as_text(stager):
    read_xes(data_file("pm4py__pm4py-core/compressed_input_data/10_orders.xes.gz"), stager, ReadOptions())
    case_id, ts_text, attrs = one(stager, "SELECT case_id, ts_text, attributes FROM stage_case_event "
                                          "WHERE position = 0")
    assert (case_id, ts_text) == ("3", "2019/11/03 01:11:19.000")
    assert json.loads(attrs) == {"completeTime": "2019/11/03 01:11:19.000", "variant:count": 5,
                                 "variant:index": 0, "org:role": "Transition"}
    assert ("event", "variant:count", "int") in rows(stager, "SELECT scope, name, type FROM stage_attribute")


def test_running_example_resource_and_typed_cost(stager):
    read_xes(data_file("pm4py__pm4py-core/running-example.xes"), stager, ReadOptions())
    got = one(stager, "SELECT case_id, activity, resource, ts_text, attributes FROM stage_case_event "
                      "WHERE position = 0")
    assert got[:4] == ("3", "register request", "Pete", "2010-12-30T14:32:00.000+01:00")
    # Costs is written as a <string> in this file, so it stays text
    assert json.loads(got[4]) == {"Activity": "register request", "Resource": "Pete", "Costs": "50"}


# ---------------------------------------------------------------- hand-written XES


def write(tmp_path, text, name="log.xes"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="2.0" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="trace"><string key="concept:name" value="DEFAULT"/></global>
  <global scope="event"><string key="org:resource" value="nobody"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value="demo process"/>
  <trace>
    <string key="concept:name" value="c1"/>
    <int key="priority" value="3"/>
    <list key="items">
      <values><string key="item" value="a"/><int key="qty" value="2"/></values>
    </list>
    <event>
      <string key="concept:name" value="Create &amp; &lt;check&gt;"/>
      <date key="time:timestamp" value="2024-01-01T10:00:00.000+01:00"/>
      <string key="lifecycle:transition" value="complete"/>
      <string key="org:resource" value="Ann"/>
      <string key="org:group" value="Sales"/>
      <id key="identity:id" value="e-1"/>
      <string key="Title" value="Make order"/>
      <float key="amount" value="12.5"/>
      <boolean key="urgent" value="true"/>
      <date key="due" value="2024-02-01T00:00:00Z"/>
      <container key="address"><string key="city" value="Gent"/><int key="zip" value="9000"/></container>
      <float key="rate" value="NaN"/>
    </event>
    <event>
      <date key="time:timestamp" value="2024-01-02T10:00:00"/>
      <date key="Start_Timestamp" value="2024-01-02T09:00:00"/>
    </event>
  </trace>
  <trace>
    <string key="other" value="x"/>
    <event><string key="concept:name" value="Orphan"/><date key="time:timestamp" value="2024-01-03T00:00:00Z"/></event>
  </trace>
  <trace><string key="concept:name" value="empty"/></trace>
</log>
"""


def test_small_log_roles_attributes_and_types(stager, tmp_path):
    read_xes(write(tmp_path, SMALL), stager, ReadOptions())
    got = rows(stager, "SELECT case_id, activity, ts_text, start_ts_text, lifecycle, resource, grp, event_id, "
                       "position, attributes, location FROM stage_case_event ORDER BY position")
    assert got[0][:9] == ("c1", "Create & <check>", "2024-01-01T10:00:00.000+01:00", None, "complete", "Ann",
                          "Sales", "e-1", 0)
    assert json.loads(got[0][9]) == {"Title": "Make order", "amount": 12.5, "urgent": True,
                                     "due": "2024-02-01T00:00:00Z", "address": {"city": "Gent", "zip": 9000},
                                     "rate": "NaN"}
    assert got[0][10] == 14  # the line of the <event> start tag
    # the global default resource is not applied; the start timestamp is found case-insensitively
    assert got[1][:9] == ("c1", None, "2024-01-02T10:00:00", "2024-01-02T09:00:00", None, None, None, None, 1)
    assert got[1][9] is None
    # a trace without concept:name stages its events with a NULL case id (the workspace rejects them)
    assert got[2][:2] == (None, "Orphan")
    cases = dict(rows(stager, "SELECT case_id, attributes FROM stage_case"))
    assert json.loads(cases["c1"]) == {"priority": 3, "items": [{"item": "a"}, {"qty": 2}]}
    assert cases["empty"] == "{}"
    types = set(rows(stager, "SELECT scope, name, type FROM stage_attribute"))
    assert types == {("case", "priority", "int"), ("case", "items", "list"), ("case", "other", "string"),
                     ("event", "Title", "string"),
                     ("event", "amount", "float"), ("event", "urgent", "boolean"), ("event", "due", "date"),
                     ("event", "address", "container"), ("event", "rate", "float")}
    assert stager.detected["xes_globals"] == {"trace": {"concept:name": "DEFAULT"}, "event": {"org:resource": "nobody"}}
    assert stager.detected["xes_classifiers"] == [{"name": "Activity", "keys": "concept:name"}]
    assert stager.detected["xes_log_attributes"] == {"concept:name": "demo process"}
    assert any("no 'concept:name'" in n for n in stager.notes)


def test_mapping_override_moves_concept_name_into_attributes(stager, tmp_path):
    read_xes(write(tmp_path, SMALL), stager, ReadOptions(mapping=Mapping(activity="Title", resource="org:group")))
    act, res, grp, attrs = one(stager, "SELECT activity, resource, grp, attributes FROM stage_case_event "
                                       "WHERE position = 0")
    assert (act, res, grp) == ("Make order", "Sales", None)
    attrs = json.loads(attrs)
    assert attrs["concept:name"] == "Create & <check>" and attrs["org:resource"] == "Ann"
    assert "Title" not in attrs


def test_case_mapping_and_no_namespace(stager, tmp_path):
    text = SMALL.replace(' xmlns="http://www.xes-standard.org/"', "")
    read_xes(write(tmp_path, text), stager, ReadOptions(mapping=Mapping(case="case:other")))
    assert rows(stager, "SELECT DISTINCT case_id FROM stage_case_event ORDER BY ALL") == [("x",), (None,)]


def test_gzip_and_zip_inputs(stager, tmp_path):
    gz = tmp_path / "log.xes.gz"
    gz.write_bytes(gzip.compress(SMALL.encode()))
    zp = tmp_path / "log.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.writestr("inner/log.xes", SMALL)
        zf.writestr("__MACOSX/inner/._log.xes", b"\x00\x05junk")
    read_xes(gz, stager, ReadOptions())
    read_xes(zp, stager, ReadOptions())
    assert stager.counts["case_event"] == 6


def test_events_outside_traces_are_staged_without_case(stager, tmp_path):
    text = '<log><event><string key="concept:name" value="A"/></event><trace><string key="concept:name" ' \
           'value="c"/><event><string key="concept:name" value="B"/></event></trace></log>'
    read_xes(write(tmp_path, text), stager, ReadOptions())
    assert rows(stager, "SELECT case_id, activity, position FROM stage_case_event ORDER BY position") == [
        (None, "A", 0), ("c", "B", 1)]


def test_empty_log_is_not_an_error(stager, tmp_path):
    read_xes(write(tmp_path, "<log/>"), stager, ReadOptions())
    assert stager.counts["case_event"] == 0
    assert stager.notes


# ---------------------------------------------------------------- broken inputs


def _broken(tmp_path):
    good = SMALL.encode()
    out = {}
    out["truncated.xes"] = good[: len(good) // 2]
    out["notxml.xes"] = b"case,activity,timestamp\n1,A,2024-01-01\n"
    out["empty.xes"] = b""
    out["wrongroot.xes"] = b'<?xml version="1.0"?><html><body><trace><event/></trace></body></html>'
    out["wrongroot2.xes"] = b"<ocel><events/></ocel>"
    out["binary.xes"] = bytes(range(256)) * 4
    gz = gzip.compress(good * 50)
    out["truncated.xes.gz"] = gz[: len(gz) // 2]
    out["notgzip.xes.gz"] = b"this is not gzip at all"
    out["truncated-xml.xes.gz"] = gzip.compress(good[:-40])
    for name, data in out.items():
        (tmp_path / name).write_bytes(data)
    two = tmp_path / "two.zip"
    with zipfile.ZipFile(two, "w") as zf:
        zf.writestr("a.xes", SMALL)
        zf.writestr("b.xes", SMALL)
    (tmp_path / "truncated.zip").write_bytes(two.read_bytes()[:100])
    return sorted([*out, "two.zip", "truncated.zip"])


@pytest.mark.parametrize("name", [
    "truncated.xes", "notxml.xes", "empty.xes", "wrongroot.xes", "wrongroot2.xes", "binary.xes",
    "truncated.xes.gz", "notgzip.xes.gz", "truncated-xml.xes.gz", "two.zip", "truncated.zip"])
def test_broken_input_raises_one_line_input_error(stager, tmp_path, name):
    assert name in _broken(tmp_path)
    with pytest.raises(InputError) as info:
        read_xes(tmp_path / name, stager, ReadOptions())
    text = str(info.value)
    assert name in text
    assert "\n" not in text
    assert len(text) < 400


def test_syntax_error_names_the_line(stager, tmp_path):
    p = write(tmp_path, SMALL.replace("<event>\n      <date", "<event>\n      <<date", 1), "bad.xes")
    with pytest.raises(InputError) as info:
        read_xes(p, stager, ReadOptions())
    assert str(info.value).startswith(f"{p}:29: malformed XML")


def test_wrong_root_message(stager, tmp_path):
    p = tmp_path / "x.xes"
    p.write_bytes(b"<ocel><events/></ocel>")
    with pytest.raises(InputError, match="root element is <ocel>, expected <log>"):
        read_xes(p, stager, ReadOptions())

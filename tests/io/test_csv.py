"""CSV reader: real logs, dialects, time zones, rejects, broken files and round-trips."""

from __future__ import annotations

import gzip
import json
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.errors import InputError, MappingError
from procatlas.io import ReadOptions
from procatlas.io.csv import read_csv
from procatlas.model.mapping import Mapping
from tests.conftest import data_file, fresh_stager


def counts(stager):
    return stager.con.execute("SELECT count(DISTINCT case_id), count(*) FROM stage_case_event").fetchall()[0]


def opts(**mapping):
    return ReadOptions(mapping=Mapping(**mapping))


@pytest.mark.parametrize("rel, mapping, cases, events", [
    ("pm4py__pm4py-core/running-example.csv", dict(activity="concept:name", resource="org:resource"), 6, 42),
    ("pm4py__pm4py-core/receipt.csv", {}, 1434, 8577),
    ("pm4py__pm4py-core/interval_event_log.csv", {}, 1266, 8109),
    ("pm4py__pm4py-core/roadtraffic100traces.csv", {}, 100, 390),
    ("pm4py__pm4py-core/mobis_challenge_log_2019_snippet.csv", {}, 118, 464),
    ("pm4py__pm4py-core/dryers_Fond/eventlog.csv", dict(activity="Title"), 587, 12151),
    ("AutomatedProcessImprovement__Simod/BPIC15_1.csv.gz", {}, 1199, 52217),
    ("verenich__ProcessSequencePrediction/bpi_12_w.csv", dict(activity="ActivityID"), 9658, 72413),
    ("verenich__ProcessSequencePrediction/bpi_13_incidents.csv", dict(activity="ActivityID"), 7554, 65533),
    ("verenich__ProcessSequencePrediction/env_permit.csv", dict(activity="ActivityID"), 937, 38944),
    ("verenich__ProcessSequencePrediction/helpdesk.csv", dict(activity="ActivityID"), 3804, 13710),
])
def test_real_logs_match_manifest(stager, rel, mapping, cases, events):
    read_csv(data_file(rel), stager, opts(**mapping))
    assert counts(stager) == (cases, events)
    assert stager.con.execute("SELECT count(*) FROM stage_case_event WHERE ts IS NULL").fetchall()[0][0] == 0
    assert stager.counts["reject"] == 0
    pos = stager.con.execute("SELECT min(position), max(position), count(DISTINCT position) FROM stage_case_event").fetchall()[0]
    assert pos == (0, events - 1, events)


@pytest.mark.parametrize("rel, message", [
    ("pm4py__pm4py-core/dryers_Fond/eventlog.csv", "cannot tell the activity column: 'Event' or 'Title'; pass --activity COLUMN"),
    ("pm4py__pm4py-core/running-example.csv", "cannot tell the activity column: 'concept:name' or 'Activity'"),
    ("verenich__ProcessSequencePrediction/helpdesk.csv", "pass --activity ActivityID"),
])
def test_unsure_detection_asks_for_a_flag(stager, rel, message):
    with pytest.raises(MappingError) as exc:
        read_csv(data_file(rel), stager, ReadOptions())
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_receipt_values(stager):
    read_csv(data_file("pm4py__pm4py-core/receipt.csv"), stager, ReadOptions())
    row = stager.con.execute("SELECT case_id, activity, ts, lifecycle, resource, grp, attributes, location "
                             "FROM stage_case_event WHERE position = 0").fetchall()[0]
    # 2011-10-11 13:45:40.276000+02:00 -> UTC
    assert row == ("case-10011", "Confirmation of receipt", datetime(2011, 10, 11, 11, 45, 40, 276000),
                   "complete", "Resource21", "Group 1", '{"concept:instance":"task-42933"}', 2)
    case = json.loads(stager.con.execute("SELECT attributes FROM stage_case WHERE case_id = 'case-10011'").fetchall()[0][0])
    assert case["channel"] == "Internet" and case["deadline"] == "2011-12-06T12:41:31.788000+00:00"
    assert "concept:name" not in case and "enddate" not in case  # empty values are absent
    types = dict(((s, n), t) for s, n, t in stager.con.execute("SELECT * FROM stage_attribute").fetchall())
    assert types[("case", "deadline")] == "date" and types[("event", "concept:instance")] == "string"
    assert stager.counts["case"] == 1434


def test_mobis_decimal_comma_and_dotted_dates(stager):
    read_csv(data_file("pm4py__pm4py-core/mobis_challenge_log_2019_snippet.csv"), stager,
             ReadOptions(timezone="Europe/Berlin"))
    row = stager.con.execute("SELECT ts, start_ts, resource, grp, attributes FROM stage_case_event "
                             "WHERE position = 0").fetchall()[0]
    # 16.01.2017 13:40 in Berlin (CET, +01:00)
    assert row[:4] == (datetime(2017, 1, 16, 12, 40), datetime(2017, 1, 16, 12, 29), "FI12", "Accounting")
    assert json.loads(row[4]) == {"cost": 167.52}
    types = {n: t for _, n, t in stager.con.execute("SELECT * FROM stage_attribute").fetchall()}
    assert types["cost"] == "float"


def test_bpic15_empty_start_column(stager):
    read_csv(data_file("AutomatedProcessImprovement__Simod/BPIC15_1.csv.gz"), stager, ReadOptions())
    assert stager.con.execute("SELECT count(start_ts), count(start_ts_text), min(ts) FROM stage_case_event").fetchall()[0] == (
        0, 0, datetime(2010, 10, 4, 22, 0))


def test_zip_member_with_zip_name(stager):
    p = data_file("pm4py__pm4py-core/ocel/VBFA.zip")
    read_csv(p, stager, opts(case="VBELV", activity="VBTYP_N", timestamp="ERDAT"))
    assert counts(stager)[1] == 167766
    first = stager.con.execute("SELECT case_id, ts, attributes FROM stage_case_event WHERE position = 0").fetchall()[0]
    assert first[0] == "0000019068" and first[1] == datetime(2020, 3, 26)
    assert json.loads(first[2])["VBELN"] == "0090040438"  # leading zeros kept


# --- small files -----------------------------------------------------------------------------


def write(tmp_path, name, text, enc="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(enc) if isinstance(text, str) else text)
    return p


def test_naive_times_follow_timezone_offsets_win(stager, tmp_path):
    p = write(tmp_path, "t.csv", "case,activity,timestamp\n1,a,2020-07-01 12:00:00\n1,b,2020-07-01T12:00:00-05:00\n")
    read_csv(p, stager, ReadOptions(timezone="Europe/Amsterdam"))
    assert [r[0] for r in stager.con.execute("SELECT ts FROM stage_case_event ORDER BY position").fetchall()] == [
        datetime(2020, 7, 1, 10, 0), datetime(2020, 7, 1, 17, 0)]


def test_unknown_timezone(stager, tmp_path):
    p = write(tmp_path, "t.csv", "case,activity,timestamp\n1,a,2020-07-01 12:00:00\n")
    with pytest.raises(InputError, match="unknown time zone"):
        read_csv(p, stager, ReadOptions(timezone="Nowhere/Special"))


def test_unparseable_timestamp_keeps_raw_text(stager, tmp_path):
    p = write(tmp_path, "t.csv", "case,activity,timestamp\n1,a,2020-07-01 12:00:00\n1,b,yesterday\n1,c,2020-07-02 12:00:00\n")
    read_csv(p, stager, ReadOptions())
    assert stager.con.execute("SELECT ts, ts_text, location FROM stage_case_event WHERE activity = 'b'").fetchall() == [
        (None, "yesterday", 3)]


def test_tsv_with_epoch_and_typed_attributes(stager, tmp_path):
    p = write(tmp_path, "t.tsv", "CaseID\tTask\tunix time\tamount\tflag\tcode\n"
                                 "c1\ta\t1600000000\t12\ttrue\t007\nc1\tb\t1600000060\t-3\tFALSE\t010\n")
    read_csv(p, stager, opts(timestamp="unix time"))
    rows = stager.con.execute("SELECT ts, attributes FROM stage_case_event ORDER BY position").fetchall()
    assert rows[0][0] == datetime(2020, 9, 13, 12, 26, 40)
    assert json.loads(rows[1][1]) == {"amount": -3, "flag": False, "code": "010"}


def test_ragged_rows_go_to_rejects_with_lines(stager, tmp_path):
    text = ('case,activity,timestamp\n1,a,2020-01-01\n1,b\n"1","multi\nline",2020-01-02\n'
            '1,c,2020-01-03,extra\n2,d,2020-01-04\n')
    p = write(tmp_path, "r.csv", text)
    read_csv(p, stager, ReadOptions())
    rej = stager.con.execute("SELECT location, reason, raw FROM stage_reject ORDER BY location").fetchall()
    assert [(r[0], r[2]) for r in rej] == [(3, "1,b"), (6, "1,c,2020-01-03,extra")]
    assert "too few fields" in rej[0][1] and "too many fields" in rej[1][1]
    rows = stager.con.execute("SELECT activity, position, location FROM stage_case_event ORDER BY position").fetchall()
    assert rows == [("a", 0, 2), ("multi\nline", 1, 4), ("d", 2, 7)]
    assert not stager.con.execute("SELECT * FROM duckdb_tables() WHERE table_name LIKE '__procatlas%'").fetchall()


def test_unterminated_quote_rejected(stager, tmp_path):
    p = write(tmp_path, "q.csv", 'case,activity,timestamp\n1,a,2020-01-01\n1,"b,2020-01-02\n1,c,2020-01-03\n')
    read_csv(p, stager, ReadOptions())
    rej = stager.con.execute("SELECT location, raw FROM stage_reject").fetchall()
    assert rej[0][0] == 3 and rej[0][1].startswith('1,"b,2020-01-02')
    assert counts(stager) == (1, 1)


def test_missing_required_column(stager, tmp_path):
    p = write(tmp_path, "m.csv", "case,timestamp\n1,2020-01-01\n")
    with pytest.raises(MappingError, match=r"m.csv: cannot find the activity column"):
        read_csv(p, stager, ReadOptions())


@pytest.mark.parametrize("name, content, reason", [
    ("empty.csv", b"", "file is empty"),
    ("garbage.csv", bytes(range(256)) * 8, "binary data"),
    ("latin1.csv", "case,activity,timestamp\n1,caf\u00e9,2020-01-01\n".encode("latin-1"), "not UTF-8"),
    ("nohead.csv", b"c1,a,2020-01-01\nc1,b,2020-01-02\n", "no header line"),
])
def test_unusable_files_raise_one_line(stager, tmp_path, name, content, reason):
    p = write(tmp_path, name, content)
    with pytest.raises(InputError) as exc:
        read_csv(p, stager, ReadOptions())
    msg = str(exc.value)
    assert name in msg and reason in msg and "\n" not in msg


def test_truncated_gzip(stager, tmp_path):
    body = "case,activity,timestamp\n" + "".join(f"{i},act{i % 7},2020-01-01 00:00:{i % 60:02d}\n" for i in range(20000))
    data = gzip.compress(body.encode())
    p = write(tmp_path, "t.csv.gz", data[: len(data) // 2])
    with pytest.raises(InputError) as exc:
        read_csv(p, stager, ReadOptions())
    assert "t.csv.gz" in str(exc.value) and "\n" not in str(exc.value)


def test_corrupt_zip(stager, tmp_path):
    p = write(tmp_path, "z.zip", b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="z.zip"):
        read_csv(p, stager, ReadOptions())


def test_zip_and_gz_round_trip(stager, tmp_path):
    body = b"case;activity;timestamp;\nc1;a;2020-01-01 10:00;\nc1;b;2020-01-01 11:00;\n"  # trailing ';'
    z = tmp_path / "log.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("inner.csv", body)
    read_csv(z, stager, ReadOptions())
    assert counts(stager) == (1, 2)


# --- property test -----------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
                | st.sampled_from([",", ";", "\t", "|", '"', "\n", " "]), min_size=1, max_size=12)
# values that parse as something else (numbers, booleans, dates) would be typed; keep them text
_plain = _text.filter(lambda s: s.strip() == s and s.strip() != "" and not _looks_typed(s))


def _looks_typed(s: str) -> bool:
    import re
    return bool(re.fullmatch(r"-?\d[\d.,eE+-]*|true|false|\d{4}-\d{2}-\d{2}.*", s.strip(), re.I))


_TS_FORMATS = [
    ("%Y-%m-%d %H:%M:%S", True), ("%Y-%m-%dT%H:%M:%S.%f", True), ("%d.%m.%Y %H:%M:%S", False),
    ("%Y/%m/%d %H:%M:%S", False),
]


@st.composite
def logs(draw):
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    n = draw(st.integers(1, 25))
    fmt, offsettable = draw(st.sampled_from(_TS_FORMATS))
    offset = draw(st.sampled_from([None, 0, 60, -300, 330])) if offsettable else None
    base = datetime(2021, 3, 1, 8, 0, 0)
    cases = draw(st.lists(st.sampled_from(["c1", "c2", "c3", "Fall ä", "x,y"]), min_size=n, max_size=n))
    acts = draw(st.lists(st.sampled_from(["register", "check, fast", 'say "hi"', "line\nbreak", "Prüfen"]),
                         min_size=n, max_size=n))
    notes = draw(st.lists(_plain, min_size=n, max_size=n))
    costs = draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n))
    stamps = []
    for i in range(n):
        t = base + timedelta(seconds=draw(st.integers(0, 10**7)), microseconds=(i * 1000 if ".%f" in fmt else 0))
        stamps.append(t)
    return delim, fmt, offset, cases, acts, notes, costs, stamps


def _field(v: str, delim: str) -> str:
    if any(c in v for c in (delim, '"', "\n", "\r")) or v != v.strip():
        return '"' + v.replace('"', '""') + '"'
    return v


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=logs())
def test_random_csv_round_trip(tmp_path_factory, log):
    delim, fmt, offset, cases, acts, notes, costs, stamps = log
    comma = delim != ","
    lines = [delim.join(["case:concept:name", "concept:name", "time:timestamp", "note", "cost"])]
    for c, a, n, k, t in zip(cases, acts, notes, costs, stamps):
        ts = t.strftime(fmt)
        if offset is not None:
            ts += "+00:00" if offset == 0 else t.replace(tzinfo=timezone(timedelta(minutes=offset))).strftime("%z")[:3] + ":" + \
                t.replace(tzinfo=timezone(timedelta(minutes=offset))).strftime("%z")[3:]
        cost = f"{k / 100:.2f}".replace(".", ",") if comma else f"{k / 100:.2f}"
        lines.append(delim.join(_field(v, delim) for v in (c, a, ts, n, cost)))
    p = tmp_path_factory.mktemp("rt") / "rand.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    st_ = fresh_stager()
    con = st_.con
    read_csv(p, st_, ReadOptions())
    got = con.execute("SELECT case_id, activity, ts, attributes FROM stage_case_event ORDER BY position").fetchall()
    assert con.execute("SELECT count(*) FROM stage_reject").fetchall()[0][0] == 0
    want = []
    for c, a, n, k, t in zip(cases, acts, notes, costs, stamps):
        utc = t - timedelta(minutes=offset or 0)
        want.append((c, a, utc, {"note": n, "cost": k / 100}))
    assert [(r[0], r[1], r[2], json.loads(r[3])) for r in got] == want
    con.close()


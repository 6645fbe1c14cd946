"""Column-role and timestamp-format detection."""

from __future__ import annotations

import pytest

from procatlas.errors import InputError, MappingError
from procatlas.io._detect import (AmbiguousDayMonth, ColumnProfile, detect_mapping, detect_ts_format,
                                  normalise_name, validate_timezone)
from procatlas.model.mapping import Mapping


def prof(name, values):
    return ColumnProfile(name, "VARCHAR", values, len(set(values)))


def test_normalise_name_folds_case_accents_and_separators():
    assert normalise_name("Case ID") == normalise_name("case_id") == "caseid"
    assert normalise_name("Aktivität") == "aktivitat"
    assert normalise_name("time:timestamp") == "timetimestamp"


@pytest.mark.parametrize("values, kind, label", [
    (["2020-01-01 10:00:00", "2020-01-02T11:00:00.123"], "iso", "ISO 8601"),
    (["16.01.2017 13:29", "17.01.2017 13:29:12"], "strptime", "dd.mm.yyyy"),
    (["2019/11/03 01:11:19.000"], "strptime", "yyyy/mm/dd"),
    (["13/01/2020 10:00", "01/02/2020 10:00"], "strptime", "dd/mm/yyyy"),
    (["01/13/2020 10:00", "02/01/2020"], "strptime", "mm/dd/yyyy"),
    (["20200326", "19941129"], "strptime", "YYYYMMDD"),
    (["1600000000", "1600000001"], "epoch_s", "epoch seconds"),
    (["1600000000000"], "epoch_ms", "epoch milliseconds"),
])
def test_detect_ts_format(values, kind, label):
    fmt = detect_ts_format(values)
    assert (fmt.kind, fmt.label) == (kind, label)


def test_iso_offsets_are_classified():
    assert detect_ts_format(["2020-01-01 10:00:00+01:00", "2020-01-01T10:00Z"]).offsets == "all"
    assert detect_ts_format(["2020-01-01 10:00:00"]).offsets == "none"
    assert detect_ts_format(["2020-01-01 10:00:00", "2020-01-01 10:00:00-05:00"]).offsets == "mixed"


def test_day_month_undecidable_raises():
    with pytest.raises(AmbiguousDayMonth):
        detect_ts_format(["01/02/2020", "03/04/2020"])


def test_numbers_are_not_timestamps_unless_named():
    assert detect_ts_format(["20200326"], allow_numeric=False) is None
    assert detect_ts_format(["abc", "def"]) is None


def test_common_names_detected():
    cols = [prof("Case ID", ["1", "1", "2"]), prof("Activity", ["a", "b", "a"]),
            prof("Complete Timestamp", ["2020-01-01 10:00:00"] * 3), prof("Resource", ["x", "y", "x"]),
            prof("Start Timestamp", ["2020-01-01 09:00:00"] * 3), prof("department", ["d"] * 3)]
    d = detect_mapping(cols, Mapping(), path="f.csv", rows=3)
    assert d.mapping == Mapping(case="Case ID", activity="Activity", timestamp="Complete Timestamp",
                                start_timestamp="Start Timestamp", resource="Resource", group="department")


def test_german_names_detected():
    cols = [prof("Fallnummer", ["1", "1"]), prof("Tätigkeit", ["a", "b"]), prof("Zeitstempel", ["01.02.2020 10:00"] * 2),
            prof("Bearbeiter", ["x", "y"])]
    d = detect_mapping(cols, Mapping(), path="f.csv", rows=2)
    assert (d.mapping.case, d.mapping.activity, d.mapping.timestamp, d.mapping.resource) == (
        "Fallnummer", "Tätigkeit", "Zeitstempel", "Bearbeiter")


def test_two_activity_columns_ask_for_the_flag():
    cols = [prof("ID", ["1", "1"]), prof("Event", ["e1", "e2"]), prof("Title", ["t1", "t2"]),
            prof("Date", ["2020-01-01"] * 2)]
    with pytest.raises(MappingError, match=r"f.csv: cannot tell the activity column: 'Event' or 'Title'; pass --activity COLUMN"):
        detect_mapping(cols, Mapping(), path="f.csv", rows=2)
    d = detect_mapping(cols, Mapping(activity="Title"), path="f.csv", rows=2)
    assert d.mapping.activity == "Title" and d.mapping.case == "ID"


def test_integer_activity_codes_ask_for_the_flag():
    cols = [prof("CaseID", ["1", "1"]), prof("ActivityID", ["3", "5"]), prof("CompleteTimestamp", ["2020-01-01"] * 2)]
    with pytest.raises(MappingError, match="pass --activity ActivityID"):
        detect_mapping(cols, Mapping(), path="f.csv", rows=2)


def test_missing_case_column():
    cols = [prof("Activity", ["a"]), prof("Timestamp", ["2020-01-01"])]
    with pytest.raises(MappingError, match="cannot find the case column.*pass --case COLUMN"):
        detect_mapping(cols, Mapping(), path="f.csv", rows=1)


def test_override_with_unknown_column():
    cols = [prof("a", ["1"])]
    with pytest.raises(MappingError, match="column 'nope' given for --case is not in the file"):
        detect_mapping(cols, Mapping(case="nope"), path="f.csv", rows=1)


def test_undecidable_day_month_names_the_flag():
    cols = [prof("case", ["1"]), prof("activity", ["a"]), prof("timestamp", ["01/02/2020", "03/04/2020"])]
    with pytest.raises(MappingError, match="--timestamp-format"):
        detect_mapping(cols, Mapping(), path="f.csv", rows=2)


def test_validate_timezone():
    assert validate_timezone("Europe/Amsterdam") == "Europe/Amsterdam"
    with pytest.raises(InputError, match="unknown time zone 'Mars/Base'"):
        validate_timezone("Mars/Base", "x.csv")

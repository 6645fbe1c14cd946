"""KPI values equal independent computations (pm4py, numpy) on real and planted logs."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from procatlas import api
from procatlas.metrics import BusinessCalendar
from tests.conftest import data_file
from tests.metrics.helpers import write_log

REAL = {"receipt": "pm4py__pm4py-core/receipt.csv",
        "helpdesk": "pm4py__pm4py-core/helpdesk.xes.gz",
        "bpic2012": "pm4py__pm4py-core/bpic2012.xes.gz"}


@pytest.mark.parametrize("name", sorted(REAL))
def test_case_durations_equal_pm4py(name, tmp_path):
    pm4py = pytest.importorskip("pm4py", reason="pm4py (test oracle) not installed")
    path = data_file(REAL[name])
    ws = tmp_path / "w.duckdb"
    api.ingest([path], workspace=ws, process=name)
    m = api.metrics(workspace=ws, process=name, exceptions=False)
    if path.suffix == ".csv":
        import pandas as pd
        df = pd.read_csv(path)
        df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True, format="mixed")
        log = df
    else:
        log = pm4py.read_xes(str(path))
    from pm4py.statistics.traces.generic.pandas import case_statistics
    durations = case_statistics.get_all_case_durations(log, parameters={
        "pm4py:param:activity_key": "concept:name", "pm4py:param:timestamp_key": "time:timestamp",
        "pm4py:param:case_id_key": "case:concept:name"})
    assert m["cases"].value == len(durations)
    assert m["cycle_time_median"].value * 3600 == pytest.approx(statistics.median(durations), rel=1e-9, abs=1e-3)
    assert m["cycle_time_mean"].value * 3600 == pytest.approx(statistics.fmean(durations), rel=1e-9, abs=1e-3)
    assert m["cycle_time_p90"].value * 3600 == pytest.approx(float(np.quantile(durations, 0.9)), rel=1e-9, abs=1e-3)


def test_catalog_values_on_planted_log(tmp_path):
    """Rework rate, handovers and cycle times recomputed with plain Python from the CSV."""
    import csv
    import datetime as dt
    path = write_log(tmp_path / "log.csv", cases=300)
    ws = tmp_path / "w.duckdb"
    api.ingest([path], workspace=ws, process="claims")
    m = api.metrics(workspace=ws, process="claims")
    cases: dict[str, list] = {}
    with path.open() as fh:
        for r in csv.DictReader(fh):
            cases.setdefault(r["case"], []).append(r)
    durs, rework, hand, cross = [], [], [], []
    for rows in cases.values():
        ts = [dt.datetime.fromisoformat(r["timestamp"]) for r in rows]
        durs.append((max(ts) - min(ts)).total_seconds() / 3600)
        acts = [r["activity"] for r in rows]
        rework.append(len(acts) != len(set(acts)))
        hand.append(sum(a["resource"] != b["resource"] for a, b in zip(rows, rows[1:])))
        cross.append(sum(a["resource"] != b["resource"] and a["group"] != b["group"] for a, b in zip(rows, rows[1:])))
    assert m["cycle_time_median"].value == pytest.approx(statistics.median(durs))
    assert m["rework_rate"].value == pytest.approx(np.mean(rework))
    assert m["handovers_per_case"].value == pytest.approx(np.mean(hand))
    assert m["cross_group_handovers_per_case"].value == pytest.approx(np.mean(cross))
    assert m["waiting_time[check -> fix]"].n > 0
    ftr = m["first_time_right_rate"]
    assert 0 <= ftr.value <= 1 and ftr.direction == "higher"
    d = m.to_dict()[0]
    assert set(d) == {"kpi", "process", "value", "unit", "n", "definition"}


def test_working_time_calendar():
    cal = BusinessCalendar(holidays=("2025-01-06",))
    s = np.array(["2025-01-03T16:00", "2025-01-04T10:00", "2025-01-07T08:00"], dtype="datetime64[us]")
    e = np.array(["2025-01-07T10:00", "2025-01-05T12:00", "2025-01-07T18:00"], dtype="datetime64[us]")
    # Fri 16-17 (1 h) + Mon holiday + Tue 9-10 (1 h); a weekend; a whole Tuesday (8 h)
    assert (cal.working_seconds(s, e) / 3600).tolist() == [2.0, 0.0, 8.0]


def test_working_time_applies_to_every_duration(tmp_path):
    """With a 24/7 calendar every duration equals elapsed time; with office hours none is longer."""
    path = write_log(tmp_path / "log.csv", cases=150)
    ws = tmp_path / "w.duckdb"
    api.ingest([path], workspace=ws, process="claims")
    plain = api.metrics(workspace=ws, process="claims", exceptions=False)
    always = api.metrics(workspace=ws, process="claims", exceptions=False,
                         calendar=BusinessCalendar(working_days="1111111", from_hour=0, to_hour=24))
    office = api.metrics(workspace=ws, process="claims", exceptions=False, calendar=BusinessCalendar())
    durations = [k.kpi for k in plain.kpis if k.kind == "duration"]
    assert len(durations) >= 5
    for name in durations:
        assert always[name].value == pytest.approx(plain[name].value, rel=1e-9)
        assert office[name].value <= plain[name].value + 1e-9
        assert "working time" in office[name].definition and office[name].definition != plain[name].definition
    assert office["cycle_time_median"].value < 0.5 * plain["cycle_time_median"].value

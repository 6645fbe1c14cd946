"""Parquet reader and the CSV/Parquet writers of the case view."""

from __future__ import annotations

import json
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io.csv import read_csv
from procatlas.io.parquet import read_parquet
from procatlas.io.table_write import write_csv, write_parquet
from tests.conftest import data_file


def counts(stager):
    return stager.con.execute("SELECT count(DISTINCT case_id), count(*) FROM stage_case_event").fetchall()[0]


def test_receipt_parquet_matches_manifest(stager):
    read_parquet(data_file("pm4py__pm4py-core/receipt.parquet"), stager, ReadOptions())
    assert counts(stager) == (1434, 8577)
    assert stager.counts["case"] == 1434
    row = stager.con.execute("SELECT case_id, activity, ts, lifecycle, resource, grp, location FROM stage_case_event "
                             "WHERE position = 0").fetchall()[0]
    # the file holds naive local times: read in the given zone
    assert row == ("case-10011", "Confirmation of receipt", datetime(2011, 10, 11, 13, 45, 40, 276000),
                   "complete", "Resource21", "Group 1", 1)


def test_tz_aware_and_string_timestamps(stager, tmp_path):
    t = pa.table({
        "case:concept:name": ["c1", "c1"], "concept:name": ["a", "b"],
        "time:timestamp": pa.array([datetime(2020, 1, 1, 12), datetime(2020, 1, 1, 13)], pa.timestamp("us", tz="Europe/Amsterdam")),
        "start_timestamp": ["01.01.2020 10:00", "01.01.2020 11:00"],
        "n": pa.array([1, 2], pa.int32()), "x": [1.5, None], "ok": [True, False], "case:size": [3, 3],
    })
    p = tmp_path / "t.parquet"
    pq.write_table(t, p)
    read_parquet(p, stager, ReadOptions(timezone="Europe/Amsterdam"))
    rows = stager.con.execute("SELECT ts, start_ts, attributes FROM stage_case_event ORDER BY position").fetchall()
    assert rows[0][:2] == (datetime(2020, 1, 1, 12), datetime(2020, 1, 1, 9))
    assert json.loads(rows[0][2]) == {"n": 1, "x": 1.5, "ok": True}
    assert json.loads(rows[1][2]) == {"n": 2, "ok": False}
    assert stager.con.execute("SELECT attributes FROM stage_case").fetchall() == [('{"size":3}',)]


def test_not_parquet(stager, tmp_path):
    p = tmp_path / "bad.parquet"
    p.write_bytes(b"PAR1 nope")
    with pytest.raises(InputError) as exc:
        read_parquet(p, stager, ReadOptions())
    assert "bad.parquet" in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_case_view_reingests(stager, tmp_path, fmt):
    import duckdb
    from procatlas.io._stage import Stager

    read_csv(data_file("pm4py__pm4py-core/receipt.csv"), stager, ReadOptions())
    view = stager.con.sql(
        "SELECT e.case_id, c.attributes AS case_attributes, activity, ts AS timestamp, lifecycle, resource, grp, "
        "start_ts AS start_timestamp, event_id, e.attributes FROM stage_case_event e "
        "LEFT JOIN stage_case c USING (case_id) ORDER BY position").to_arrow_table()
    out = tmp_path / f"view.{fmt}"
    (write_csv if fmt == "csv" else write_parquet)(out, view.to_batches())
    con = duckdb.connect()
    def execute(sql, params=None, register=None):
        for name, obj in (register or {}).items():
            con.register(name, obj)
        return con.execute(sql, params or [])

    again = Stager(execute)
    (read_csv if fmt == "csv" else read_parquet)(out, again, ReadOptions())
    assert con.execute("SELECT count(DISTINCT case_id), count(*), count(ts) FROM stage_case_event").fetchall()[0] == (1434, 8577, 8577)
    assert again.counts["case"] == 1434
    same = con.execute("SELECT ts FROM stage_case_event WHERE position = 0").fetchall()[0][0]
    assert same == datetime(2011, 10, 11, 11, 45, 40, 276000)

"""Long waits in working time: the SQL day-table computation equals timing.working_seconds (numpy)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from procatlas.hotspots.settings import ExceptionSettings, SlaRule
from procatlas.hotspots.timing import _WORKING_WAITS, long_wait_sql, working_seconds

T0 = datetime(2024, 12, 20, tzinfo=timezone.utc)
HOLIDAYS = ("2024-12-25", "2024-12-26", "2025-01-01", "2025-04-21")


@st.composite
def cases(draw):
    n = draw(st.integers(1, 12))
    starts = draw(st.lists(st.integers(0, 200 * 86400), min_size=n, max_size=n))
    gaps = draw(st.lists(st.integers(0, 30 * 86400), min_size=n, max_size=n))
    lo = draw(st.sampled_from([7.0, 8.0, 8.5, 9.0]))
    hi = lo + draw(st.sampled_from([4.0, 8.0, 9.0, 10.5]))
    mask = draw(st.sampled_from(["1111100", "1111110", "0111110", "1111111"]))
    tz = draw(st.sampled_from(["Europe/Amsterdam", "UTC", "America/New_York"]))
    hol = tuple(h for h in HOLIDAYS if draw(st.booleans()))
    return starts, gaps, SlaRule(1.0, working_hours=(lo, hi), timezone=tz, working_days=mask, holidays=hol)


@settings(max_examples=40)  # each example opens a DuckDB connection
@given(cases())
def test_working_waits_equal_numpy(c):
    starts, gaps, rule = c
    a = [T0 + timedelta(seconds=s) for s in starts]
    b = [x + timedelta(seconds=g) for x, g in zip(a, gaps)]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE st (cid BIGINT, next_eid BIGINT, activity VARCHAR, next_activity VARCHAR, "
                "ts TIMESTAMPTZ, next_ts TIMESTAMPTZ)")
    con.executemany("INSERT INTO st VALUES (?, ?, 'a', 'b', ?, ?)", [(i, i, x, y) for i, (x, y) in enumerate(zip(a, b))])
    lo, hi = rule.working_hours
    sql = _WORKING_WAITS.format(span=float((hi - lo) * 3600), lo=float(lo * 3600)).format(st="st")
    rows = con.execute(f"SELECT * FROM ({sql}) w(cid, eid, act, nxt, d)",
                       [rule.timezone, rule.timezone, rule.working_days, list(rule.holidays)]).fetchall()
    got = {r[0]: r[4] for r in rows}
    zone = ZoneInfo(rule.timezone)
    local = lambda ts: np.array([np.datetime64(t.astimezone(zone).replace(tzinfo=None), "s") for t in ts])  # noqa: E731
    want = working_seconds(local(a), local(b), rule)
    assert sorted(got) == list(range(len(a)))
    assert np.allclose([got[i] for i in range(len(a))], want, atol=1e-6)


def test_long_wait_sql_uses_the_calendar_only_with_working_hours():
    s = ExceptionSettings()
    plain, _ = long_wait_sql(s)
    worked, params = long_wait_sql(s, SlaRule(45.0, working_hours=(8.0, 17.0), timezone="Europe/Amsterdam"))
    assert "working time" not in plain and "working time" in worked
    assert params[:3] == ["Europe/Amsterdam", "Europe/Amsterdam", "1111100"]
    assert long_wait_sql(s, SlaRule(45.0))[0] == plain

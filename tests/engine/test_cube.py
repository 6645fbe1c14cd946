"""The cube engine (engine/cube.py) gives the DuckDB engine's answers: same rows, same order, same numbers."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.engine import DuckDBEngine
from procatlas.engine.cube import Cube, CubeEngine, order_stats
from procatlas.errors import InputError
from procatlas.model.discovery import Filters
from procatlas.workspace import Workspace
from tests.conftest import data_file
from tests.engine.test_summaries import T0, log_st, make_workspace

SUMMARIES = ("dfg", "start_activities", "end_activities", "activities", "variants", "case_durations")
MODES = ("intersecting", "contained", "started", "completed")


def same_table(expected, got, what) -> None:
    assert got.column_names == expected.column_names, what
    rows, ours = expected.to_pylist(), got.to_pylist()
    assert len(ours) == len(rows), what
    for r, o in zip(rows, ours):
        for k, v in r.items():
            if isinstance(v, float) and o[k] is not None:
                assert math.isclose(o[k], v, rel_tol=1e-9, abs_tol=1e-6), (what, k, r, o)
            else:
                assert o[k] == v, (what, k, r, o)


def assert_same(ws, cube: Cube, process: str, f: Filters) -> tuple[int, int]:
    """Every summary of the cube engine equals the DuckDB engine's under ``f``; returns (cases, events)."""
    engine, fast = DuckDBEngine(ws), CubeEngine(cube, ws)
    a, b = engine.select(process, f), fast.select(process, f)
    try:
        assert (b.cases, b.events) == (a.cases, a.events), f
        for name in SUMMARIES:
            same_table(getattr(engine, name)(a), getattr(fast, name)(b), (f, name))
        same_table(engine.dfg(a, performance=False), fast.dfg(b, performance=False), (f, "counts"))
        return a.cases, a.events
    finally:
        engine.release(a)
        fast.release(b)


# -- real logs ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bpic2012(tmp_path_factory):
    from procatlas import api
    path = tmp_path_factory.mktemp("cube") / "bpic2012.duckdb"
    api.ingest([data_file("pm4py__pm4py-core/bpic2012.xes.gz")], workspace=path, process="bpic2012")
    ws = Workspace(path, read_only=True)
    yield ws, Cube(ws, "bpic2012")
    ws.close()


def test_bpic2012_case_level_filters(bpic2012):
    ws, cube = bpic2012
    assert len(cube.case_n) == 13087 and len(cube.ev_code) == 262200
    assert assert_same(ws, cube, "bpic2012", Filters()) == (13087, 262200)
    for mode in MODES:  # a time window chooses whole cases
        cases, events = assert_same(ws, cube, "bpic2012", Filters(start="2011-11-01", end="2011-12-15",
                                                                   time_mode=mode))
        assert 0 < cases < 13087
    assert assert_same(ws, cube, "bpic2012", Filters(start="2012-02-01"))[0] > 0
    assert assert_same(ws, cube, "bpic2012", Filters(end="2011-10-10T12:30:00"))[0] > 0
    for f in (Filters(top_variants=7), Filters(min_variant_share=0.02),
              Filters(with_activities=["A_CANCELLED", "A_DECLINED"]), Filters(without_activities=["A_ACCEPTED"]),
              Filters(min_duration=3 * 86400, max_duration=20 * 86400),
              Filters(case_attributes={"AMOUNT_REQ": ["5000", "10000"]}),
              Filters(case_attributes={"AMOUNT_REQ": "15000"}, start="2011-11-01", top_variants=3)):
        assert 0 < assert_same(ws, cube, "bpic2012", f)[0] < 13087


def test_bpic2012_variant_filter_as_the_web_app_makes_it(bpic2012):
    """The web app narrows to one variant by the case ids of that variant under the other filters."""
    ws, cube = bpic2012
    fast = CubeEngine(cube, ws)
    for base in (Filters(), Filters(start="2011-11-01", end="2011-12-15")):
        sel = fast.select("bpic2012", base)
        durations = fast.case_durations(sel)
        fast.release(sel)
        for variant in (1, 4, 30):
            ids = [r["case_id"] for r in durations.to_pylist() if r["variant"] == variant]
            f = base.replace(case_attributes={"case": ids})
            assert assert_same(ws, cube, "bpic2012", f)[0] == len(ids) > 0


def test_bpic2012_activity_projections(bpic2012):
    """The performance view at a narrowed activity slider: the log projected on the kept activities
    (event_attributes on activity), alone and under case-level filters."""
    ws, cube = bpic2012
    names = cube.names
    for kept in (names[::2], names[:9], names[5:], [names[0]]):
        assert_same(ws, cube, "bpic2012", Filters(event_attributes={"activity": kept}))
        assert_same(ws, cube, "bpic2012", Filters(event_attributes={"concept:name": kept},
                                                  start="2011-11-01", end="2011-12-15", top_variants=5))
        assert_same(ws, cube, "bpic2012", Filters(event_attributes={"activity": kept},
                                                  case_attributes={"AMOUNT_REQ": ["5000", "10000"]},
                                                  with_activities=[names[3]], min_duration=3600))


def test_object_centric_log(tmp_path):
    """An OCEL log: several object types, events shared between objects, activities of other types."""
    from procatlas import api
    from procatlas.simulate import simulate
    simulate(tmp_path / "data", seed=3, cases=60, formats=("ocel-json",))
    api.ingest([tmp_path / "data" / "company.jsonocel"], workspace=tmp_path / "ws.duckdb")
    with Workspace(tmp_path / "ws.duckdb", read_only=True) as ws:
        processes = DuckDBEngine(ws).processes()
        assert len(processes) > 2
        for process in processes:
            cube = Cube(ws, process)
            acts = [r[0] for r in ws.rows(
                "SELECT DISTINCT e.activity FROM event e JOIN event_object eo USING (eid) JOIN object o USING (oid) "
                "WHERE o.type = ? ORDER BY 1", [process])]
            first = ws.scalar("SELECT min(timestamp) FROM event")
            for f in (Filters(), Filters(top_variants=2), Filters(event_attributes={"activity": acts[::2]}),
                      Filters(start=first + timedelta(days=20), end=first + timedelta(days=40), time_mode="started")):
                assert_same(ws, cube, process, f)


def test_unknown_process_and_unsupported_filters(bpic2012):
    ws, cube = bpic2012
    with pytest.raises(InputError, match="no process 'nope'"):
        Cube(ws, "nope")
    assert Cube.supports(Filters(start="2011-11-01", case_attributes={"x": "y"}, event_attributes={"activity": "a"}))
    for f in (Filters(start="2011-11-01", time_mode="trim"), Filters(event_attributes={"resource": "112"})):
        assert not Cube.supports(f)
        with pytest.raises(InputError):
            CubeEngine(cube, ws).select("bpic2012", f)


# -- random logs and filters --------------------------------------------------------------------

@st.composite
def filters_st(draw) -> Filters:
    where: dict = {}
    if draw(st.booleans()):
        a, b = sorted(draw(st.lists(st.integers(0, 30), min_size=2, max_size=2)))
        where.update(start=T0 + timedelta(minutes=a) if draw(st.booleans()) else None,
                     end=T0 + timedelta(minutes=b) if draw(st.booleans()) else None,
                     time_mode=draw(st.sampled_from(MODES)))
    if draw(st.booleans()):
        where["event_attributes"] = {"activity": draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4))}
    if draw(st.booleans()):
        where["case_attributes"] = {"tier": draw(st.sampled_from(["gold", "silver", "bronze"]))}
    if draw(st.booleans()):
        where["with_activities"] = draw(st.lists(st.sampled_from("abcf"), min_size=1, max_size=2))
    if draw(st.booleans()):
        where["without_activities"] = draw(st.lists(st.sampled_from("cdef"), min_size=1, max_size=2))
    if draw(st.booleans()):
        lo = draw(st.integers(0, 20)) * 60.0
        where.update(min_duration=lo, max_duration=lo + draw(st.integers(0, 20)) * 60.0)
    if draw(st.booleans()):
        where["top_variants"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        where["min_variant_share"] = draw(st.sampled_from([0.0, 0.1, 0.25, 0.5]))
    return Filters(**where)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_st, st.lists(filters_st(), min_size=1, max_size=4))
def test_random_logs_and_filters(log, filters):
    """Ties in time, repeated activities, one-event cases, START/COMPLETE pairs and own start
    timestamps, projections that empty cases, filters that keep nothing: the cube answers what the engine answers."""
    ws = make_workspace(log)
    # some events carry their own start timestamp (one of them after the event: not measured)
    ws.execute("UPDATE event SET start_timestamp = timestamp - INTERVAL 7 MINUTE WHERE eid % 3 = 0")
    ws.execute("UPDATE event SET start_timestamp = timestamp + INTERVAL 1 MINUTE WHERE eid % 5 = 1")
    cube = Cube(ws, "p")
    for f in filters:
        assert_same(ws, cube, "p", f)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_st, st.lists(filters_st(), min_size=1, max_size=3))
def test_logs_too_wide_to_pack(log, filters):
    """Edge codes and times that do not fit one int64 take the sorting path: same answers."""
    ws = make_workspace(log)
    bits = Cube.pack_bits
    try:
        Cube.pack_bits = 0
        cube = Cube(ws, "p")
    finally:
        Cube.pack_bits = bits
    assert not cube._packed
    for f in filters:
        assert_same(ws, cube, "p", f)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=30), min_size=1, max_size=8))
def test_order_stats_of_sorted_runs(runs):
    values = np.concatenate([np.sort(np.array(r, np.float64)) for r in runs])
    n = np.array([len(r) for r in runs])
    starts = np.r_[0, np.cumsum(n)[:-1]]
    got = order_stats(values, starts, n)
    for j, r in enumerate(runs):
        assert got["mean"][j] == pytest.approx(np.mean(r))
        assert got["median"][j] == pytest.approx(np.median(r))
        assert got["p90"][j] == pytest.approx(np.quantile(r, 0.9))
        assert (got["min"][j], got["max"][j]) == (min(r), max(r))

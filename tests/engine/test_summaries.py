"""Engine summaries and filters against a naive Python computation on random small logs."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.errors import InputError
from procatlas.model.discovery import Filters
from procatlas.workspace import Workspace

T0 = datetime(2024, 1, 1)

# a log: list of cases; a case: (attributes, [(activity, minute, lifecycle, region)]) in file order
event_st = st.tuples(st.sampled_from("abcde"), st.integers(0, 30), st.sampled_from(["start", "complete"]),
                     st.sampled_from(["north", "south"]))
case_st = st.tuples(st.sampled_from(["gold", "silver"]), st.lists(event_st, min_size=1, max_size=8))
log_st = st.lists(case_st, min_size=1, max_size=12)


def make_workspace(log, *, interleave: bool = True) -> Workspace:
    """Insert ``log`` as process 'p' directly into a fresh in-memory workspace.

    Events get eids in file order; with ``interleave`` the cases' events are interleaved in the
    file (as in real logs sorted by time), which must not matter.
    """
    ws = Workspace(":memory:")
    events, links = [], []
    order = []
    for c, (_, evs) in enumerate(log):
        order.extend((i, c) for i in range(len(evs)))
    if interleave:
        order.sort()
    else:
        order.sort(key=lambda x: (x[1], x[0]))
    for eid, (i, c) in enumerate(order):
        act, minute, life, region = log[c][1][i]
        events.append({"eid": eid, "activity": act, "timestamp": T0 + timedelta(minutes=minute),
                       "lifecycle": life, "attributes": json.dumps({"region": region})})
        links.append({"eid": eid, "oid": c})
    objects = [{"oid": c, "id": f"c{c}", "attributes": json.dumps({"tier": tier})} for c, (tier, _) in enumerate(log)]
    ws.execute("INSERT INTO source (source_id, path, format, sha256, imported_at) VALUES (1, 'x', 'test', 'x', now())")
    ws.execute("""INSERT INTO event (eid, source_id, position, activity, timestamp, lifecycle, attributes)
                  SELECT eid, 1, eid, activity, timestamp, lifecycle, attributes FROM ev""",
               register={"ev": pa.Table.from_pylist(events)})
    ws.execute("INSERT INTO object (oid, id, type, source_id, attributes) SELECT oid, id, 'p', 1, attributes FROM ob",
               register={"ob": pa.Table.from_pylist(objects)})
    ws.execute("INSERT INTO event_object (eid, oid) SELECT eid, oid FROM li", register={"li": pa.Table.from_pylist(links)})
    return ws


def traces(log):
    """Naive: each case's events sorted stably by time (file order of a case = list order)."""
    return [sorted(evs, key=lambda e: e[1]) for _, evs in log]


def naive(cases):
    dfg, dfg_cases, times = Counter(), Counter(), {}
    for tr in cases:
        pairs = list(zip(tr, tr[1:]))
        for a, b in pairs:
            dfg[(a[0], b[0])] += 1
            times.setdefault((a[0], b[0]), []).append((b[1] - a[1]) * 60.0)
        for p in {(a[0], b[0]) for a, b in pairs}:
            dfg_cases[p] += 1
    variants = Counter(tuple(e[0] for e in tr) for tr in cases)
    start = Counter(tr[0][0] for tr in cases)
    end = Counter(tr[-1][0] for tr in cases)
    events = Counter(e[0] for tr in cases for e in tr)
    return dfg, dfg_cases, times, variants, start, end, events


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_st, st.booleans())
def test_summaries_equal_naive_computation(log, interleave):
    ws = make_workspace(log, interleave=interleave)
    proc = ws.process("p")
    dfg, dfg_cases, times, variants, start, end, events = naive(traces(log))
    counts = proc.dfg(performance=False)
    perf = proc.dfg()
    assert counts.frequencies == dict(dfg) == perf.frequencies
    assert counts.start == dict(start) and counts.end == dict(end)
    for row in perf.table.to_pylist():
        key = (row["source"], row["target"])
        assert row["cases"] == dfg_cases[key]
        assert row["mean_s"] == pytest.approx(statistics.fmean(times[key]))
        assert row["median_s"] == pytest.approx(statistics.median(times[key]))
        assert row["max_s"] == pytest.approx(max(times[key]))
    for row in counts.table.to_pylist():
        assert row["cases"] == dfg_cases[(row["source"], row["target"])]
    v = proc.variants()
    assert v.counts == dict(variants)
    assert v.table["cases"].to_pylist() == sorted(variants.values(), reverse=True)
    assert sum(v.table["share"].to_pylist()) == pytest.approx(1.0)
    assert proc.activities().events == dict(events)
    durations = proc.case_durations().to_pylist()
    assert sorted(d["duration_s"] for d in durations) == sorted(
        (max(e[1] for e in evs) - min(e[1] for e in evs)) * 60.0 for _, evs in log)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_st, st.integers(0, 30), st.integers(0, 30), st.sampled_from(["intersecting", "contained", "started",
                                                                         "completed", "trim"]))
def test_time_window_filters(log, a, b, mode):
    lo, hi = min(a, b), max(a, b)
    ws = make_workspace(log)
    f = Filters(start=T0 + timedelta(minutes=lo), end=T0 + timedelta(minutes=hi), time_mode=mode)
    kept = []
    for tr in traces(log):
        first, last = tr[0][1], tr[-1][1]
        if mode == "trim":
            tr = [e for e in tr if lo <= e[1] <= hi]
            ok = bool(tr)
        else:
            ok = {"intersecting": last >= lo and first <= hi, "contained": first >= lo and last <= hi,
                  "started": lo <= first <= hi, "completed": lo <= last <= hi}[mode]
        if ok:
            kept.append(tr)
    assert ws.process("p").variants(f).counts == dict(naive(kept)[3])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_st, st.sampled_from("abcde"), st.integers(0, 20), st.integers(1, 4), st.floats(0, 0.5))
def test_case_and_variant_filters(log, act, min_minutes, top, share):
    ws = make_workspace(log)
    proc = ws.process("p")
    cases = list(zip([t for t, _ in log], traces(log)))
    # case attribute
    gold = [tr for tier, tr in cases if tier == "gold"]
    assert proc.variants(case_attributes={"tier": "gold"}).counts == dict(naive(gold)[3])
    # event attribute: events of other regions are removed
    north = [[e for e in tr if e[3] == "north"] for _, tr in cases]
    assert proc.dfg(performance=False, event_attributes={"region": ["north"]}).frequencies == \
        dict(naive([tr for tr in north if tr])[0])
    # activity present / absent
    with_a = [tr for _, tr in cases if any(e[0] == act for e in tr)]
    without_a = [tr for _, tr in cases if all(e[0] != act for e in tr)]
    assert proc.variants(with_activities=[act]).counts == dict(naive(with_a)[3])
    assert proc.variants(without_activities=[act]).counts == dict(naive(without_a)[3])
    # duration range
    long_ = [tr for _, tr in cases if (tr[-1][1] - tr[0][1]) >= min_minutes]
    assert proc.variants(min_duration=timedelta(minutes=min_minutes)).counts == dict(naive(long_)[3])
    # variant top-k (ties by variant order, as the engine ranks them) and minimum share
    all_v = proc.variants()
    ranked = list(all_v.counts.items())
    assert proc.variants(top_variants=top).counts == dict(ranked[:top])
    total = sum(all_v.counts.values())
    assert proc.variants(min_variant_share=share).counts == {k: n for k, n in ranked if n >= share * total}


def test_service_time_pairs_start_and_complete_in_order():
    # case: a start 0, a start 1, a complete 5, a complete 9, b complete 10 (no start)
    log = [("gold", [("a", 0, "start", "n"), ("a", 1, "start", "n"), ("a", 5, "complete", "n"),
                     ("a", 9, "complete", "n"), ("b", 10, "complete", "n")])]
    ws = make_workspace(log)
    rows = {r["activity"]: r for r in ws.process("p").activities().to_pylist()}
    assert rows["a"]["timed"] == 2  # FIFO: (0 -> 5) and (1 -> 9)
    assert rows["a"]["service_mean_s"] == pytest.approx((5 * 60 + 8 * 60) / 2)
    assert rows["a"]["service_max_s"] == pytest.approx(8 * 60)
    assert rows["b"]["timed"] == 0 and rows["b"]["service_mean_s"] is None
    assert rows["a"]["events"] == 4 and rows["a"]["cases"] == 1


def test_service_time_from_start_timestamp():
    ws = make_workspace([("gold", [("a", 10, "complete", "n")])])
    ws.execute("UPDATE event SET start_timestamp = timestamp - INTERVAL 4 MINUTE")
    row = ws.process("p").activities().to_pylist()[0]
    assert row["timed"] == 1 and row["service_median_s"] == pytest.approx(240)


def test_unknown_process_and_bad_filters_are_input_errors():
    ws = make_workspace([("gold", [("a", 1, "complete", "n")])])
    with pytest.raises(InputError, match="no process 'nope'.*processes: p"):
        ws.process("nope").dfg()
    with pytest.raises(InputError, match="time mode"):
        ws.process("p").dfg(time_mode="sideways")
    with pytest.raises(InputError, match="unknown filter"):
        ws.process("p").dfg(colour="red")
    # a filter that keeps nothing gives empty summaries, not an error
    assert ws.process("p").dfg(with_activities=["zzz"]).frequencies == {}
    assert len(ws.process("p").variants(with_activities=["zzz"])) == 0


def test_selections_are_released():
    ws = make_workspace([("gold", [("a", 1, "complete", "n"), ("b", 2, "complete", "n")])])
    proc = ws.process("p")
    proc.dfg()
    proc.map(activities=0.5)
    proc.variants()
    assert ws.scalar("SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name LIKE 'pa_sel%'") == 0


def test_map_activity_slider_reroutes_paths_around_removed_activities():
    # a -> b -> c in every case, c and a more frequent than b (a and c repeat in one case)
    log = [("gold", [("a", 0, "complete", "n"), ("b", 1, "complete", "n"), ("c", 2, "complete", "n")]),
           ("gold", [("a", 0, "complete", "n"), ("c", 2, "complete", "n"), ("a", 3, "complete", "n"),
                     ("c", 4, "complete", "n")])]
    ws = make_workspace(log)
    pmap = ws.process("p").map(activities=0.6, paths=1.0)
    assert [n.activity for n in pmap.nodes] == ["a", "c"]
    edges = {(e.source, e.target): e.frequency for e in pmap.edges}
    assert edges == {("__start__", "a"): 2, ("a", "c"): 3, ("c", "a"): 1, ("c", "__end__"): 2}
    perf = ws.process("p").map(view="performance", measure="median")
    ac = next(e for e in perf.edges if (e.source, e.target) == ("a", "b"))
    assert ac.median_s == 60.0 and ac.value("median") == 60.0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_st, st.integers(0, 30), st.integers(0, 30),
       st.sampled_from(["intersecting", "contained", "started", "completed"]), st.sampled_from([0.3, 0.5, 0.8]),
       st.sampled_from(["frequency", "performance"]))
def test_map_projection_keeps_the_cases_the_filters_chose(log, a, b, mode, share, view):
    """An activity slider only hides activities: the cases on the map are those the filters chose on
    the whole log, in both views (a window judged on the projected events could choose others)."""
    lo, hi = min(a, b), max(a, b)
    ws = make_workspace(log)
    f = Filters(start=T0 + timedelta(minutes=lo), end=T0 + timedelta(minutes=hi), time_mode=mode)
    pmap = ws.process("p").map(f, activities=share, paths=1.0, view=view)
    shown = {n.activity for n in pmap.nodes}
    chosen = []
    for tr in traces(log):
        first, last = tr[0][1], tr[-1][1]
        if {"intersecting": last >= lo and first <= hi, "contained": first >= lo and last <= hi,
                "started": lo <= first <= hi, "completed": lo <= last <= hi}[mode]:
            chosen.append([e for e in tr if e[0] in shown])
    dfg, dfg_cases, *_ = naive([tr for tr in chosen if tr])
    assert pmap.cases == len(chosen)
    inner = {(e.source, e.target): (e.frequency, e.cases) for e in pmap.edges
             if "__start__" != e.source and e.target != "__end__"}
    assert inner == {k: (v, dfg_cases[k]) for k, v in dfg.items()}

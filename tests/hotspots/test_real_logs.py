"""All detectors plus hot spots on the small and medium real logs of ../shared/data: they run, and
what they report holds up (every log: benchmarks/bench_hotspots_logs.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from procatlas import api
from procatlas.hotspots import ExceptionSettings
from tests.conftest import data_file
from tests.e2e.test_manifest_counts import FLAGS

LOGS = ["pm4py__pm4py-core/helpdesk.xes.gz", "pm4py__pm4py-core/receipt.parquet",
        "pm4py__pm4py-core/roadtraffic100traces.xes", "pm4py__pm4py-core/compressed_input_data/06_bpic2013_closed.xes.gz",
        "pm4py__pm4py-core/dryers_Fond/eventlog.csv", "AutomatedProcessImprovement__Simod/Production.xes.gz",
        "bptlab__bpi-challenge-2020/PrepaidTravelCost.xes.gz", "verenich__ProcessSequencePrediction/helpdesk.csv"]
TYPES = set(ExceptionSettings().detectors)


@pytest.mark.parametrize("name", LOGS, ids=[n.rsplit("/", 1)[1] for n in LOGS])
def test_detectors_and_hot_spots_on_real_log(name, tmp_path):
    path = data_file(name)
    api.ingest([path], workspace=tmp_path / "w.duckdb", **FLAGS.get(name, {}))
    ws = api.open_workspace(tmp_path / "w.duckdb")
    proc = ws.process(api.info(workspace=ws).processes[0].process)
    s = ExceptionSettings()
    h = proc.hotspots(settings=s)
    ex = h.exceptions
    variants = proc.variants().counts
    assert ex.cases == sum(variants.values())
    rows = ex.rows()
    cases = set(ex.table.column("case_id").to_pylist())
    assert {r["type"] for r in rows} <= TYPES
    assert all(r["explanation"] for r in rows)
    per_type = Counter(r["type"] for r in rows)
    # default SLA: longer than the process's p90 -> at most a tenth of the cases
    assert per_type["sla_breach"] <= 0.1 * ex.cases + 1
    # a long wait lies beyond Q3 + 1.5 IQR of its edge: at most a quarter of the edge's transitions
    edge = Counter()
    for v, c in variants.items():
        for a, b in zip(v, v[1:]):
            edge[(a, b)] += c
    waits = Counter((r["activity"], r["target"]) for r in rows if r["type"] == "long_wait")
    assert all(k <= 0.25 * edge[e] + 1 for e, k in waits.items()), waits
    assert all(edge[e] >= s.long_wait_min_edge_cases for e in waits)
    # every hot spot passes the documented bars, and its examples are its own co-occurring cases
    for x in h.hotspots:
        assert len(x.exception_types) >= 2 and not set(x.exception_types) & set(s.hotspot_outcome_types)
        assert x.co_cases >= s.hotspot_min_cases and x.co_cases <= x.cases
        assert x.lift >= s.hotspot_min_lift and x.p_value <= x.q_value <= s.hotspot_alpha
        assert set(x.example_cases) <= cases and x.explanation.startswith("At ")
    assert len({(x.kind, x.value) for x in h.hotspots}) == len(h.hotspots)
    # the exception load per activity and edge: the rows', most first, then by name (a total order)
    assert h.activity_load == Counter(r["activity"] for r in rows if r["activity"] and not r["target"])
    assert h.edge_load == Counter((r["activity"], r["target"]) for r in rows if r["target"])
    for load in (h.activity_load, h.edge_load):
        assert list(load) == sorted(load, key=lambda k: (-load[k], k))

"""Comparison: a planted improvement is found; random halves of one period show no change."""

from __future__ import annotations

import numpy as np
import pytest

from procatlas import api
from procatlas.metrics.catalog import CatalogOptions, compute_metrics
from procatlas.metrics.compare import benjamini_hochberg, compare_metrics
from procatlas.workspace import Workspace
from tests.conftest import data_file
from tests.metrics.helpers import write_log


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    d = tmp_path_factory.mktemp("planted")
    ws = d / "w.duckdb"
    api.ingest([write_log(d / "log.csv", cases=1200)], workspace=ws, process="claims")
    return ws


def test_planted_improvement_is_better_and_significant(planted):
    c = api.compare(workspace=planted, process="claims", before="2024-01-01..2024-06-30",
                    after="2024-07-01..2024-12-31")
    for kpi in ("cycle_time_median", "cycle_time_mean", "rework_rate", "waiting_time[check -> approve]"):
        ch = c.get(kpi)
        assert ch.verdict == "better", (kpi, ch)
        assert ch.q_value < 0.05 and ch.ci_high < 0
    assert c.get("cycle_time_median").relative_change < -0.15
    rows = c.to_dict()
    assert {"kpi", "before", "after", "change", "ci_low", "ci_high", "p_value", "verdict"} <= set(rows[0])


def _halves(ws_path, process, seed):
    with Workspace(ws_path, read_only=True) as ws:
        ids = [r[0] for r in ws.rows("SELECT id FROM object WHERE type = ? ORDER BY id", [process])]
        rng = np.random.default_rng(seed)
        mask = rng.random(len(ids)) < 0.5
        opts = CatalogOptions()
        a = compute_metrics(ws, process=process, options=opts, case_ids={process: [i for i, m in zip(ids, mask) if m]})
        b = compute_metrics(ws, process=process, options=opts,
                            case_ids={process: [i for i, m in zip(ids, mask) if not m]})
    return compare_metrics(a, b)


def _assert_stationary(c):
    tested = [x for x in c.changes if x.p_value is not None]
    quiet = [x for x in tested if x.verdict == "no significant change"]
    assert len(tested) >= 8
    assert len(quiet) >= 0.95 * len(tested), [(x.kpi, x.verdict, x.q_value) for x in tested if x not in quiet]


def test_random_halves_of_planted_period_show_no_change(tmp_path):
    ws = tmp_path / "w.duckdb"
    api.ingest([write_log(tmp_path / "log.csv", cases=800, improve=False)], workspace=ws, process="claims")
    _assert_stationary(_halves(ws, "claims", 1))


@pytest.mark.parametrize("rel,name", [("pm4py__pm4py-core/helpdesk.xes.gz", "helpdesk"),
                                      ("pm4py__pm4py-core/receipt.csv", "receipt")])
def test_random_halves_of_real_log_show_no_change(rel, name, tmp_path):
    ws = tmp_path / "w.duckdb"
    api.ingest([data_file(rel)], workspace=ws, process=name)
    _assert_stationary(_halves(ws, name, 2))


def test_benjamini_hochberg_matches_textbook():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005 0.01 0.03 0.04 -> *4/rank: 0.02 0.02 0.04 0.04
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_changed_definition_is_flagged_not_compared(planted):
    with Workspace(planted, read_only=True) as ws:
        a = compute_metrics(ws, process="claims", options=CatalogOptions(exceptions=False))
        b = compute_metrics(ws, process="claims", options=CatalogOptions(exceptions=False, sla_hours=100,
                                                                        calendar=None))
        from procatlas.metrics.calendar import BusinessCalendar
        c = compute_metrics(ws, process="claims", options=CatalogOptions(exceptions=False,
                                                                        calendar=BusinessCalendar()))
    assert compare_metrics(a, b).get("sla_compliance") is None  # new KPI: not in the before set
    changed = compare_metrics(a, c).get("cycle_time_median")
    assert changed.verdict == "definition changed" and changed.p_value is None and changed.change is None


def test_windows_partition_the_cases(planted, tmp_path):
    """A date-only end includes its day; compare NAME takes the cases after the baseline's window."""
    import shutil
    ws = tmp_path / "w.duckdb"
    shutil.copy(planted, ws)
    total = api.metrics(workspace=ws, process="claims", exceptions=False)["cases"].value
    api.baseline_save("h1", workspace=ws, process="claims", end="2024-06-30", exceptions=False)
    c = api.compare(workspace=ws, baseline="h1")
    cases = c.get("cases")
    assert cases.before + cases.after == total
    assert [b.name for b in api.baselines(workspace=ws)] == ["h1"]

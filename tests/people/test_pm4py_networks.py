"""Handover and working-together networks equal pm4py's on receipt and helpdesk (weights within 1e-9)."""

from __future__ import annotations

import pytest

from procatlas import api
from tests.people.conftest import data_file

LOGS = {"08_receipt": "pm4py__pm4py-core/compressed_input_data/08_receipt.xes.gz",
        "helpdesk": "pm4py__pm4py-core/helpdesk.xes.gz"}


@pytest.fixture(scope="module", params=sorted(LOGS))
def both(request, tmp_path_factory):
    pm4py = pytest.importorskip("pm4py", reason="pm4py (oracle extra) not installed")
    path = data_file(LOGS[request.param])
    ws = api.open_workspace(tmp_path_factory.mktemp("ho") / "atlas.duckdb")
    api.ingest([path], workspace=ws)
    log = pm4py.read_xes(str(path))
    yield request.param, ws, pm4py, log
    ws.close()


def test_handover_equals_pm4py(both):
    name, ws, pm4py, log = both
    ours = ws.process(name).handover_network().weights()
    theirs = pm4py.discover_handover_of_work_network(log).connections
    assert set(ours) == set(theirs)
    assert max(abs(ours[k] - theirs[k]) for k in theirs) < 1e-9


def test_working_together_equals_pm4py(both):
    name, ws, pm4py, log = both
    net = ws.process(name).handover_network(kind="working_together")
    theirs = pm4py.discover_working_together_network(log).connections
    # pm4py divides the number of shared cases by the number of *events* of the log (its
    # DataFrame length); ours divides by cases (van der Aalst et al.).  Same counts, other scale.
    ours = {(r["source"], r["target"]): r["cases"] / net.events for r in net.edges.to_pylist()}
    assert set(ours) == set(theirs)
    assert max(abs(ours[k] - theirs[k]) for k in theirs) < 1e-9
    assert all(abs(r["weight"] - r["cases"] / net.cases) < 1e-12 for r in net.edges.to_pylist())


def test_group_level_handover_sums_person_level(both):
    name, ws, _pm4py, _log = both
    if name != "08_receipt":
        pytest.skip("only the receipt log has org:group")
    grp = ws.process(name).handover_network(level="group")
    person = ws.process(name).handover_network()
    assert sum(r["count"] for r in grp.edges.to_pylist()) == sum(r["count"] for r in person.edges.to_pylist())
    assert abs(sum(grp.weights().values()) - 1.0) < 1e-9

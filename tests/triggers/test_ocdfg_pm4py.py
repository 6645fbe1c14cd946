"""OC-DFG counts equal pm4py's discover_ocdfg on the OCEL logs in ../shared/data (pm4py is the oracle)."""

from __future__ import annotations

import contextlib
import io
import warnings

import pytest

from procatlas import api
from procatlas.triggers.dependencies import ocdfg
from procatlas.workspace import Workspace
from tests.conftest import data_file

LOGS = {
    "running-example": ("ocpm__ocpa/running-example.sqlite", "read_ocel2_sqlite"),
    "logistics": ("ocpm__ocpa/logistics.sqlite", "read_ocel2_sqlite"),
    "ocel20_example": ("pm4py__pm4py-core/ocel/ocel20_example.jsonocel", "read_ocel2_json"),
    "recruiting-red": ("pm4py__pm4py-core/ocel/recruiting-red.jsonocel", "read_ocel_json"),
}


def _pm4py():
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("pm4py", reason="pm4py (AGPL) is the test oracle: pip install pm4py")


def _theirs(d: dict, part: str, keys: tuple[str, ...]) -> dict:
    out: dict = {}
    for k in keys:
        for ot, items in d[part][k].items():
            for a, v in items.items():
                key = (ot, *a) if isinstance(a, tuple) else (ot, a)
                out.setdefault(key, {})[k] = v if isinstance(v, int) else len(v)
    return {key: tuple(v.get(k, 0) for k in keys) for key, v in out.items()}


def _ours(table, cols: tuple[str, ...], counts: tuple[str, ...]) -> dict:
    return {tuple(r[c] for c in cols): tuple(r[c] for c in counts) for r in table.to_pylist()}


@pytest.mark.parametrize("name", list(LOGS))
def test_ocdfg_counts_equal_pm4py(name):
    pm4py = _pm4py()
    rel, reader = LOGS[name]
    path = data_file(rel)
    ws = Workspace(":memory:")
    api.ingest([path], workspace=ws)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = getattr(pm4py, reader)(str(path))
        theirs = pm4py.discover_ocdfg(log)
    g = ocdfg(ws)
    acts = ("events", "unique_objects", "total_objects")
    # activities, start and end activities per object type: equal on every log
    assert _ours(g.activities, ("object_type", "activity"), acts) == _theirs(theirs, "activities_ot", acts)
    assert _ours(g.start_activities, ("object_type", "activity"), acts) == _theirs(theirs, "start_activities", acts)
    assert _ours(g.end_activities, ("object_type", "activity"), acts) == _theirs(theirs, "end_activities", acts)

    # edges: equal wherever the order of an object's events is defined by time.  Events of one
    # object with equal timestamps are ordered by file position here; pm4py orders them by the
    # row number in its per-activity tables, so objects with such ties are compared apart.
    tied = [r[0] for r in ws.rows(
        "SELECT DISTINCT eo.oid FROM event_object eo JOIN event e ON e.eid = eo.eid "
        "GROUP BY eo.oid, e.timestamp HAVING count(DISTINCT e.eid) > 1")]
    couples = ("event_couples", "unique_objects", "total_objects")
    if tied:
        tied_ids = {r[0] for r in ws.rows("SELECT id FROM object WHERE oid IN (SELECT unnest(?))", [tied])}
        ws.execute("DELETE FROM event_object WHERE oid IN (SELECT unnest(?))", [tied])
        g = ocdfg(ws)
        keep = ~log.relations[log.object_id_column].isin(tied_ids)
        log.relations = log.relations[keep]
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = pm4py.discover_ocdfg(log)
    ours_edges = _ours(g.edges, ("object_type", "source", "target"), couples)
    assert ours_edges and ours_edges == _theirs(theirs, "edges", couples)
    if name in ("ocel20_example", "recruiting-red"):
        assert not tied  # these two are compared in full

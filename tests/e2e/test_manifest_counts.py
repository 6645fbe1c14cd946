"""Every event log listed in ../shared/data/MANIFEST.md ingests to the manifest's counts."""

from __future__ import annotations

import re
import sqlite3

import pytest

from procatlas import api
from tests.conftest import DATA

# Files whose columns cannot be told apart from names and content alone: the flags a user passes.
FLAGS: dict[str, dict] = {
    "pm4py__pm4py-core/running-example.csv": dict(case="case:concept:name", activity="concept:name",
                                                   timestamp="time:timestamp", resource="org:resource"),
    "pm4py__pm4py-core/dryers_Fond/eventlog.csv": dict(case="ID", activity="Event", timestamp="Date",
                                                        resource="Role"),
    "pm4py__pm4py-core/mobis_challenge_log_2019_snippet.csv": dict(case="case", activity="activity",
                                                                   timestamp="end", start_timestamp="start"),
}
for _name in ("bpi_12_w", "bpi_13_incidents", "env_permit", "helpdesk"):
    FLAGS[f"verenich__ProcessSequencePrediction/{_name}.csv"] = dict(
        case="CaseID", activity="ActivityID", timestamp="CompleteTimestamp")

# Listed but not event logs of the kinds issue 2 reads (SAP table, flat OCEL CSV, legacy pm4py SQLite).
NOT_EVENT_LOGS = {
    "pm4py__pm4py-core/ocel/VBFA.zip": "SAP document-flow table, not an event log (SAP extraction is its own issue)",
    "pm4py__pm4py-core/ocel/example_log.csv": "flat OCEL CSV (object lists as Python-list strings)",
    "pm4py__pm4py-core/ocel/ocel_order_simulated.csv": "flat OCEL CSV (object lists as Python-list strings)",
}
SLOW = {"Sophisss__pm_project/Road_Traffic_Fine_Management_Process.xes.zip"}


def _int(text: str) -> int | None:
    m = re.match(r"^([\d,]+)", text.strip())
    return int(m.group(1).replace(",", "")) if m else None


def manifest_rows() -> list[tuple[str, int | None, int, int | None]]:
    """(file, cases, events, objects) for every event log in the manifest."""
    manifest = DATA / "MANIFEST.md"
    if not manifest.exists():
        return []
    rows = []
    section = ""
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line
        if not line.startswith("| `") or ("Case-centric" not in section and "Object-centric" not in section
                                          and "OCEL" not in section):
            continue
        cells = [c.strip() for c in line.split("|")[1:-1]]
        name = cells[0].strip("`")
        cases, events = _int(cells[3]), _int(cells[4])
        objects = re.search(r"([\d,]+) objects", cells[-1])
        rows.append((name, cases, events, int(objects.group(1).replace(",", "")) if objects else None))
    return rows


ROWS = manifest_rows()


def _params():
    if not ROWS:
        return [pytest.param(None, None, None, None, marks=pytest.mark.skip(reason=f"no MANIFEST.md under {DATA}"))]
    params = []
    for name, cases, events, objects in ROWS:
        marks = []
        if name in NOT_EVENT_LOGS:
            marks.append(pytest.mark.skip(reason=NOT_EVENT_LOGS[name]))
        if name in SLOW:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(name, cases, events, objects, id=name, marks=marks))
    return params


@pytest.mark.parametrize(("name", "cases", "events", "objects"), _params())
def test_ingest_gives_manifest_counts(tmp_path, name, cases, events, objects):
    path = DATA / name
    report = api.ingest([path], workspace=tmp_path / "w.duckdb", **FLAGS.get(name, {}))
    src = report.sources[0]
    info = api.info(workspace=tmp_path / "w.duckdb")
    if cases is not None:  # case-centric: one process named after the file
        assert len(info.processes) == 1
        proc = info.processes[0]
        assert (proc.cases, proc.events) == (cases, events), src.notes
        assert src.rejected == 0, api.rejects(workspace=tmp_path / "w.duckdb", limit=5)
    else:  # object-centric: every event kept; links to missing objects are rejected (see below)
        assert info.events == events
        if objects is not None:
            assert info.objects == objects
        if name.endswith("logistics.sqlite"):
            # The object table has no 'Handling Unit' objects, yet 5,080 event-object and 2,540
            # object-object links point to them. Those links are rejected with their reason; the
            # events themselves are kept (pm4py drops the 2,540 events that only have such links).
            con = sqlite3.connect(path)
            e2o, o2o = con.execute("""
                SELECT (SELECT count(*) FROM event_object WHERE ocel_object_id NOT IN (SELECT ocel_id FROM object)),
                       (SELECT count(*) FROM object_object WHERE ocel_source_id NOT IN (SELECT ocel_id FROM object)
                                                           OR ocel_target_id NOT IN (SELECT ocel_id FROM object))
            """).fetchone()
            con.close()
            assert (e2o, o2o) == (5080, 2540)
            rejects = api.rejects(workspace=tmp_path / "w.duckdb", limit=10_000)
            assert len(rejects) == info.rejected == e2o + o2o
            assert sum("event '" in r["reason"] for r in rejects) == e2o
            assert all("does not exist" in r["reason"] for r in rejects)
        else:
            assert src.rejected == 0, api.rejects(workspace=tmp_path / "w.duckdb", limit=5)

"""DFG, start/end activities and variants equal pm4py's on every case-centric real log.

pm4py (AGPL) is the oracle only: it reads the original file itself (``read_xes``; CSV and
Parquet through pandas), and its counts must equal ours after ``procatlas.api.ingest``.
Ordering: pm4py's DFG and variants sort each case by timestamp stably in file order, as we do
with (timestamp, eid); its start/end activities and ``get_variants`` take a frame in the order it is in, so they are
asked on the frame sorted stably by (case, timestamp), as ``pm4py.format_dataframe`` prepares
it (on unsorted frames pm4py's variants disagree with its own DFG).  pm4py orders by a ``start_timestamp`` column first when the frame has one;
the workspace orders by completion timestamp (ARCHITECTURE.md), so that column is renamed away
before asking pm4py.
"""

from __future__ import annotations

import warnings

import pytest

from procatlas import api
from procatlas.workspace import Workspace
from tests.conftest import DATA
from tests.e2e.test_manifest_counts import FLAGS, ROWS

pm4py = pytest.importorskip("pm4py", reason="pm4py (the oracle extra) is not installed")
pd = pytest.importorskip("pandas")

SLOW_EVENTS = 150_000
CASE, ACT, TS = "case:concept:name", "concept:name", "time:timestamp"

# How pandas reads the non-XES files (separator, day-first dates).
CSV_OPTIONS: dict[str, dict] = {
    "pm4py__pm4py-core/mobis_challenge_log_2019_snippet.csv": dict(sep=";", dayfirst=True),
    "pm4py__pm4py-core/dryers_Fond/eventlog.csv": dict(sep=";"),
}


def _oracle_frame(path, name: str, tmp_path):
    """The log as a pm4py-style frame (case, activity, timestamp columns) in file order."""
    if name.endswith((".xes", ".xes.gz", ".xes.zip")):
        if name.endswith(".zip"):
            import zipfile
            with zipfile.ZipFile(path) as zf:
                member = next(m for m in zf.namelist() if m.endswith(".xes") and "__MACOSX" not in m)
                path = zf.extract(member, tmp_path / "unzipped")  # pm4py reads plain files only
        df = pm4py.read_xes(str(path), return_legacy_log_object=False)[[CASE, ACT, TS]]
        df[CASE] = df[CASE].astype(str)
        if not pd.api.types.is_datetime64_any_dtype(df[TS]):  # 10_orders: dates typed as strings
            df[TS] = pd.to_datetime(df[TS], utc=True, format="mixed")
        return df
    flags = FLAGS.get(name, {})
    if name.endswith(".parquet"):
        raw = pd.read_parquet(path)
    else:
        opts = CSV_OPTIONS.get(name, {})
        raw = pd.read_csv(path, sep=opts.get("sep", ","), dtype=str, keep_default_na=False, na_values=[""])
    case = flags.get("case", CASE)
    act = flags.get("activity", ACT)
    ts = flags.get("timestamp", TS)
    df = pd.DataFrame({CASE: raw[case].astype(str), ACT: raw[act].astype(str)})
    dayfirst = CSV_OPTIONS.get(name, {}).get("dayfirst", False)
    df[TS] = pd.to_datetime(raw[ts], utc=True, format="mixed", dayfirst=dayfirst)
    return df


def _params():
    out = []
    for name, cases, events, _objects in ROWS:
        if cases is None:
            continue
        marks = [pytest.mark.slow] if events > SLOW_EVENTS else []
        out.append(pytest.param(name, cases, events, id=name, marks=marks))
    return out or [pytest.param(None, None, None, marks=pytest.mark.skip(reason=f"no MANIFEST.md under {DATA}"))]


@pytest.mark.parametrize(("name", "cases", "events"), _params())
def test_counts_equal_pm4py(tmp_path, name, cases, events):
    path = DATA / name
    report = api.ingest([path], workspace=tmp_path / "w.duckdb", **FLAGS.get(name, {}))
    process = report.sources[0].process
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = _oracle_frame(path, name, tmp_path)
        dfg, start, end = pm4py.discover_dfg(df, case_id_key=CASE, activity_key=ACT, timestamp_key=TS)
        # pm4py takes start/end activities and variants in frame order; on a time-ordered frame
        # (what pm4py.format_dataframe prepares: stable sort by case and timestamp) they agree
        # with its own DFG and variants, and with ours
        ordered = df.sort_values([CASE, TS], kind="stable")
        start = pm4py.get_start_activities(ordered, case_id_key=CASE, activity_key=ACT, timestamp_key=TS)
        end = pm4py.get_end_activities(ordered, case_id_key=CASE, activity_key=ACT, timestamp_key=TS)
        variants = pm4py.get_variants(ordered, case_id_key=CASE, activity_key=ACT, timestamp_key=TS)
    variants = {tuple(k): (v if isinstance(v, int) else len(v)) for k, v in variants.items()}

    with Workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        proc = ws.process(process)
        ours = proc.dfg(performance=False)
        ours_perf = proc.dfg()
        ours_variants = proc.variants()
        acts = proc.activities()

    assert len(df) == events
    assert ours.frequencies == dict(dfg)
    assert ours.start == dict(start)
    assert ours.end == dict(end)
    assert ours_variants.counts == variants
    assert ours_variants.cases == cases == sum(variants.values())
    # the event-level DFG (with transition times) counts the same as the variant-based one
    assert ours_perf.frequencies == ours.frequencies
    assert sorted(ours_perf.table.select(["source", "target", "cases"]).to_pylist(), key=str) == \
        sorted(ours.table.select(["source", "target", "cases"]).to_pylist(), key=str)
    assert sum(acts.events.values()) == events
    assert acts.events == df[ACT].value_counts().to_dict()

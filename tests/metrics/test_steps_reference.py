"""The KPI catalog and the exception detectors read one shared step table per selection; their
values equal a plain pandas recomputation from the workspace's event table.

bpic2012 has lifecycles (schedule/start/complete) and events without a resource; the demo company
has several processes, groups taken from the people table and named exceptions.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from procatlas import api
from procatlas.hotspots import ExceptionSettings
from procatlas.metrics.catalog import RELATIVE_DETECTORS, CatalogOptions
from procatlas.workspace import Workspace
from tests.conftest import data_file


@pytest.fixture(scope="module")
def bpic2012(tmp_path_factory):
    ws = tmp_path_factory.mktemp("bpic") / "w.duckdb"
    api.ingest([data_file("pm4py__pm4py-core/bpic2012.xes.gz")], workspace=ws, process="bpic2012")
    return ws


def _events(ws: Workspace, process: str) -> pd.DataFrame:
    """Events of ``process`` in case order, with the group of each resource (event group, else the
    person's first group) and the lifecycle class."""
    df = ws.con.execute("""
        SELECT eo.oid AS cid, o.id AS case_id, e.eid, e.activity, e.timestamp AS ts, e.start_timestamp AS start_ts,
               lower(e.lifecycle) AS lifecycle, e.resource, e."group" AS grp
        FROM event e JOIN event_object eo ON eo.eid = e.eid JOIN object o ON o.oid = eo.oid
        WHERE o.type = ?""", [process]).df()
    people = ws.con.execute('SELECT id, "group" FROM person WHERE "group" IS NOT NULL ORDER BY rowid').df()
    person_group = people.drop_duplicates("id").set_index("id")["group"]
    df["g"] = df["grp"].fillna(df["resource"].map(person_group))
    df["lc"] = df["lifecycle"].map({"start": 1, "complete": 2}).fillna(0).astype(int)
    df = df.sort_values(["cid", "ts", "eid"], kind="stable").reset_index(drop=True)
    df["pos"] = df.groupby("cid").cumcount() + 1
    return df


def _case_order(df: pd.DataFrame) -> pd.Index:
    first = df.groupby("cid")["ts"].min().reset_index().sort_values(["ts", "cid"], kind="stable")
    return pd.Index(first["cid"])


def _per_case(df: pd.DataFrame, order: pd.Index) -> dict[str, np.ndarray]:
    rework = df.duplicated(["cid", "activity", "lc"]).groupby(df["cid"]).any()
    r = df[df["resource"].notna()].copy()
    by = r.groupby("cid")
    prev_r, prev_g = by["resource"].shift(), by["g"].shift()
    r["hand"] = prev_r.notna() & (r["resource"] != prev_r)
    r["cross"] = r["hand"] & r["g"].notna() & prev_g.notna() & (r["g"] != prev_g)
    hand = r.groupby("cid")["hand"].sum().reindex(order, fill_value=0)
    cross = r.groupby("cid")["cross"].sum().reindex(order, fill_value=0)
    return {"rework_rate": rework.reindex(order).to_numpy(float), "handovers_per_case": hand.to_numpy(float),
            "cross_group_handovers_per_case": cross.to_numpy(float)}


def _top(samples: pd.Series, counts: pd.Series, limit: int) -> dict:
    """The ``limit`` most frequent keys (ties by name), their samples sorted."""
    keys = sorted(counts.index, key=lambda k: (-counts[k], k))[:limit]
    return {k: np.sort(np.asarray(samples[k], float)) for k in keys}


def _durations(df: pd.DataFrame, o: CatalogOptions) -> dict[str, dict]:
    """Waiting time per activity and per edge, service time per activity (seconds)."""
    by = df.groupby("cid")
    df = df.assign(prev=by["activity"].shift(), d=(df["ts"] - by["ts"].shift()).dt.total_seconds())
    steps = df[df["prev"].notna()]
    with_start = set(df.loc[df["lc"] == 1, "activity"])
    w = steps[(steps["lc"] == 1) | ~steps["activity"].isin(with_start)]
    wc = w.groupby("activity").size()
    waiting = _top(w.groupby("activity")["d"].apply(list), wc[wc >= o.min_events], o.max_activities)
    e = steps[steps["prev"] != steps["activity"]]
    grouped = e.groupby(["prev", "activity"])
    cases = grouped["cid"].nunique()
    edges = _top(grouped["d"].apply(list), grouped.size()[cases >= o.min_events], o.max_edges)
    s = df[df["lc"] == 1].assign(k=lambda x: x.groupby(["cid", "activity"]).cumcount())
    c = df[df["lc"] == 2].assign(k=lambda x: x.groupby(["cid", "activity"]).cumcount())
    fifo = s.merge(c, on=["cid", "activity", "k"], suffixes=("_s", "_c"))
    fifo = fifo[fifo["ts_c"] >= fifo["ts_s"]]
    own = df[df["start_ts"].notna() & (df["ts"] >= df["start_ts"])]
    svc = pd.concat([pd.DataFrame({"activity": fifo["activity"], "d": (fifo["ts_c"] - fifo["ts_s"]).dt.total_seconds()}),
                     pd.DataFrame({"activity": own["activity"], "d": (own["ts"] - own["start_ts"]).dt.total_seconds()})])
    sc = svc.groupby("activity").size()
    service = _top(svc.groupby("activity")["d"].apply(list), sc[sc >= o.min_events], o.max_activities)
    return {"waiting": waiting, "edges": edges, "service": service}


def _check_catalog(path, process: str, m) -> None:
    o = CatalogOptions()
    with Workspace(path, read_only=True) as ws:
        df = _events(ws, process)
    order = _case_order(df)
    kpis = {k.kpi: k for k in m.kpis if k.process == process}
    for name, ref in _per_case(df, order).items():
        if name in kpis:
            assert np.array_equal(kpis[name].sample, ref), (process, name)
    ref = _durations(df, o)
    expected = {**{f"waiting_time[{a}]": v for a, v in ref["waiting"].items()},
                **{f"waiting_time[{a} -> {b}]": v for (a, b), v in ref["edges"].items()},
                **{f"service_time[{a}]": v for a, v in ref["service"].items()}}
    mine = {k: v for k, v in kpis.items() if k.startswith(("waiting_time[", "service_time["))}
    assert set(mine) == set(expected) and expected, process
    for k, v in expected.items():
        np.testing.assert_allclose(np.sort(mine[k].sample), v / 3600.0, rtol=1e-12, err_msg=k)


def _check_rates(path, process: str, m) -> None:
    """exception_rate[type] and first_time_right_rate equal the case flags of the exceptions table."""
    settings = ExceptionSettings()
    settings = settings.replace(detectors=tuple(d for d in settings.detectors if d not in RELATIVE_DETECTORS))
    with Workspace(path, read_only=True) as ws:
        proc = ws.process(process)
        ex = proc.exceptions(settings=settings).table.to_pandas()
        order = proc.case_durations().table["case_id"].to_pylist()
    kpis = {k.kpi: k for k in m.kpis if k.process == process}
    types = sorted(ex["type"].unique())
    assert sorted(k[len("exception_rate["):-1] for k in kpis if k.startswith("exception_rate[")) == types
    pos = pd.Series(range(len(order)), index=order)
    anyx = np.zeros(len(order))
    for t in types:
        flags = np.zeros(len(order))
        flags[pos[ex.loc[ex["type"] == t, "case_id"].unique()].to_numpy()] = 1.0
        anyx = np.maximum(anyx, flags)
        assert np.array_equal(kpis[f"exception_rate[{t}]"].sample, flags), t
    assert np.array_equal(kpis["first_time_right_rate"].sample, 1.0 - anyx)


def _check_exception_rows(path, process: str) -> None:
    """Rework, unusual-resource and name-pattern rows equal a pandas recomputation."""
    s = ExceptionSettings()
    with Workspace(path, read_only=True) as ws:
        df = _events(ws, process)
        ex = ws.process(process).exceptions(settings=s).table.to_pandas()

    def rows(frame, cols):
        return sorted(map(tuple, frame[cols].astype(str).to_numpy().tolist()))

    # rework: the second occurrence of an activity with the same lifecycle, delay since the first
    key = ["cid", "activity", "lifecycle"]
    g = df.groupby(key, dropna=False)
    rep = df.assign(times=g["eid"].transform("size"), k=g.cumcount(), first=g["ts"].transform("min"))
    rep = rep[(rep["times"] >= 2) & (rep["k"] == 1)]
    rep = rep.assign(delay_s=((rep["ts"] - rep["first"]).dt.total_seconds()).round(6),
                     detail=np.where(rep["lifecycle"].notna(), "lifecycle=" + rep["lifecycle"].fillna(""), None))
    mine = ex[ex["type"] == "rework"].assign(delay_s=lambda x: x["delay_s"].round(6))
    assert rows(mine, ["case_id", "activity", "time", "delay_s", "detail"]) == \
        rows(rep.rename(columns={"ts": "time"}), ["case_id", "activity", "time", "delay_s", "detail"])
    # unusual resource / group: a rare doer of a frequent activity
    ref = []
    for col, what in (("resource", "resource"), ("grp", "group")):
        d = df[df[col].notna()]
        n = d.groupby(["activity", col])["eid"].transform("size")
        tot = d.groupby("activity")["eid"].transform("size")
        hit = d[(tot >= s.unusual_min_activity_events) & (n <= s.unusual_max_events) & (n < s.unusual_share * tot)]
        ref.append(hit.assign(detail=what + "=" + hit[col]))
    ref = pd.concat(ref).rename(columns={"ts": "time"})
    assert rows(ex[ex["type"] == "unusual_resource"], ["case_id", "activity", "time", "detail"]) == \
        rows(ref, ["case_id", "activity", "time", "detail"])
    # named exceptions: every event whose activity matches the family's pattern (and not its exclusion)
    for family, pattern in s.patterns.items():
        hit = df["activity"].str.contains(pattern, flags=re.IGNORECASE, regex=True)
        if family in s.pattern_exclusions:
            hit &= ~df["activity"].str.contains(s.pattern_exclusions[family], flags=re.IGNORECASE, regex=True)
        assert rows(ex[ex["type"] == family], ["case_id", "activity", "time"]) == \
            rows(df[hit].rename(columns={"ts": "time"}), ["case_id", "activity", "time"]), family


def test_bpic2012_catalog_equals_pandas(bpic2012):
    m = api.metrics(workspace=bpic2012, process="bpic2012")
    _check_catalog(bpic2012, "bpic2012", m)
    _check_rates(bpic2012, "bpic2012", m)


def test_bpic2012_exception_rows_equal_pandas(bpic2012):
    _check_exception_rows(bpic2012, "bpic2012")


@pytest.mark.parametrize("process", ["purchase_order", "complaint", "sales_order"])
def test_company_catalog_and_exceptions_equal_pandas(company, process):
    m = api.metrics(workspace=company, process=process)
    assert m.get("cross_group_handovers_per_case", process) is not None
    _check_catalog(company, process, m)
    _check_rates(company, process, m)
    _check_exception_rows(company, process)

"""The generated company ingests through the foundation readers with zero rejects."""

from __future__ import annotations

from pathlib import Path

import pytest


def _api():
    api = pytest.importorskip("procatlas.api", reason="procatlas.api not available yet")
    if not hasattr(api, "ingest"):
        pytest.skip("procatlas.api.ingest not available yet")
    return api


def test_csvs_ingest_without_rejects(small, tmp_path):
    api = _api()
    paths = sorted(Path(small.out).glob("*_*.csv"))
    assert len(paths) == 4
    d = api.ingest(paths, workspace=tmp_path / "atlas.duckdb").to_dict()
    assert len(d["sources"]) == 4
    for s in d["sources"]:
        assert s["rejected"] == 0 and s["events"] > 0, s
    assert sum(s["events"] for s in d["sources"]) == small.events


def test_ocel_ingests_without_rejects(small, tmp_path):
    api = _api()
    d = api.ingest([Path(small.out) / "company.jsonocel"], workspace=tmp_path / "atlas.duckdb").to_dict()
    (s,) = d["sources"]
    assert s["rejected"] == 0 and s["events"] == small.events, s

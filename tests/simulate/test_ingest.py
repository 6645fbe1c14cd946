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
    try:
        d = api.ingest([Path(small.out) / "company.jsonocel"], workspace=tmp_path / "atlas.duckdb").to_dict()
    except Exception as exc:  # noqa: BLE001 - a foundation bug, reported upstream, must not hide here
        chain = f"{exc!r} {exc.__context__!r} {exc.__cause__!r}"
        if "prepared parameter" in chain or "transaction is aborted" in chain:
            pytest.xfail(f"workspace ingest of OCEL fails in _finalize_object_centric: {exc}")
        raise
    (s,) = d["sources"]
    assert s["rejected"] == 0 and s["events"] == small.events, s

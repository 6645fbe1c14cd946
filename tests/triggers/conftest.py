"""Simulated companies (two seeds) ingested into workspaces, with their posts in the message table."""

from __future__ import annotations

import json
import shutil

import pytest

from procatlas import api
from procatlas.simulate import simulate


def _company(tmp_path_factory, seed: int):
    out = tmp_path_factory.mktemp(f"company{seed}")
    report = simulate(out / "data", seed=seed, cases=800, formats=("ocel-json",))
    path = out / "atlas.duckdb"
    api.ingest([out / "data" / "company.jsonocel"], workspace=path)
    api.ingest([out / "data" / "posts.jsonl"], workspace=path, as_="posts")  # tweets -> messages, kind social
    truth = json.loads((out / "data" / "ground_truth.json").read_text(encoding="utf-8"))
    return {"workspace": path, "truth": truth, "data": out / "data", "report": report}


@pytest.fixture(scope="session", params=[7, 23], ids=["seed7", "seed23"])
def company(request, tmp_path_factory):
    return _company(tmp_path_factory, request.param)


@pytest.fixture
def writable(company, tmp_path):
    """A copy of a company's workspace that a test may change."""
    path = tmp_path / "atlas.duckdb"
    shutil.copy(company["workspace"], path)
    return path

"""Simulated companies (two seeds) ingested into workspaces, with their posts in the message table."""

from __future__ import annotations

import json
import shutil

import pytest

from procatlas import api
from procatlas.simulate import simulate
from procatlas.workspace import Workspace
from tests.triggers.helpers import insert_posts


def _company(tmp_path_factory, seed: int):
    out = tmp_path_factory.mktemp(f"company{seed}")
    report = simulate(out / "data", seed=seed, cases=800, formats=("ocel-json",))
    path = out / "atlas.duckdb"
    api.ingest([out / "data" / "company.jsonocel"], workspace=path)
    with Workspace(path) as ws:
        # the posts ingest (`procatlas ingest posts.jsonl --as posts`) is another issue: the
        # fixture stores the simulator's tweets as messages of kind 'social' itself
        insert_posts(ws, out / "data" / "posts.jsonl")
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

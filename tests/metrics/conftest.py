"""Fixtures of the metrics tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from procatlas import api
from procatlas.simulate import simulate


@pytest.fixture(scope="session")
def company(tmp_path_factory) -> Path:
    """The demo company (200 cases) with its people, messages and social posts, ingested."""
    out = tmp_path_factory.mktemp("company")
    simulate(out, cases=200, formats=("ocel-json",))
    ws = out / "w.duckdb"
    api.ingest([out / "company.jsonocel", out / "people.csv"], workspace=ws)
    api.ingest([out / "messages.jsonl"], workspace=ws, as_="messages")
    api.ingest([out / "posts.jsonl"], workspace=ws, as_="posts")
    return ws

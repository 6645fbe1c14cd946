"""Shared fixtures: the real data folder and a bare staging area."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from procatlas.io._stage import Stager

DATA = Path(os.environ.get("PROCATLAS_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def data_file(rel: str) -> Path:
    """Path of a file in ../shared/data, or skip the test with the reason."""
    p = DATA / rel
    if not p.exists():
        pytest.skip(f"real data file {rel} not found under {DATA} (shared/data absent)")
    return p


@pytest.fixture
def stager():
    """A Stager on an in-memory DuckDB, for testing a reader on its own."""
    con = duckdb.connect()

    def execute(sql, params=None, register=None):
        for name, obj in (register or {}).items():
            con.register(name, obj)
        try:
            return con.execute(sql, params or [])
        finally:
            for name in register or {}:
                con.unregister(name)

    st = Stager(execute)
    st.con = con  # tests read the staging tables back through this
    yield st
    con.close()

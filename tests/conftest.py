"""Shared fixtures: the real data folder and a bare staging area."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

# CI: the same examples every run (no flaky red from a new random draw) and no per-example
# deadline on a shared 2-core machine; locally hypothesis explores as usual.
settings.register_profile("ci", derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

from procatlas.io._stage import Stager

DATA = Path(os.environ.get("PROCATLAS_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def data_file(rel: str) -> Path:
    """Path of a file in ../shared/data, or skip the test with the reason."""
    p = DATA / rel
    if not p.exists():
        pytest.skip(f"real data file {rel} not found under {DATA} (shared/data absent)")
    return p


def fresh_stager() -> Stager:
    """A Stager on its own in-memory DuckDB (``.con`` reads the staging tables back)."""
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
    st.con = con
    return st


@pytest.fixture
def stager():
    """A Stager on an in-memory DuckDB, for testing a reader on its own."""
    st = fresh_stager()
    yield st
    st.con.close()

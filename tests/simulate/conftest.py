"""Small simulated companies shared by the simulator tests (built once per session)."""

from __future__ import annotations

import pytest

from procatlas.simulate import simulate


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    """300 top-level cases, OCEL JSON and CSV."""
    out = tmp_path_factory.mktemp("small")
    return simulate(out, seed=7, cases=300, formats=("ocel-json", "csv"))


@pytest.fixture(scope="session")
def large(tmp_path_factory):
    """4000 top-level cases, CSV only: enough objects for rates and hot spots."""
    out = tmp_path_factory.mktemp("large")
    return simulate(out, seed=11, cases=4000, formats=("csv",))

"""Shared data for the people tests: real logs from ../shared/data, small simulated companies."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def data_file(rel: str) -> Path:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"{path} not available (../shared/data is absent)")
    return path

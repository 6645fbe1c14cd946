"""Engines run the event-level queries of procatlas; DuckDB (in the workspace) by default."""

from procatlas.engine.base import Engine, Selection
from procatlas.engine.duck import DuckDBEngine

__all__ = ["DuckDBEngine", "Engine", "Selection"]

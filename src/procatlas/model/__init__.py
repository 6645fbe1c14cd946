"""Frozen value types for every result procatlas returns."""

from procatlas.model.mapping import Mapping
from procatlas.model.results import IngestReport, SourceReport, WorkspaceInfo, ProcessInfo

__all__ = ["Mapping", "IngestReport", "SourceReport", "WorkspaceInfo", "ProcessInfo"]

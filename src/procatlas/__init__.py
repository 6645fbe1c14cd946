"""procatlas: map how an organisation really works from the event data its systems record."""

# api.people, api.metrics, api.hotspots and api.triggers are not re-exported here: procatlas.people,
# .metrics, .hotspots and .triggers are subpackages, and importing one would replace the function.
from procatlas.api import (baseline_delete, baseline_save, baselines, catalog, compare, conformance, dependencies,
                           discover, exceptions, export, info, ingest, link_posts, open_workspace, processes,
                           rejects, watering_holes)
from procatlas.errors import AtlasError, EngineError, InputError, MappingError, WorkspaceError
from procatlas.model.discovery import Filters
from procatlas.model.mapping import Mapping
from procatlas.process import Process
from procatlas.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "AtlasError",
    "EngineError",
    "Filters",
    "InputError",
    "Mapping",
    "MappingError",
    "Process",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "baseline_delete",
    "baseline_save",
    "baselines",
    "catalog",
    "compare",
    "conformance",
    "dependencies",
    "discover",
    "exceptions",
    "export",
    "info",
    "ingest",
    "link_posts",
    "open_workspace",
    "processes",
    "rejects",
    "watering_holes",
]

"""procatlas: map how an organisation really works from the event data its systems record."""

from procatlas.api import (catalog, dependencies, discover, export, info, ingest, link_posts, open_workspace,
                           people, processes, rejects, watering_holes)
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
    "catalog",
    "dependencies",
    "discover",
    "export",
    "info",
    "ingest",
    "link_posts",
    "open_workspace",
    "people",
    "processes",
    "rejects",
    "watering_holes",
]

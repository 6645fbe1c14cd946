"""procatlas: map how an organisation really works from the event data its systems record."""

from procatlas.api import export, info, ingest, open_workspace, rejects
from procatlas.errors import AtlasError, EngineError, InputError, MappingError, WorkspaceError
from procatlas.model.mapping import Mapping
from procatlas.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "AtlasError",
    "EngineError",
    "InputError",
    "Mapping",
    "MappingError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "export",
    "info",
    "ingest",
    "open_workspace",
    "rejects",
]

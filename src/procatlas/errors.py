"""The one exception root of procatlas and its few subclasses."""

from __future__ import annotations


class AtlasError(Exception):
    """Root of every error procatlas raises on purpose."""

    exit_code = 1


class InputError(AtlasError):
    """Unusable input: a file that cannot be read, parsed or mapped.

    The message is one line naming the file, the line or row, and the reason.
    """

    exit_code = 2

    def __init__(self, reason: str, *, path: object = None, location: int | str | None = None):
        self.reason = reason
        self.path = str(path) if path is not None else None
        self.location = location
        parts = []
        if self.path:
            parts.append(self.path if location is None else f"{self.path}:{location}")
        parts.append(reason)
        super().__init__(": ".join(parts))


class MappingError(InputError):
    """The column roles of a file cannot be determined or are inconsistent."""


class WorkspaceError(AtlasError):
    """The workspace file is missing, locked, corrupt or of an unknown version."""

    exit_code = 2


class EngineError(AtlasError):
    """The query engine failed or is not available."""

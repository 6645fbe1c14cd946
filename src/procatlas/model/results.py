"""Result values of ingestion and workspace inspection."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SourceReport:
    """What one ingested (or skipped) file contributed to the workspace."""

    path: str
    sha256: str
    process: str | None
    format: str
    events: int
    objects: int
    rejected: int
    skipped: bool = False
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["notes"] = list(self.notes)
        return d


@dataclass(frozen=True)
class IngestReport:
    """Outcome of one ``ingest`` call."""

    sources: tuple[SourceReport, ...]

    def to_dict(self) -> dict:
        return {"sources": [s.to_dict() for s in self.sources]}


@dataclass(frozen=True)
class ProcessInfo:
    """One process (object type used as case notion) in the workspace."""

    process: str
    cases: int
    events: int
    activities: int


@dataclass(frozen=True)
class WorkspaceInfo:
    """Summary of a workspace: volumes, time span, processes and sources."""

    path: str
    events: int
    objects: int
    activities: int
    rejected: int
    first: datetime | None
    last: datetime | None
    processes: tuple[ProcessInfo, ...] = ()
    sources: tuple[dict, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "workspace": self.path,
            "events": self.events,
            "objects": self.objects,
            "activities": self.activities,
            "rejected": self.rejected,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "processes": [asdict(p) for p in self.processes],
            "sources": list(self.sources),
        }

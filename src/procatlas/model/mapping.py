"""Column roles of a case-centric log, carried as one value (after bupaR's mapping)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

ROLES = ("case", "activity", "timestamp", "start_timestamp", "resource", "group", "lifecycle")


@dataclass(frozen=True)
class Mapping:
    """Which source column plays which role; ``None`` means absent or not yet known."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    resource: str | None = None
    group: str | None = None
    lifecycle: str | None = None

    def merged(self, override: "Mapping") -> "Mapping":
        """Return this mapping with every role set in ``override`` replaced."""
        changes = {f.name: getattr(override, f.name) for f in fields(self) if getattr(override, f.name)}
        return replace(self, **changes)

    def as_dict(self) -> dict[str, str | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def columns(self) -> set[str]:
        """Source columns that carry a role."""
        return {v for v in self.as_dict().values() if v}

"""The value simulate() returns: where the files are and how much is in them."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SimulationReport:
    """Paths of the written files and counts of what the simulated company did."""

    out: str
    seed: int
    cases: int
    files: dict[str, str]
    events: int
    events_per_process: dict[str, int]
    objects: dict[str, int]
    messages: int
    posts: int
    people: int
    exceptions: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)

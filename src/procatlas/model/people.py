"""Result values of the people analyses: networks, people/group statistics, watering holes, brokers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pyarrow as pa

NETWORK_KINDS = ("handover", "working_together", "subcontracting", "similar_activities", "messages")
LEVELS = ("person", "group")


def _pandas(table: pa.Table):
    try:
        return table.to_pandas()
    except ImportError as exc:  # pragma: no cover - pandas is optional
        raise ImportError("to_pandas() needs pandas: pip install pandas") from exc


def _rows(table: pa.Table) -> list[dict]:
    return [{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()} for r in table.to_pylist()]


@dataclass(frozen=True)
class Network:
    """A social network after van der Aalst, Reijers and Song (2005) as an edge list.

    ``edges`` columns: ``source, target, weight`` plus kind-specific counts: handover
    (``count, cases, mean_wait_s, median_wait_s``; weight = count / all handovers),
    working together (``cases``; weight = cases / cases of the process; undirected, both
    directions listed), subcontracting (``count``; weight = count / all a-b-a patterns),
    similar activities (``weight`` = Pearson correlation of activity profiles), messages
    (``count``).  ``nodes`` columns: ``node, group, in_degree, out_degree, degree,
    betweenness, community``.
    """

    kind: str
    level: str
    process: str | None
    edges: pa.Table
    groups: dict = field(default_factory=dict, repr=False)  # node -> group
    directed: bool = True
    missing: str = "skip"
    events_without_actor: int = 0
    cases: int = 0
    events: int = 0

    @cached_property
    def nodes(self) -> pa.Table:
        """Node metrics, computed on first use (networkx on the small edge list)."""
        from procatlas.people.networks import node_table
        return node_table(self.edges, self.groups, directed=self.directed,
                          positive_only=self.kind == "similar_activities")

    def to_arrow(self) -> pa.Table:
        return self.edges

    def to_pandas(self):
        return _pandas(self.edges)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "level": self.level, "process": self.process, "directed": self.directed,
                "missing": self.missing, "events_without_actor": self.events_without_actor,
                "cases": self.cases, "events": self.events,
                "nodes": _rows(self.nodes), "edges": _rows(self.edges)}

    def weights(self) -> dict[tuple[str, str], float]:
        """``{(source, target): weight}``."""
        return {(r["source"], r["target"]): r["weight"] for r in self.edges.to_pylist()}

    def to_svg(self, **kwargs: Any) -> str:
        from procatlas.render.network_svg import network_svg
        return network_svg(self.nodes.to_pylist(), self.edges.to_pylist(), directed=self.directed,
                           title=f"{self.kind.replace('_', ' ')} ({self.level})", **kwargs)

    def _repr_svg_(self) -> str:
        return self.to_svg()


@dataclass(frozen=True)
class Roles:
    """Roles discovered by clustering activity profiles; agreement with given groups when known."""

    assignments: pa.Table  # resource, role, group
    roles: pa.Table  # role, people, top_activities
    k: int
    adjusted_rand: float | None = None

    def to_dict(self) -> dict:
        return {"k": self.k, "adjusted_rand": self.adjusted_rand, "roles": _rows(self.roles),
                "assignments": _rows(self.assignments)}


@dataclass(frozen=True)
class PeopleReport:
    """Who does the work: per person or group statistics, the resource x activity matrix,
    workload per week, discovered roles and the handover and working-together networks."""

    process: str | None
    level: str
    stats: pa.Table
    matrix: pa.Table  # resource (or group), activity, events
    workload: pa.Table  # actor, week, events, cases
    handover: Network
    working_together: Network
    roles: Roles | None
    events_without_resource: int = 0

    def to_arrow(self) -> pa.Table:
        return self.stats

    def to_pandas(self):
        return _pandas(self.stats)

    def to_dict(self) -> dict:
        return {"process": self.process, "level": self.level,
                "events_without_resource": self.events_without_resource,
                "stats": _rows(self.stats), "matrix": _rows(self.matrix), "workload": _rows(self.workload),
                "roles": self.roles.to_dict() if self.roles else None,
                "handover": self.handover.to_dict(), "working_together": self.working_together.to_dict()}

    def _repr_svg_(self) -> str:
        return self.handover.to_svg()

    def write(self, out: Path) -> dict[str, str]:
        """Write stats.csv, matrix.csv, workload.csv, handover.csv, working_together.csv and
        handover.svg into ``out``; returns ``{name: path}``."""
        import pyarrow.csv as pacsv
        out.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, table in (("stats.csv", self.stats), ("matrix.csv", self.matrix), ("workload.csv", self.workload),
                            ("handover.csv", self.handover.edges),
                            ("working_together.csv", self.working_together.edges)):
            pacsv.write_csv(table, out / name)
            files[name] = str(out / name)
        (out / "handover.svg").write_text(self.handover.to_svg(), encoding="utf-8")
        files["handover.svg"] = str(out / "handover.svg")
        return files


@dataclass(frozen=True)
class WateringHole:
    """A venue or recurring group of people where groups meet outside the formal handovers."""

    venue: str
    kind: str
    groups: tuple[str, ...]
    people: tuple[str, ...]
    messages: int
    weeks_active: int
    regularity: float
    diversity: float
    informal_share: float
    cases: int
    score: float
    explanation: str
    qualified: bool = True
    case_outcome: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"venue": self.venue, "kind": self.kind, "groups": list(self.groups), "people": list(self.people),
                "messages": self.messages, "weeks_active": self.weeks_active, "regularity": round(self.regularity, 4),
                "diversity": round(self.diversity, 4), "informal_share": round(self.informal_share, 4),
                "cases": self.cases, "case_outcome": self.case_outcome, "score": round(self.score, 4),
                "explanation": self.explanation}


@dataclass(frozen=True)
class Broker:
    """A person who bridges groups: cross-group betweenness and Gould-Fernandez brokerage roles."""

    person: str
    group: str | None
    groups: tuple[str, ...]
    cross_group_betweenness: float
    brokerage: dict[str, int]
    score: float

    def to_dict(self) -> dict:
        return {"person": self.person, "group": self.group, "groups": list(self.groups),
                "cross_group_betweenness": round(self.cross_group_betweenness, 6),
                "brokerage": dict(self.brokerage), "score": round(self.score, 6)}


@dataclass(frozen=True)
class WateringHoles:
    """Ranked watering holes (qualified candidates only), near misses, and brokers."""

    holes: tuple[WateringHole, ...]
    near_misses: tuple[WateringHole, ...]
    brokers: tuple[Broker, ...]
    candidates: int
    messages: int
    criteria: dict
    graph_nodes: tuple[dict, ...] = ()
    graph_edges: tuple[dict, ...] = ()

    def __iter__(self):
        return iter(self.holes)

    def __len__(self) -> int:
        return len(self.holes)

    def to_arrow(self) -> pa.Table:
        rows = [h.to_dict() for h in self.holes]
        for r in rows:
            r["case_outcome"] = str(r["case_outcome"])
        return pa.Table.from_pylist(rows) if rows else pa.table({"venue": pa.array([], pa.string())})

    def to_pandas(self):
        return _pandas(self.to_arrow())

    def to_dict(self) -> dict:
        return {"watering_holes": [h.to_dict() for h in self.holes],
                "near_misses": [h.to_dict() for h in self.near_misses],
                "brokers": [b.to_dict() for b in self.brokers],
                "candidates": self.candidates, "messages": self.messages, "criteria": self.criteria}

    def to_svg(self) -> str:
        from procatlas.render.network_svg import network_svg
        hole_people = {p for h in self.holes for p in h.people}
        nodes, edges = list(self.graph_nodes), list(self.graph_edges)
        if any(n.get("group") for n in nodes):  # people without a group (post authors) stay out of the picture
            keep = {n["node"] for n in nodes if n.get("group")}
            nodes = [n for n in nodes if n["node"] in keep]
            edges = [e for e in edges if e["source"] in keep and e["target"] in keep]
        return network_svg(nodes, edges, directed=False,
                           title="people and watering holes", highlight=hole_people,
                           brokers={b.person for b in self.brokers[:3]})

    def _repr_svg_(self) -> str:
        return self.to_svg()

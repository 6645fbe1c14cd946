"""Result values of the process inventory, event catalog, triggers, dependencies and post linking."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows) if rows else pa.table({})


class _Rows:
    """Shared conversions of results that are a list of flat rows."""

    def rows(self) -> list[dict]:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_arrow(self) -> pa.Table:
        return _table(self.rows())

    def to_pandas(self):
        return self.to_arrow().to_pandas()


@dataclass(frozen=True)
class ProcessCandidate:
    """One object type with events, seen as a process: volumes, start/end, duration, people.

    ``role`` is ``process`` (its objects start on their own), ``document`` (created inside a
    case of ``part_of``, one per case, e.g. a purchase order of a requisition), ``batch`` (one
    object gathers many cases at one moment, e.g. a payment run) or ``master data`` (a supplier:
    its events all belong to other objects' cases).
    """

    process: str
    role: str
    part_of: str | None
    objects: int
    events: int
    activities: tuple[str, ...]
    start_activities: tuple[tuple[str, int], ...]
    end_activities: tuple[tuple[str, int], ...]
    first: str | None
    last: str | None
    duration_median_s: float | None
    duration_p90_s: float | None
    people: int
    groups: tuple[tuple[str, int], ...]
    volume: tuple[tuple[str, int], ...]  # (month, cases started)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("activities",):
            d[k] = list(d[k])
        for k in ("start_activities", "end_activities", "groups", "volume"):
            d[k] = [{"name": a, "count": n} for a, n in getattr(self, k)]
        return d


@dataclass(frozen=True)
class Inventory(_Rows):
    """Every process candidate of a workspace."""

    processes: tuple[ProcessCandidate, ...]

    def __getitem__(self, name: str) -> ProcessCandidate:
        for p in self.processes:
            if p.process == name:
                return p
        raise KeyError(name)

    def rows(self) -> list[dict]:
        return [{"process": p.process, "role": p.role, "part_of": p.part_of, "objects": p.objects,
                 "events": p.events, "activities": len(p.activities),
                 "start": p.start_activities[0][0] if p.start_activities else None,
                 "end": p.end_activities[0][0] if p.end_activities else None,
                 "duration_median_s": p.duration_median_s, "people": p.people,
                 "groups": ", ".join(g for g, _ in p.groups[:3])} for p in self.processes]

    def to_dict(self) -> dict:
        return {"processes": [p.to_dict() for p in self.processes]}


CATALOG_COLUMNS = ("process", "activity", "object_types", "events", "cases", "position", "first_share",
                   "resources", "groups", "trigger", "before", "after")


@dataclass(frozen=True)
class CatalogEntry:
    """One activity: where it sits, who does it, what triggers it, what comes before and after."""

    process: str
    activity: str
    object_types: tuple[str, ...]
    events: int
    cases: int
    position: float | None  # median relative position in its cases, 0 = first, 1 = last
    first_share: float  # share of its occurrences that start a case
    resources: tuple[tuple[str, int], ...]
    groups: tuple[tuple[str, int], ...]
    trigger: str  # start:<kind> | person | system | mixed
    before: tuple[tuple[str, float], ...]  # (activity or "(start)", share)
    after: tuple[tuple[str, float], ...]

    def flat(self) -> dict:
        def names(pairs, pct=False):
            return "; ".join(f"{a} ({v:.0%})" if pct else f"{a} ({v:,})" for a, v in pairs)
        return {"process": self.process, "activity": self.activity, "object_types": ", ".join(self.object_types),
                "events": self.events, "cases": self.cases,
                "position": None if self.position is None else round(self.position, 2),
                "first_share": round(self.first_share, 3), "resources": names(self.resources),
                "groups": names(self.groups), "trigger": self.trigger, "before": names(self.before, True),
                "after": names(self.after, True)}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["object_types"] = list(self.object_types)
        for k in ("resources", "groups"):
            d[k] = [{"name": a, "events": n} for a, n in getattr(self, k)]
        for k in ("before", "after"):
            d[k] = [{"activity": a, "share": s} for a, s in getattr(self, k)]
        return d


@dataclass(frozen=True)
class Catalog(_Rows):
    """The event catalog: one row per activity, as a discovery workshop would write it."""

    entries: tuple[CatalogEntry, ...]

    def rows(self) -> list[dict]:
        return [e.flat() for e in self.entries]

    def to_dict(self) -> dict:
        return {"activities": [e.to_dict() for e in self.entries]}

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(CATALOG_COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows())
        return buf.getvalue()

    def to_markdown(self) -> str:
        def cell(v: Any) -> str:
            return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")
        out = ["# Event catalog", ""]
        for process in dict.fromkeys(e.process for e in self.entries):
            rows = [e.flat() for e in self.entries if e.process == process]
            out += [f"## {process}", "",
                    "| activity | events | cases | position | trigger | before | after | resources | groups |",
                    "|---|---:|---:|---:|---|---|---|---|---|"]
            out += ["| " + " | ".join(cell(r[k]) for k in ("activity", "events", "cases", "position", "trigger",
                                                            "before", "after", "resources", "groups")) + " |"
                    for r in rows]
            out.append("")
        return "\n".join(out)

    def write(self, path: str | Path) -> Path:
        """Write as Markdown (.md) or CSV (.csv), chosen by the suffix."""
        from procatlas.errors import InputError
        p = Path(path)
        if p.suffix.lower() == ".md":
            p.write_text(self.to_markdown(), encoding="utf-8")
        elif p.suffix.lower() == ".csv":
            p.write_text(self.to_csv(), encoding="utf-8")
        else:
            raise InputError(f"{p}: catalog files end in .md or .csv")
        return p


@dataclass(frozen=True)
class Trigger:
    """What starts a share of a process's cases."""

    process: str
    kind: str  # external | process | schedule | manual | unknown
    source: str | None  # channel, other process, or the schedule ("Tue", "05:00-06:00 UTC", ...)
    activity: str | None  # start activity (external, schedule, manual) or the preceding activity (process)
    cases: int
    share: float
    lag_median_s: float | None = None
    lag_p10_s: float | None = None
    lag_p90_s: float | None = None

    def to_dict(self) -> dict:
        return {"process": self.process, "trigger": {"kind": self.kind, "source": self.source,
                                                     "activity": self.activity},
                "share": self.share, "cases": self.cases, "lag_median_s": self.lag_median_s,
                "lag_p10_s": self.lag_p10_s, "lag_p90_s": self.lag_p90_s}


@dataclass(frozen=True)
class ScheduleTest:
    """A concentration test of case starts over one calendar grid (chi-square against uniform)."""

    process: str
    grid: str  # hour | weekday | day_of_month
    starts: int
    chi2: float
    p_value: float
    effect_size: float  # Cohen's w = sqrt(chi2 / n)
    peaks: tuple[str, ...]  # bins holding at least `peak_ratio` times their uniform share
    significant: bool


@dataclass(frozen=True)
class Triggers(_Rows):
    """Triggers of every process, with the schedule tests behind the schedule triggers."""

    triggers: tuple[Trigger, ...]
    tests: tuple[ScheduleTest, ...] = ()

    def of(self, process: str) -> list[Trigger]:
        return [t for t in self.triggers if t.process == process]

    def rows(self) -> list[dict]:
        return [{"process": t.process, "kind": t.kind, "source": t.source, "activity": t.activity,
                 "cases": t.cases, "share": round(t.share, 4),
                 "lag_median_s": None if t.lag_median_s is None else round(t.lag_median_s, 1)}
                for t in self.triggers]

    def to_dict(self) -> dict:
        return {"triggers": [t.to_dict() for t in self.triggers],
                "schedule_tests": [asdict(s) for s in self.tests]}


@dataclass(frozen=True)
class Relation:
    """Object-to-object links between two types, with their cardinality."""

    source_type: str
    target_type: str
    qualifier: str | None
    links: int
    sources: int
    targets: int
    max_targets_per_source: int
    max_sources_per_target: int
    cardinality: str  # 1:1 | 1:n | n:1 | m:n  (source side : target side)


@dataclass(frozen=True)
class Dependency:
    """Objects of ``to_type`` move after an event of a related ``from_type`` object.

    ``scope`` is ``across`` (two processes) or ``within`` (documents of one process).
    """

    from_type: str
    from_activity: str
    to_type: str
    to_activity: str
    from_process: str
    to_process: str
    scope: str
    events: int
    objects: int
    share: float  # of the to_activity events of objects related to a from_type object
    starts: bool  # to_activity is where to_type objects start
    lag_median_s: float | None
    lag_p10_s: float | None
    lag_p90_s: float | None


@dataclass(frozen=True)
class SyncSide:
    object_type: str
    events: int
    last_share: float  # share of the events where this side was ready last (the one waited for)
    wait_caused_median_s: float | None  # how long the other sides waited for this one (median)


@dataclass(frozen=True)
class SyncPoint:
    """An activity whose events join objects of several types and wait for each of them."""

    activity: str
    events: int
    sync_median_s: float | None  # from the first side ready to the last side ready
    sides: tuple[SyncSide, ...]


@dataclass(frozen=True)
class OcDfg:
    """Object-centric directly-follows graph: per object type, counts as pm4py's discover_ocdfg.

    ``edges``: object_type, source, target, event_couples, unique_objects, total_objects, median_s;
    ``activities``: object_type, activity, events, unique_objects, total_objects;
    ``start_activities`` / ``end_activities``: object_type, activity, events, unique_objects, total_objects.
    """

    edges: pa.Table
    activities: pa.Table
    start_activities: pa.Table
    end_activities: pa.Table

    @property
    def object_types(self) -> list[str]:
        return sorted(set(self.activities.column("object_type").to_pylist())) if self.activities.num_rows else []

    def to_dict(self) -> dict:
        return {"edges": self.edges.to_pylist(), "activities": self.activities.to_pylist(),
                "start_activities": self.start_activities.to_pylist(),
                "end_activities": self.end_activities.to_pylist()}

    def to_svg(self) -> str:
        from procatlas.render.ocdfg_svg import render_ocdfg
        return render_ocdfg(self)

    def _repr_svg_(self) -> str:
        return self.to_svg()

    def write_svg(self, path: str | Path) -> Path:
        p = Path(path)
        p.write_text(self.to_svg(), encoding="utf-8")
        return p


@dataclass(frozen=True)
class Dependencies(_Rows):
    """Cross-process dependencies, relation cardinalities, synchronisation points and the OC-DFG."""

    dependencies: tuple[Dependency, ...]
    relations: tuple[Relation, ...]
    sync_points: tuple[SyncPoint, ...]
    ocdfg: OcDfg = field(repr=False)

    def rows(self) -> list[dict]:
        return [{k: v for k, v in asdict(d).items() if k not in ("lag_p10_s", "lag_p90_s")}
                for d in self.dependencies]

    def to_dict(self) -> dict:
        return {"dependencies": [asdict(d) for d in self.dependencies],
                "relations": [asdict(r) for r in self.relations],
                "sync_points": [asdict(s) for s in self.sync_points],
                "ocdfg": self.ocdfg.to_dict()}

    def _repr_svg_(self) -> str:
        return self.ocdfg.to_svg()


@dataclass(frozen=True)
class LinkRule:
    """How a post finds its object.

    - ``id_in_text``: ``pattern`` (a regex) finds ids of ``object_type`` in the post text; with
      ``target_type`` set, the link goes on to the related object of that type whose start is
      nearest the post (within ``window_s``).
    - ``author``: the post author (sender) equals ``attribute`` of an ``object_type`` object
      (e.g. a customer's handle); with ``target_type``, on to its nearest case of that type.
    - ``time``: a ``target_type`` case starting within ``window_s`` of the post (the nearest one;
      only cases not linked to another post).
    """

    kind: str
    object_type: str | None = None
    pattern: str | None = None
    attribute: str | None = None
    target_type: str | None = None
    window_s: float = 120.0

    @property
    def name(self) -> str:
        what = self.pattern or self.attribute or ""
        return f"{self.kind}:{self.object_type or self.target_type}" + (f"[{what}]" if what else "")


@dataclass(frozen=True)
class PostLinks(_Rows):
    """Which social posts were linked to which object, by which rule; first response of the care team."""

    posts: int
    linked: int
    by_rule: tuple[tuple[str, int], ...]
    links: tuple[dict, ...]  # post_id, mid, object_id, object_type, rule, response_s
    own_accounts: tuple[str, ...] = ()
    responded: int = 0
    first_response_median_s: float | None = None
    first_response_p90_s: float | None = None

    @property
    def unlinked(self) -> int:
        return self.posts - self.linked

    def rows(self) -> list[dict]:
        return list(self.links)

    def to_dict(self) -> dict:
        return {"posts": self.posts, "linked": self.linked, "unlinked": self.unlinked,
                "by_rule": [{"rule": r, "posts": n} for r, n in self.by_rule],
                "own_accounts": list(self.own_accounts), "responded": self.responded,
                "first_response_median_s": self.first_response_median_s,
                "first_response_p90_s": self.first_response_p90_s, "links": list(self.links)}

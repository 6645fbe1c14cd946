"""Turns the log's blocks into one time-ordered event table with object links."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procatlas.simulate.log import PROCESSES, EventLog


@dataclass(frozen=True)
class Events:
    """All events in global time order (position = event number), plus their object links."""

    process: np.ndarray  # int8 code into PROCESS_NAMES
    activity: np.ndarray  # int16 code into activities
    activities: tuple[str, ...]
    case: np.ndarray  # index of the process's case object
    ts: np.ndarray  # local seconds
    resource: np.ndarray  # person index, -1 for system and customer events
    group: np.ndarray  # group code, -1 with no resource
    lifecycle: np.ndarray  # int8 code into lifecycles
    lifecycles: tuple[str, ...]
    attrs: np.ndarray  # int16 code into attr_sets
    attr_sets: tuple[tuple[tuple[str, str], ...], ...]
    block: np.ndarray  # creation order of the event's block (the step order of the simulator)
    e2o_event: np.ndarray
    e2o_type: np.ndarray  # int8 code into object_types
    e2o_object: np.ndarray
    e2o_qualifier: np.ndarray
    qualifiers: tuple[str, ...]
    object_types: tuple[str, ...]


PROCESS_NAMES = tuple(PROCESSES)


def assemble(log: EventLog) -> Events:
    """Concatenate blocks and order them by (time, simulator step)."""
    acts: dict[str, int] = {}
    lcs: dict[str, int] = {}
    ats: dict[tuple, int] = {}
    otypes = {t: i for i, t in enumerate(log.types)}
    quals: dict[str, int] = {}
    cols = {k: [] for k in ("process", "activity", "case", "ts", "resource", "group", "lifecycle", "attrs", "block")}
    links = {k: [] for k in ("event", "type", "object", "qualifier")}
    offset = 0
    for b, blk in enumerate(log.blocks):
        n = len(blk.case)
        cols["process"].append(np.full(n, PROCESS_NAMES.index(blk.process), np.int8))
        cols["activity"].append(np.full(n, acts.setdefault(blk.activity, len(acts)), np.int16))
        cols["case"].append(blk.case)
        cols["ts"].append(blk.ts)
        cols["resource"].append(blk.resource)
        cols["group"].append(blk.group)
        cols["lifecycle"].append(np.full(n, lcs.setdefault(blk.lifecycle, len(lcs)), np.int8))
        key = tuple(sorted(blk.attrs.items()))
        cols["attrs"].append(np.full(n, ats.setdefault(key, len(ats)), np.int16))
        cols["block"].append(np.full(n, b, np.int32))
        for otype, idx, q in blk.links:
            keep = idx >= 0
            links["event"].append(np.flatnonzero(keep) + offset)
            links["type"].append(np.full(int(keep.sum()), otypes[otype], np.int8))
            links["object"].append(idx[keep])
            links["qualifier"].append(np.full(int(keep.sum()), quals.setdefault(q, len(quals)), np.int16))
        offset += n
    c = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.lexsort((c["block"], c["ts"]))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    c = {k: v[order] for k, v in c.items()}
    le = rank[np.concatenate(links["event"])]
    lo = np.lexsort((np.concatenate(links["type"]), le))
    return Events(c["process"], c["activity"], tuple(acts), c["case"], c["ts"], c["resource"], c["group"],
                  c["lifecycle"], tuple(lcs), c["attrs"], tuple(ats), c["block"],
                  le[lo], np.concatenate(links["type"])[lo], np.concatenate(links["object"])[lo],
                  np.concatenate(links["qualifier"])[lo], tuple(quals), tuple(otypes))

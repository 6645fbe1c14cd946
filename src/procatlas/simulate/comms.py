"""Communication metadata: team chatter, handover e-mails, team meetings, watering-hole traffic."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procatlas.simulate.assemble import PROCESS_NAMES, Events
from procatlas.simulate.calendar import DAY, HOUR
from procatlas.simulate.context import Sim
from procatlas.simulate.log import PROCESSES
from procatlas.simulate.org import GROUPS
from procatlas.simulate.text import object_ids

EMAIL_SUBJECTS = ("Shift plan", "Holiday cover", "Team lunch", "Process question", "Report for Friday",
                  "System outage notice", "Training session", "Re: stock levels", "Budget check")


@dataclass
class Chunk:
    """Messages of one kind: parallel arrays, recipients and refs as Arrow lists."""

    ts: np.ndarray
    sender: np.ndarray
    recipients: list[np.ndarray]
    venue: pa.Array
    kind: str
    subject: pa.Array
    refs: pa.Array  # list<string>


def _slug(group: str) -> str:
    return group.lower().replace(" ", "-")


def _lists(values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lens = np.array([len(v) for v in values], np.int32)
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
    flat = np.concatenate(values) if values else np.zeros(0, np.int64)
    return offsets, flat


def _const(value: str | None, n: int) -> pa.Array:
    return pa.array([value] * n, pa.string())


def _no_refs(n: int) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.string()))


def messages(sim: Sim, ev: Events) -> list[Chunk]:
    """All messages of the run, in chunks."""
    return _handovers(sim, ev) + _team_life(sim) + _watering_holes(sim)


def _handovers(sim: Sim, ev: Events) -> list[Chunk]:
    rng, cal = sim.rng, sim.cal
    o = np.lexsort((np.arange(len(ev.ts)), ev.case, ev.process))
    p, c, t, r, g, a = ev.process[o], ev.case[o], ev.ts[o], ev.resource[o], ev.group[o], ev.activity[o]
    same = (p[1:] == p[:-1]) & (c[1:] == c[:-1]) & (r[1:] >= 0) & (r[:-1] >= 0) & (r[1:] != r[:-1])
    cross = same & (g[1:] != g[:-1])
    out = []
    for mask, share, kind in ((cross, 0.35, "email"), (same & ~cross, 0.12, "chat")):
        i = np.flatnonzero(mask & (rng.random(len(mask)) < share))
        gap = t[i + 1] - t[i]
        ts = np.minimum(cal.add_work(t[i] + (gap * rng.uniform(0.05, 0.5, len(i))).astype(np.int64), np.zeros(len(i))),
                        t[i + 1])
        ts = np.maximum(ts, t[i])
        case_ids = pa.chunked_array([pa.array([], pa.string())] + [
            object_ids(PROCESSES[PROCESS_NAMES[k]], c[i][p[i] == k]) for k in range(len(PROCESS_NAMES))]).combine_chunks()
        order = np.argsort(p[i], kind="stable")
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        case_ids = pc.take(case_ids, pa.array(inv))
        refs = pa.ListArray.from_arrays(pa.array(np.arange(len(i) + 1, dtype=np.int32)), case_ids)
        if kind == "email":
            venue = _const("email", len(i))
            subject = pc.binary_join_element_wise(case_ids, pc.take(pa.array(list(ev.activities)), pa.array(a[i + 1])), ": ")
        else:
            venue = pc.take(pa.array([f"chat:#{_slug(x)}" for x in GROUPS]), pa.array(g[i + 1].astype(np.int64)))
            subject = _const(None, len(i))
        out.append(Chunk(ts, r[i], [np.array([x]) for x in r[i + 1]], venue, kind, subject, refs))
    return out


def _team_life(sim: Sim) -> list[Chunk]:
    """Everyday chat and e-mail inside each group, and the weekly team meeting."""
    rng, cal, org = sim.rng, sim.cal, sim.org
    days = cal.workdays[(cal.workdays * DAY >= cal.t0) & (cal.workdays * DAY < sim.end)]
    out = []
    for gi, group in enumerate(GROUPS):
        mem = org.members(group)
        k = rng.poisson(0.8 * len(mem), len(days))
        d = np.repeat(days, k)
        ts = d * DAY + cal.open + (rng.random(len(d)) * cal.shift).astype(np.int64)
        snd = mem[rng.integers(0, len(mem), len(d))]
        out.append(Chunk(ts, snd, [mem[mem != s] for s in snd], _const(f"chat:#{_slug(group)}", len(d)), "chat",
                         _const(None, len(d)), _no_refs(len(d))))
        k = rng.poisson(0.25 * len(mem), len(days))
        d = np.repeat(days, k)
        ts = d * DAY + cal.open + (rng.random(len(d)) * cal.shift).astype(np.int64)
        snd = mem[rng.integers(0, len(mem), len(d))]
        rec = [rng.choice(mem[mem != s], size=min(len(mem) - 1, 1 + int(rng.integers(0, 2))), replace=False)
               for s in snd]
        subj = pa.array(np.array(EMAIL_SUBJECTS)[rng.integers(0, len(EMAIL_SUBJECTS), len(d))])
        out.append(Chunk(ts, snd, rec, _const("email", len(d)), "email", subj, _no_refs(len(d))))
        mondays = days[(days + 3) % 7 == 0]
        lead = org.lead(group)
        out.append(Chunk(mondays * DAY + int(9.5 * HOUR), np.full(len(mondays), lead),
                         [mem[mem != lead]] * len(mondays), _const(f"meeting:{_slug(group)}-weekly", len(mondays)),
                         "meeting", _const(f"{group} weekly", len(mondays)), _no_refs(len(mondays))))
    return out


def _watering_holes(sim: Sim) -> list[Chunk]:
    rng, cal = sim.rng, sim.cal
    out = []
    wf = sim.state["venues"]["warehouse-finance"]
    cq = sim.state["venues"]["care-quality-coffee"]
    members = np.array(wf.members)
    warehouse = np.array([p for p in wf.members if p in set(sim.org.members("Warehouse").tolist())])
    for d in [x for x in sim.discussions if x.venue == wf.venue]:
        n = len(d.ts)
        refs_flat = pa.array(np.column_stack([np.asarray(r) for r in d.refs]).ravel())
        width = len(d.refs)
        refs = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32) * width), refs_flat)
        subj = pc.binary_join_element_wise(pa.array(d.refs[0]), pa.scalar(" blocked ("), pa.array(d.refs[1]),
                                           pa.scalar(")"), "")
        out.append(Chunk(d.ts, d.sender, [members[members != s] for s in d.sender], _const(wf.venue, n), "chat",
                         subj, refs))
        reply = warehouse[rng.integers(0, len(warehouse), n)]
        rts = d.ts + rng.integers(120, 2400, n)
        out.append(Chunk(rts, reply, [members[members != s] for s in reply], _const(wf.venue, n), "chat",
                         pc.binary_join_element_wise(pa.scalar("Re: "), subj, ""), refs))
    # small talk keeps the channel alive between cases
    days = cal.workdays[(cal.workdays * DAY >= wf.start) & (cal.workdays * DAY < sim.end)]
    d = days[rng.random(len(days)) < 0.6]
    snd = members[rng.integers(0, len(members), len(d))]
    out.append(Chunk(d * DAY + cal.open + (rng.random(len(d)) * cal.shift).astype(np.int64), snd,
                     [members[members != s] for s in snd], _const(wf.venue, len(d)), "chat", _const(None, len(d)),
                     _no_refs(len(d))))
    # the weekly coffee: one meeting per Thursday, listing the complaints talked through
    cmembers = np.array(cq.members)
    thursdays = days[(days + 3) % 7 == 3] if len(days) else days
    thursdays = cal.workdays[(cal.workdays * DAY >= cq.start) & (cal.workdays * DAY < sim.end)]
    thursdays = thursdays[(thursdays + 3) % 7 == 3]
    talk = [x for x in sim.discussions if x.venue == cq.venue]
    when = np.concatenate([x.ts for x in talk]) if talk else np.zeros(0, np.int64)
    what = np.concatenate([np.asarray(x.refs[0]) for x in talk]) if talk else np.zeros(0, str)
    meet = np.unique(np.concatenate([thursdays * DAY + 10 * HOUR, when]))
    o = np.argsort(when, kind="stable")
    when, what = when[o], what[o]
    lo = np.searchsorted(when, meet, "left")
    hi = np.searchsorted(when, meet, "right")
    offsets = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int32)
    flat = np.concatenate([what[a:b] for a, b in zip(lo, hi)]) if len(meet) else np.zeros(0, str)
    refs = pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat.astype(str).tolist(), pa.string()))
    n = len(meet)
    subj = pc.binary_join_element_wise(pa.scalar("Care & Quality coffee: "), pc.binary_join(refs, ", "), "")
    subj = pc.if_else(pc.equal(pc.list_value_length(refs), 0), pa.scalar("Care & Quality coffee"), subj)
    out.append(Chunk(meet, np.full(n, cq.members[0]), [cmembers[1:]] * n, _const(cq.venue, n), "meeting", subj, refs))
    return out

"""A process held as compact arrays (cases, variants, events, event pairs), and an engine answering
case-level filters and activity projections from them without selecting the log again.

Built once per workspace state from the DuckDB engine's unfiltered selection (the same events,
codes and order as every other summary), then kept in memory: per case its variant, event count,
first and last timestamp; per variant its trace; per event (ordered by case, timestamp, eid) its
case, activity code and timestamp; per consecutive pair of events of a case its edge and transition
time, sorted by (edge, time) once; per measured service time (the FIFO START/COMPLETE pairing of
``ACTIVITIES_SQL``) its case, activity and duration, sorted by (activity, duration).

:class:`CubeEngine` implements :class:`procatlas.engine.Engine` for the filters that only choose
cases (time window other than ``trim``, case attributes, with/without activities, duration range,
top variants, variant share) plus the projection on activities (``event_attributes`` on
``activity``); :meth:`Cube.supports` says which filters those are.  Its answers are the DuckDB
engine's, in the same order (tests/engine/test_cube.py compares them): counts come from the chosen
cases' variants, transition and service times from the pre-sorted pair and service arrays masked
by the chosen cases, so order statistics need no sort; a projection keeps the pairs whose two
events are kept and sorts only the pairs bridging removed events before a linear merge.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from procatlas.engine.base import Selection
from procatlas.engine.duck import DuckDBEngine
from procatlas.engine.queries import CASE_COLUMNS, EVENT_COLUMNS
from procatlas.errors import InputError
from procatlas.model.discovery import Filters

_ids = itertools.count(1)
_EPOCH = datetime(1970, 1, 1)
_ACTIVITY_KEYS = {k for k, col in EVENT_COLUMNS.items() if col == "e.activity"}

# Case index: cases in the order CASE_DURATIONS_SQL lists them; g numbers the distinct traces in
# trace order (the tie-break of the variant numbering).
CUBE_INDEX_SQL = """
CREATE TEMP TABLE {idx} AS
WITH g AS (
    SELECT variant, CAST(row_number() OVER (ORDER BY trace) - 1 AS INTEGER) AS g
    FROM (SELECT variant, any_value(trace) AS trace FROM {cases} GROUP BY variant) v
)
SELECT c.cid, CAST(row_number() OVER (ORDER BY c.first_ts, c.cid) - 1 AS INTEGER) AS i, g.g
FROM {cases} c JOIN g ON g.variant = c.variant
"""

CUBE_CASES_SQL = """
SELECT c.case_id, c.n, epoch_us(c.first_ts) AS first_us, epoch_us(c.last_ts) AS last_us, x.g
FROM {cases} c JOIN {idx} x ON x.cid = c.cid
ORDER BY x.i
"""

CUBE_VARIANTS_SQL = """
SELECT x.g, any_value(c.trace) AS trace
FROM {cases} c JOIN {idx} x ON x.cid = c.cid
GROUP BY x.g ORDER BY x.g
"""

CUBE_EVENTS_SQL = """
SELECT x.i AS case_i, CAST(ev.code - 1 AS SMALLINT) AS code, epoch_us(ev.ts) AS ts, ev.lc,
       epoch_us(ev.start_ts) AS start_us
FROM {ev} ev JOIN {idx} x ON x.cid = ev.cid
ORDER BY x.i, ev.ts, ev.eid
"""

# One case attribute per case, in case order (the attribute filter; read when first asked).
CUBE_ATTRIBUTE_SQL = """
SELECT o.oid, json_extract_string(o.attributes, ?) AS value
FROM object o WHERE o.type = ?
ORDER BY o.oid
"""


def _us(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets and lengths of the runs of equal values in a sorted array."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return starts, np.diff(np.r_[starts, len(keys)])


def order_stats(values: np.ndarray, starts: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, median, 90th percentile (linear interpolation, as quantile_cont), min and max of each
    run ``values[starts[j]:starts[j]+n[j]]`` of an array sorted within runs (all runs non-empty)."""
    if not len(starts):
        empty = np.zeros(0)
        return {"mean": empty, "median": empty, "p90": empty, "min": empty, "max": empty}

    def q(p: float) -> np.ndarray:
        pos = starts + p * (n - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)
    return {"mean": np.add.reduceat(values, starts) / n, "median": q(0.5), "p90": q(0.9),
            "min": values[starts], "max": values[starts + n - 1]}


def _per_case(per_variant: np.ndarray, var: np.ndarray) -> np.ndarray:
    """A boolean per variant read per case (False for cases without a variant: no events left)."""
    out = np.zeros(len(var), bool)
    some = var >= 0
    out[some] = per_variant[var[some]]
    return out


def _by_count_then_name(counts: np.ndarray) -> np.ndarray:
    """Codes with a count, most first, ties by code (codes are in name order)."""
    nz = np.flatnonzero(counts)
    return nz[np.lexsort((nz, -counts[nz]))]


@dataclass
class _Variants:
    """Distinct traces (codes 0..k-1), numbered in trace order: flat codes and their variant."""

    flat: np.ndarray
    parent: np.ndarray
    m: int
    k: int
    memo: dict = field(default_factory=dict)  # occurrences, ends, edges: computed once per variant set

    def _once(self, name: str, compute):
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]

    @classmethod
    def of(cls, traces: list[np.ndarray], k: int) -> _Variants:
        lens = np.array([len(t) for t in traces], np.int64)
        flat = np.concatenate(traces).astype(np.int64) if traces else np.zeros(0, np.int64)
        return cls(flat, np.repeat(np.arange(len(traces)), lens), len(traces), k)

    def occurrences(self) -> np.ndarray:
        """(variants x codes) occurrence counts."""
        return self._once("occurrences", lambda: np.bincount(
            self.parent * self.k + self.flat, minlength=self.m * self.k).reshape(self.m, self.k))

    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last code of each variant."""
        return self._once("ends", self._ends)

    def _ends(self) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.flat):
            return self.flat, self.flat
        same = self.parent[1:] == self.parent[:-1]
        first = np.r_[True, ~same]
        last = np.r_[~same, True]
        return self.flat[first], self.flat[last]

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(variant, edge code s*k+t, occurrences) for every distinct edge of every variant."""
        return self._once("edges", self._edges)

    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        same = self.parent[1:] == self.parent[:-1]
        owner = self.parent[:-1][same]
        edge = self.flat[:-1][same] * self.k + self.flat[1:][same]
        kk = self.k * self.k
        u, occ = np.unique(owner * kk + edge, return_counts=True)
        return u // kk, u % kk, occ

    def project(self, keep: np.ndarray) -> tuple[_Variants, np.ndarray]:
        """The distinct traces on the kept codes, and per variant its projected variant (-1: empty)."""
        kept = keep[self.flat]
        flat, parent = self.flat[kept], self.parent[kept]
        lens = np.bincount(parent, minlength=self.m)
        # one row per variant of big-endian codes + 1, padded with zeros: compared as bytes, rows
        # sort like the traces (a prefix before its extensions); unique rows are the new variants
        width = max(int(lens.max(initial=0)), 1)
        rows = np.zeros((self.m, width), ">u2" if self.k < 2**16 - 1 else ">u4")
        rows[parent, np.arange(len(flat)) - (np.cumsum(lens) - lens)[parent]] = flat + 1
        _, first, to = np.unique(rows.view(f"S{width * rows.itemsize}").reshape(-1), return_index=True,
                                 return_inverse=True)
        to = to.reshape(-1).astype(np.int64)
        if (lens == 0).any():  # the all-zero row sorts first: the empty trace, no variant
            first, to = first[1:], to - 1
            to[lens == 0] = -1
        distinct = rows[first].astype(np.int64)
        return _Variants(distinct[distinct > 0] - 1, np.repeat(np.arange(len(first)), (distinct > 0).sum(axis=1)),
                         len(first), self.k), to


@dataclass
class _Chosen:
    """One selection: the chosen cases and what they need (per-case arrays are over all cases)."""

    filters: Filters
    chosen: np.ndarray            # bool per case
    variants: _Variants           # the variant space (projected when ``keep`` is set)
    var: np.ndarray               # variant per case in that space (-1: no events left)
    number: np.ndarray            # per variant: its number under the filters (0: none chosen)
    counts: np.ndarray            # per variant: chosen cases
    n: np.ndarray                 # events per case
    first: np.ndarray             # first / last timestamp per case (microseconds)
    last: np.ndarray
    keep: np.ndarray | None       # kept codes of a projection
    kept_events: tuple | None = None  # a projection's kept events: positions and their cases
    every_case: bool = False      # no case-level filter: every case with events is chosen


class Cube:
    """The arrays of one process (see the module docstring); thread-safe to read.

    >>> from procatlas.workspace.core import Workspace
    >>> Cube(Workspace(":memory:"), "orders")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    procatlas.errors.InputError: no process 'orders' in the workspace; ...
    """

    pack_bits = 62  # edge code and time packed into one int64 when they fit (tests lower it)

    def __init__(self, ws, process: str) -> None:
        engine = DuckDBEngine(ws)
        sel = engine.select(process, Filters())
        idx = f"pa_cube{next(_ids)}_idx"
        try:
            ws.execute(CUBE_INDEX_SQL.format(idx=idx, cases=sel.cases_table))
            names = [r[0] for r in ws.rows(f"SELECT activity FROM {sel.activities_table} ORDER BY code")]
            fmt = {"idx": idx, "cases": sel.cases_table, "ev": sel.events_table}
            cases = ws.arrow(CUBE_CASES_SQL.format(**fmt))
            traces = ws.arrow(CUBE_VARIANTS_SQL.format(**fmt))
            events = ws.arrow(CUBE_EVENTS_SQL.format(**fmt))
            cids = ws.arrow(f"SELECT cid, i FROM {idx} ORDER BY i")
        finally:
            ws.execute(f"DROP TABLE IF EXISTS {idx}")
            engine.release(sel)
        self.process = process
        self.names = names
        self.k = k = len(names)
        self.case_id = cases["case_id"].combine_chunks()
        self.case_n = cases["n"].to_numpy().astype(np.int64, copy=False)
        self.first = cases["first_us"].to_numpy().astype(np.int64, copy=False)
        self.last = cases["last_us"].to_numpy().astype(np.int64, copy=False)
        self.case_var = cases["g"].to_numpy().astype(np.int64, copy=False)
        self.cid = cids["cid"].to_numpy()
        self.variants = _Variants.of([np.asarray(t, np.int64) - 1 for t in traces["trace"].to_pylist()], k)
        self.ev_case = events["case_i"].to_numpy().astype(np.int32, copy=False)
        self.ev_code = events["code"].to_numpy().astype(np.int16, copy=False)
        self.ev_ts = events["ts"].to_numpy().astype(np.int64, copy=False)
        # pairs of consecutive events of a case: edge s*k+t and transition time, sorted by both,
        # packed into one int64 when the edge codes and the log's time span fit in 62 bits
        at = np.flatnonzero(self.ev_case[1:] == self.ev_case[:-1])
        edge = self.ev_code[at].astype(np.int64) * k + self.ev_code[at + 1]
        gap = self.ev_ts[at + 1] - self.ev_ts[at]
        span = int(self.ev_ts.max() - self.ev_ts.min()) if len(self.ev_ts) else 0
        self._bits = max(1, span.bit_length())
        # the times of a case add up to its duration: per-edge sums stay below the sum of durations
        self._packed = ((max(1, k * k - 1)).bit_length() + self._bits <= self.pack_bits
                        and float((self.last - self.first).sum()) < 2.0**61)
        if self._packed:
            key = self._pack(edge, gap)
            order = np.argsort(key)
            self.pair_key = key[order]
            starts, runs = _groups(self.pair_key >> self._bits)
            edges = (self.pair_key >> self._bits)[starts]
            # per edge code: where its run starts, how long it is, the sum of its times
            self.run_start = np.searchsorted(self.pair_key, np.arange(k * k, dtype=np.int64) << self._bits)
            self.run_len = np.zeros(k * k, np.int64)
            self.run_len[edges] = runs
            self.run_sum = np.zeros(k * k, np.int64)
            if len(starts):
                self.run_sum[edges] = np.add.reduceat(self.pair_key & ((1 << self._bits) - 1), starts)
        else:
            order = np.lexsort((gap, edge))
            self.pair_edge, self.pair_gap = edge[order], gap[order]
        self.pair_case = self.ev_case[at][order]
        lc = events["lc"].to_numpy().astype(np.int8, copy=False)
        start_us = events["start_us"].combine_chunks()
        own = pc.fill_null(pc.greater_equal(events["ts"].combine_chunks(), start_us), False).to_numpy(
            zero_copy_only=False)
        self._service(lc, own, start_us.fill_null(0).to_numpy().astype(np.int64, copy=False))
        # cases sorted by (variant, duration): per-variant duration statistics without a sort
        self.duration = (self.last - self.first) / 1e6
        self.by_variant = np.lexsort((self.duration, self.case_var))
        self.variants.occurrences(), self.variants.ends(), self.variants.edges()
        self._attributes: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _service(self, lc: np.ndarray, own: np.ndarray, start_us: np.ndarray) -> None:
        """The service times of ``ACTIVITIES_SQL``, one per measurement with its case, sorted by
        (activity, time): the i-th START of an activity in a case with its i-th COMPLETE (when not
        earlier), and events that carry their own start timestamp (``own``)."""
        keys = []
        shift = max(len(self.ev_ts), 1).bit_length()
        for kind in (1, 2):
            at = np.flatnonzero(lc == kind)
            # by (case, activity), then position: (timestamp, eid) order within a group
            group = self.ev_case[at].astype(np.int64) * self.k + self.ev_code[at]
            if (len(self.case_n) * self.k).bit_length() + shift <= 62:  # one sort of packed keys
                key = np.sort((group << shift) | at)
                at, group = key & ((1 << shift) - 1), key >> shift
            else:
                order = np.argsort(group, kind="stable")
                at, group = at[order], group[order]
            starts, runs = _groups(group)
            rank = np.arange(len(at)) - np.repeat(starts, runs)
            keys.append((at, group, rank))
        width = 1 + max((int(r.max()) for _, _, r in keys if len(r)), default=0)
        (sa, sg, sr), (ca, cg, cr) = keys
        skey, ckey = sg * width + sr, cg * width + cr  # both sorted
        pos = np.minimum(np.searchsorted(skey, ckey), max(len(skey) - 1, 0))
        paired = (skey[pos] == ckey) if len(skey) else np.zeros(len(ckey), bool)
        begin, done = sa[pos[paired]], ca[paired]
        fine = self.ev_ts[done] >= self.ev_ts[begin]
        begin, done = begin[fine], done[fine]
        direct = np.flatnonzero(own)
        at = np.concatenate([done, direct])
        us = np.concatenate([self.ev_ts[done] - self.ev_ts[begin], self.ev_ts[direct] - start_us[direct]])
        code = self.ev_code[at].astype(np.int64)
        bits = int(us.max(initial=0)).bit_length()
        order = np.argsort((code << bits) | us) if (self.k - 1).bit_length() + bits <= 62 \
            else np.lexsort((us, code))
        self.sv_case = self.ev_case[at][order].astype(np.int64)
        self.sv_code = code[order]
        self.sv_s = us[order] / 1e6

    def __repr__(self) -> str:
        return f"Cube({self.process!r}: {len(self.case_n)} cases, {len(self.ev_code)} events)"

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray))

    def _pack(self, edge: np.ndarray, gap: np.ndarray) -> np.ndarray:
        return (edge.astype(np.int64) << self._bits) | gap

    @staticmethod
    def supports(filters: Filters) -> bool:
        """Whether :class:`CubeEngine` answers these filters (case-level ones and activity projections)."""
        return filters.time_mode != "trim" and all(name in _ACTIVITY_KEYS for name, _ in filters.event_attributes)

    # -- filters --------------------------------------------------------------------------------
    def attribute(self, ws, name: str) -> np.ndarray:
        """One case attribute's values in case order (None when absent), read once per name."""
        with self._lock:
            if name not in self._attributes:
                path = '$."' + name.removeprefix("case:").replace('"', '\\"') + '"'
                t = ws.arrow(CUBE_ATTRIBUTE_SQL, [path, self.process])
                at = np.searchsorted(t["oid"].to_numpy(), self.cid)
                self._attributes[name] = t["value"].combine_chunks().take(pa.array(at))
            return self._attributes[name]

    def choose(self, ws, filters: Filters) -> _Chosen:
        """The cases (and projection) the filters keep, with the engine's variant numbering."""
        if not self.supports(filters):
            raise InputError("these filters need the event-level engine")
        mask = np.ones(len(self.case_n), bool)
        for name, values in filters.case_attributes:
            column = self.case_id if name in CASE_COLUMNS else self.attribute(ws, name)
            mask &= pc.fill_null(pc.is_in(column, value_set=pa.array(values, pa.string())), False) \
                .to_numpy(zero_copy_only=False)
        keep = None
        kept_events = None
        variants, var, n, first, last = self.variants, self.case_var, self.case_n, self.first, self.last
        if filters.event_attributes:
            keep = np.ones(self.k, bool)
            for _name, values in filters.event_attributes:
                keep &= np.isin(np.array(self.names, object), list(values))
            variants, to = self.variants.project(keep)
            var = to[self.case_var]
            kept = keep[self.ev_code]
            if filters.case_attributes:
                kept &= mask[self.ev_case]
            at = np.flatnonzero(kept)
            owner = self.ev_case[at]
            bounds = np.searchsorted(owner, np.arange(len(self.case_n) + 1))
            n = np.diff(bounds)
            top = max(len(at) - 1, 0)
            first = self.ev_ts[at[np.minimum(bounds[:-1], top)]] if len(at) else np.zeros(len(n), np.int64)
            last = self.ev_ts[at[np.clip(bounds[1:] - 1, 0, top)]] if len(at) else np.zeros(len(n), np.int64)
            mask &= n > 0
            kept_events = (at, owner)
        mask &= self._having(filters, variants, var, first, last)
        counts = np.bincount(var[mask], minlength=variants.m)
        number = np.zeros(variants.m, np.int64)
        ranked = _by_count_then_name(counts)
        number[ranked] = np.arange(1, len(ranked) + 1)
        keep_variant = counts > 0
        if filters.top_variants is not None:
            keep_variant &= number <= int(filters.top_variants)
        if filters.min_variant_share is not None:
            keep_variant &= counts >= float(filters.min_variant_share) * int(mask.sum())
        mask &= _per_case(keep_variant, var)
        every = filters.replace(event_attributes=()) == Filters()
        if kept_events is not None and not every:
            still = mask[kept_events[1]]
            kept_events = (kept_events[0][still], kept_events[1][still])
        return _Chosen(filters, mask, variants, var, number * keep_variant, counts * keep_variant, n, first, last,
                       keep, kept_events, every)

    def _having(self, f: Filters, variants: _Variants, var: np.ndarray, first: np.ndarray,
                last: np.ndarray) -> np.ndarray:
        ok = np.ones(len(var), bool)
        lo = None if f.start is None else _us(f.start)
        hi = None if f.end is None else _us(f.end)
        bounds = {"contained": (first, last), "started": (first, first), "completed": (last, last),
                  "intersecting": (last, first)}.get(f.time_mode)
        if bounds is not None:
            if lo is not None:
                ok &= bounds[0] >= lo
            if hi is not None:
                ok &= bounds[1] <= hi
        if f.with_activities or f.without_activities:
            present = variants.occurrences() > 0
            codes = {a: i for i, a in enumerate(self.names)}
            has = np.zeros((variants.m, 2), bool)
            for j, acts in enumerate((f.with_activities, f.without_activities)):
                cols = [codes[a] for a in acts if a in codes]
                has[:, j] = present[:, cols].any(axis=1) if cols else False
            if f.with_activities:
                ok &= _per_case(has[:, 0], var)
            ok &= ~_per_case(has[:, 1], var)
        if f.min_duration is not None or f.max_duration is not None:
            duration = (last - first) / 1e6
            if f.min_duration is not None:
                ok &= duration >= f.min_duration
            if f.max_duration is not None:
                ok &= duration <= f.max_duration
        return ok

    # -- summaries (the engine's tables) -------------------------------------------------------
    def _decode(self, codes: np.ndarray) -> pa.Array:
        return pa.array([self.names[c] for c in codes.tolist()], pa.string())

    def dfg(self, c: _Chosen, performance: bool = True) -> pa.Table:
        k = self.k
        occ_var, edge, occ = c.variants.edges()
        freq = np.bincount(edge, weights=c.counts[occ_var] * occ, minlength=k * k).astype(np.int64)
        cases = np.bincount(edge, weights=c.counts[occ_var], minlength=k * k).astype(np.int64)
        present = np.flatnonzero(freq)
        names = np.array(self.names, object)
        order = np.lexsort((names[present % k], names[present // k], -freq[present])) if len(present) else present
        present = present[order]
        cols = {"source": self._decode(present // k), "target": self._decode(present % k),
                "frequency": pa.array(freq[present], pa.int64()), "cases": pa.array(cases[present], pa.int64())}
        if performance:
            edges, st = self._pair_stats(c)
            row = np.full(k * k, -1, np.int64)
            row[edges] = np.arange(len(edges))
            at = row[present]
            for name in ("mean", "median", "p90", "max"):
                cols[f"{name}_s"] = pa.array(st[name][at], pa.float64())
        return pa.table(cols)

    def _pair_stats(self, c: _Chosen) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The edges of the selection's pairs and their transition time statistics (seconds)."""
        if not self._packed:
            edge, gap = self._pairs_unpacked(c)
            starts, runs = _groups(edge)
            return edge[starts], order_stats(gap / 1e6, starts, runs)
        empty = np.zeros(0, np.int64)
        every_edge = np.ones(self.k * self.k, bool)
        if c.keep is None:
            if c.every_case:  # every pair: the runs as they are
                return self._union_stats(self.pair_key, empty, every_edge)
            return self._union_stats(self.pair_key[c.chosen[self.pair_case]], empty)
        # pairs whose two events are kept stay pairs of the projection (already sorted): whole
        # runs of the kept edges when no case is filtered out; the pairs bridging removed events
        # are new: only those are sorted
        keep_edge = (c.keep[:, None] & c.keep[None, :]).ravel()
        at, owner = c.kept_events
        bridge = (owner[1:] == owner[:-1]) & (at[1:] != at[:-1] + 1)
        a, b = at[:-1][bridge], at[1:][bridge]
        new = np.sort(self._pack(self.ev_code[a].astype(np.int64) * self.k + self.ev_code[b],
                                 self.ev_ts[b] - self.ev_ts[a]))
        if c.every_case:
            return self._union_stats(self.pair_key, new, keep_edge)
        stay = np.repeat(keep_edge, self.run_len) & c.chosen[self.pair_case]
        return self._union_stats(self.pair_key[stay], new)

    def _union_stats(self, a: np.ndarray, b: np.ndarray,
                     runs_of: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Per edge, statistics of the times in two sorted arrays of packed keys, without merging
        them: order statistics by a binary search on the time value, vectorised over edges.
        ``runs_of``: ``a`` is the cube's whole pair array, of which only these edges' runs count."""
        bits, low = self._bits, (1 << self._bits) - 1
        base = np.arange(self.k * self.k, dtype=np.int64) << bits
        if runs_of is not None:
            sa, na = self.run_start, np.where(runs_of, self.run_len, 0)
        else:
            sa = np.searchsorted(a, base)
            na = np.searchsorted(a, base | low, side="right") - sa
        sb = np.searchsorted(b, base)
        nb = np.searchsorted(b, base | low, side="right") - sb
        edges = np.flatnonzero(na + nb)
        total = np.zeros(len(edges))
        if runs_of is not None:
            total += np.where(runs_of, self.run_sum, 0)[edges] / 1e6
        sa, na, sb, nb = sa[edges], na[edges], sb[edges], nb[edges]
        n = na + nb
        for x, start, m in ((a, sa, na), (b, sb, nb))[1 if runs_of is not None else 0:]:
            some = m > 0
            if some.any():  # the runs of present edges tile the array: reduceat sums each run
                # integer microseconds: exact (at most the sum of case durations, checked to fit
                # when the cube was built)
                total[some] += np.add.reduceat(x & low, start[some]) / 1e6

        def kth(rank: np.ndarray, e: np.ndarray) -> np.ndarray:
            # the smallest time t with at least rank+1 values <= t among the edge's pairs
            lo, hi = np.zeros(len(rank), np.int64), np.full(len(rank), low, np.int64)
            key = edges[e] << bits
            while (lo < hi).any():
                mid = (lo + hi) // 2
                count = (np.clip(np.searchsorted(a, key | mid, side="right") - sa[e], 0, na[e])
                         + np.searchsorted(b, key | mid, side="right") - sb[e])
                enough = count >= rank + 1
                hi, lo = np.where(enough, mid, hi), np.where(enough, lo, mid + 1)
            return lo / 1e6

        every = np.arange(len(edges))

        def quantile(p: float) -> np.ndarray:
            pos = p * (n - 1)
            lo = np.floor(pos).astype(np.int64)
            both = kth(np.r_[lo, np.ceil(pos).astype(np.int64)], np.r_[every, every])
            return both[:len(lo)] + (both[len(lo):] - both[:len(lo)]) * (pos - lo)
        return edges, {"mean": total / np.maximum(n, 1), "median": quantile(0.5), "p90": quantile(0.9),
                       "max": kth(n - 1, every)}

    def _pairs_unpacked(self, c: _Chosen) -> tuple[np.ndarray, np.ndarray]:
        """Edge and time of every pair of the selection, sorted by both (logs too wide to pack)."""
        if c.keep is None:
            m = c.chosen[self.pair_case]
            return self.pair_edge[m], self.pair_gap[m]
        at, owner = c.kept_events
        same = owner[1:] == owner[:-1]
        a, b = at[:-1][same], at[1:][same]
        edge = self.ev_code[a].astype(np.int64) * self.k + self.ev_code[b]
        gap = self.ev_ts[b] - self.ev_ts[a]
        order = np.lexsort((gap, edge))
        return edge[order], gap[order]

    def start_end(self, c: _Chosen, end: bool) -> pa.Table:
        first, last = c.variants.ends()
        x = np.bincount(last if end else first, weights=c.counts, minlength=self.k).astype(np.int64)
        codes = _by_count_then_name(x)
        return pa.table({"activity": self._decode(codes), "cases": pa.array(x[codes], pa.int64())})

    def activities(self, c: _Chosen) -> pa.Table:
        occ = c.variants.occurrences()
        events = (occ * c.counts[:, None]).sum(axis=0)
        cases = ((occ > 0) * c.counts[:, None]).sum(axis=0)
        m = c.chosen[self.sv_case]
        if c.keep is not None:
            m &= c.keep[self.sv_code]
        code, secs = self.sv_code[m], self.sv_s[m]
        starts, runs = _groups(code)
        st = order_stats(secs, starts, runs)
        row = np.full(self.k, -1, np.int64)
        row[code[starts]] = np.arange(len(starts))
        codes = _by_count_then_name(events)
        at = row[codes]
        has = at >= 0

        def col(values: np.ndarray) -> pa.Array:
            return pa.array(np.where(has, values[np.maximum(at, 0)] if len(values) else 0.0, np.nan),
                            pa.float64(), mask=~has)
        return pa.table({"activity": self._decode(codes), "events": pa.array(events[codes], pa.int64()),
                         "cases": pa.array(cases[codes], pa.int64()),
                         "timed": pa.array(np.where(has, runs[np.maximum(at, 0)] if len(runs) else 0, 0), pa.int64()),
                         "service_mean_s": col(st["mean"]), "service_median_s": col(st["median"]),
                         "service_p90_s": col(st["p90"]), "service_max_s": col(st["max"])})

    def variant_table(self, c: _Chosen) -> pa.Table:
        chosen = int(c.chosen.sum())
        duration = (c.last - c.first) / 1e6
        if c.keep is None:
            order = self.by_variant[c.chosen[self.by_variant]]
        else:
            ids = np.flatnonzero(c.chosen)
            order = ids[np.lexsort((duration[ids], c.var[ids]))]
        vs, runs = _groups(c.var[order])
        st = order_stats(duration[order], vs, runs)
        variant = c.var[order][vs] if len(vs) else np.zeros(0, np.int64)
        rank = np.argsort(c.number[variant])
        variant, runs = variant[rank], runs[rank]
        lens = np.bincount(c.variants.parent, minlength=c.variants.m)
        traces = pa.ListArray.from_arrays(pa.array(np.r_[0, np.cumsum(lens)], pa.int32()),
                                          pa.array(self.names, pa.string()).take(pa.array(c.variants.flat)))
        return pa.table({"variant": pa.array(c.number[variant], pa.int64()),
                         "activities": traces.take(pa.array(variant, pa.int64())),
                         "cases": pa.array(runs, pa.int64()), "share": pa.array(runs / max(chosen, 1), pa.float64()),
                         **{f"{s}_s": pa.array(st[s][rank], pa.float64())
                            for s in ("mean", "median", "p90", "min", "max")}})

    def case_durations(self, c: _Chosen) -> pa.Table:
        ids = np.flatnonzero(c.chosen)
        if c.keep is not None:  # the first timestamps moved: order again (ties by case index ~ cid order)
            ids = ids[np.lexsort((self.cid[ids], c.first[ids]))]
        return pa.table({"case_id": self.case_id.take(pa.array(ids)), "events": pa.array(c.n[ids], pa.int64()),
                         "start": pa.array(c.first[ids], pa.int64()).cast(pa.timestamp("us")),
                         "end": pa.array(c.last[ids], pa.int64()).cast(pa.timestamp("us")),
                         "duration_s": pa.array((c.last[ids] - c.first[ids]) / 1e6, pa.float64()),
                         "variant": pa.array(c.number[c.var[ids]], pa.int64())})


class CubeEngine:
    """:class:`procatlas.engine.Engine` over a :class:`Cube` (filters it supports only)."""

    def __init__(self, cube: Cube, ws) -> None:
        self.cube, self.ws = cube, ws
        self._open: dict[str, _Chosen] = {}

    def select(self, process: str, filters: Filters | None = None) -> Selection:
        if process != self.cube.process:
            raise InputError(f"this engine holds process '{self.cube.process}', not '{process}'")
        filters = filters or Filters()
        c = self.cube.choose(self.ws, filters)
        key = f"cube{next(_ids)}"
        self._open[key] = c
        return Selection(process, filters, key, key, key, int(c.chosen.sum()), int(c.n[c.chosen].sum()))

    def release(self, selection: Selection) -> None:
        self._open.pop(selection.events_table, None)

    def _chosen(self, sel: Selection) -> _Chosen:
        return self._open[sel.events_table]

    def dfg(self, selection: Selection, *, performance: bool = True) -> pa.Table:
        return self.cube.dfg(self._chosen(selection), performance)

    def start_activities(self, selection: Selection) -> pa.Table:
        return self.cube.start_end(self._chosen(selection), end=False)

    def end_activities(self, selection: Selection) -> pa.Table:
        return self.cube.start_end(self._chosen(selection), end=True)

    def activities(self, selection: Selection) -> pa.Table:
        return self.cube.activities(self._chosen(selection))

    def variants(self, selection: Selection) -> pa.Table:
        return self.cube.variant_table(self._chosen(selection))

    def case_durations(self, selection: Selection) -> pa.Table:
        return self.cube.case_durations(self._chosen(selection))

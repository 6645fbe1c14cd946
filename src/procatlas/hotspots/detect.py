"""Run the exception detectors of a process: SQL on the step table, Python on the variant table."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from procatlas.engine.base import Selection
from procatlas.errors import InputError
from procatlas.hotspots import flow, patterns, resources, social, timing
from procatlas.hotspots import conformance as conf
from procatlas.hotspots.settings import DEFAULT_PATTERNS, ExceptionSettings
from procatlas.hotspots.steps import EX_SQL, NAMED_STEPS_SQL, RESULT_SQL, VARIANT_ROWS_SQL
from procatlas.model.exceptions import EXCEPTION_SCHEMA, ConformanceResult, ExceptionsResult

_ids = itertools.count(1)
DETECTORS = ("rework", "skipped_step", "order_violation", "conformance", "rare_path", "long_wait", "sla_breach",
             *DEFAULT_PATTERNS, "unusual_resource", "social_escalation")
_VROW = pa.schema([("variant", pa.int64()), ("pos", pa.int32()), ("type", pa.string()), ("activity", pa.string()),
                   ("target", pa.string()), ("delay_s", pa.float64()), ("explanation", pa.string()),
                   ("detail", pa.string())])


class Detection:
    """Temporary tables of one detection run; ``close()`` drops them.  The step table is the
    selection's own (``engine.steps``), shared with whatever else reads the selection."""

    def __init__(self, proc, sel: Selection, settings: ExceptionSettings):
        self.proc, self.sel, self.s = proc, sel, settings
        self.ws = proc.workspace
        n = next(_ids)
        self.st, self.ex = f"pa_hs{n}_st", f"pa_hs{n}_ex"
        self.fmt = {"st": self.st, "ex": self.ex, "steps": proc.engine.steps(sel), "ev": sel.events_table,
                    "cases": sel.cases_table, "acts": sel.activities_table}
        self.ws.execute(NAMED_STEPS_SQL.format(**self.fmt))
        self.ws.execute(EX_SQL.format(**self.fmt))
        vt = proc.engine.variants(sel)
        self.variants = [(int(v), tuple(a), int(n)) for v, a, n in
                         zip(vt["variant"].to_pylist(), vt["activities"].to_pylist(), vt["cases"].to_pylist())]
        self.notes: list[str] = []
        self.conformance: ConformanceResult | None = None

    def sql(self, text: str, params: list | None = None) -> None:
        self.ws.execute(f"INSERT INTO {self.ex} " + text.format(**self.fmt), params or [])

    def vrows(self, rows: list[dict]) -> None:
        if rows:
            self.ws.execute(VARIANT_ROWS_SQL.format(**self.fmt),
                            register={"vrows": pa.Table.from_pylist(rows, schema=_VROW)})

    def close(self) -> None:
        self.ws.execute(f"DROP VIEW IF EXISTS {self.st}")
        self.ws.execute(f"DROP TABLE IF EXISTS {self.ex}")

    def case_types(self) -> dict[str, np.ndarray]:
        """Per exception type, the cids of the cases it was found in."""
        t = self.ws.arrow(f"SELECT type, list(cid) AS cids FROM (SELECT DISTINCT type, cid FROM {self.ex}) "
                          "GROUP BY type ORDER BY type")
        if t.num_rows == 0:
            return {}
        cids = t["cids"].combine_chunks()
        offsets, values = cids.offsets.to_numpy(), cids.values.to_numpy()
        return {k: values[offsets[i]:offsets[i + 1]] for i, k in enumerate(t["type"].to_pylist())}

    def result(self, seconds: float) -> ExceptionsResult:
        table = self.ws.arrow(RESULT_SQL.format(**self.fmt), [self.proc.name]).cast(EXCEPTION_SCHEMA)
        return ExceptionsResult(self.proc.name, self.sel.cases, table, tuple(self.notes), self.conformance,
                                round(seconds, 3))


def run(proc, sel: Selection, settings: ExceptionSettings, *, model: str | Path | None = None,
        keep: bool = False) -> tuple[ExceptionsResult, Detection | None]:
    """All enabled detectors on the selection; with ``keep`` the temporary tables stay for hot spots."""
    started = time.perf_counter()
    _check(settings)
    d = Detection(proc, sel, settings)
    try:
        _detect(d, settings, model)
        result = d.result(time.perf_counter() - started)
    except BaseException:
        d.close()
        raise
    if not keep:
        d.close()
        return result, None
    return result, d


def case_types(proc, sel: Selection, settings: ExceptionSettings) -> dict[str, np.ndarray]:
    """Every enabled detector, reduced to what rates need: per type, the cids of its cases (no
    result table: no explanations joined, sorted and fetched)."""
    _check(settings)
    d = Detection(proc, sel, settings)
    try:
        _detect(d, settings, None)
        return d.case_types()
    finally:
        d.close()


def _check(settings: ExceptionSettings) -> None:
    unknown = set(settings.detectors) - set(DETECTORS)
    if unknown:
        raise InputError(f"unknown detectors {sorted(unknown)}; known: {', '.join(DETECTORS)}")


def _detect(d: Detection, s: ExceptionSettings, model) -> None:
    on = set(s.detectors)
    if model is not None:  # a normative model asks for conformance
        on.add("conformance")
    total = d.sel.cases
    if not total:
        return
    if "rework" in on:
        d.sql(flow.rework_sql(s))
    dom = flow.dominant_orders(flow.order_relations(d.variants), s)
    if "order_violation" in on:
        d.vrows(flow.order_violations(d.variants, dom))
    if "skipped_step" in on:
        d.vrows(flow.skipped_steps(d.variants, dom, s, total))
        if s.skipped_conditional:
            _conditional_skips(d, dom, s, total)
    if "rare_path" in on:
        d.vrows(flow.rare_paths(d.variants, s, total))
    if "long_wait" in on:
        d.sql(*timing.long_wait_sql(s, s.sla.get(d.proc.name)))
    if "sla_breach" in on:
        _sla(d, s)
    for family in DEFAULT_PATTERNS:
        if family in on and s.patterns.get(family):
            d.sql(*patterns.pattern_sql(family, s))
    if "unusual_resource" in on:
        d.sql(*resources.unusual_sql("resource", "resource", s))
        d.sql(*resources.unusual_sql("grp", "group", s))
    if "social_escalation" in on:
        d.sql(social.SOCIAL_SQL)
    if "conformance" in on:
        _conformance(d, s, model)


def _sla(d: Detection, s: ExceptionSettings) -> None:
    rule = s.sla.get(d.proc.name)
    if rule is None:
        q = int(round(s.sla_quantile * 100))
        dur = "CASE WHEN c.duration_s >= 172800 THEN printf('%.1f d', c.duration_s / 86400.0) ELSE printf('%.1f h', c.duration_s / 3600.0) END"
        thr = "CASE WHEN t.thr >= 172800 THEN printf('%.1f d', t.thr / 86400.0) ELSE printf('%.1f h', t.thr / 3600.0) END"
        d.sql(timing.SLA_QUANTILE_SQL.replace("{dur}", dur).replace("{thr}", thr), [s.sla_quantile, q])
        return
    local = "timezone(?, CAST(ts AS TIMESTAMPTZ))"
    span = d.ws.arrow(f"""
        SELECT cid, CAST(min(CASE WHEN ? IS NULL OR activity = ? THEN {local} END) AS TIMESTAMP) AS t0,
               CAST(max(CASE WHEN ? IS NULL OR activity = ? THEN {local} END) AS TIMESTAMP) AS t1
        FROM {d.st} GROUP BY cid""",
                      [rule.start_activity, rule.start_activity, rule.timezone,
                       rule.end_activity, rule.end_activity, rule.timezone])
    cid = span["cid"].to_numpy()
    t0 = span["t0"].to_numpy(zero_copy_only=False).astype("datetime64[s]")
    t1 = span["t1"].to_numpy(zero_copy_only=False).astype("datetime64[s]")
    ok = ~np.isnat(t0) & ~np.isnat(t1)
    secs = np.full(len(cid), np.nan)
    if rule.working_hours is not None:
        secs[ok] = timing.working_seconds(t0[ok], t1[ok], rule)
        unit = "working hours"
    else:
        secs[ok] = (t1[ok] - t0[ok]).astype(float)
        unit = "hours"
    limit = rule.hours * 3600
    hit = ok & (secs > limit)
    frm = rule.start_activity or "case start"
    to = rule.end_activity or "case end"
    rows = pa.table({"cid": cid[hit], "delay_s": secs[hit] - limit,
                     "explanation": [f"{h:.1f} {unit} from {frm} to {to}; the SLA is {rule.hours:g}"
                                     for h in secs[hit] / 3600]})
    d.ws.execute(f"""INSERT INTO {d.ex} SELECT r.cid, s.eid, 'sla_breach', s.activity, NULL, r.delay_s, r.explanation, NULL
                     FROM r LEFT JOIN (SELECT cid, arg_max(eid, pos) AS eid, arg_max(activity, pos) AS activity
                                       FROM {d.st} WHERE ? IS NULL OR activity = ? GROUP BY cid) s ON s.cid = r.cid""",
                 [rule.end_activity, rule.end_activity], register={"r": rows})


def _numeric_case_attributes(d: Detection) -> pa.Table | None:
    """Per case: numeric attributes constant over the case (first event or the case object)."""
    names = [r[0] for r in d.ws.rows(
        "SELECT DISTINCT name FROM attribute_type WHERE type IN ('int', 'float') AND name NOT LIKE '%:%' ORDER BY 1")]
    if not names:
        return None
    cols = ", ".join(
        f"""TRY_CAST(coalesce(json_extract_string(o.attributes, '$."{n}"'), json_extract_string(e.attributes, '$."{n}"')) AS DOUBLE) AS "{n}" """
        for n in names if '"' not in n)
    return d.ws.arrow(f"""SELECT c.cid, c.variant, {cols} FROM {d.sel.cases_table} c
                         JOIN {d.fmt['steps']} st ON st.cid = c.cid AND st.pos = 1
                         JOIN event e ON e.eid = st.eid JOIN object o ON o.oid = c.cid""")


def _conditional_skips(d: Detection, dom, s: ExceptionSettings, total: int) -> None:
    cands = flow.conditional_candidates(d.variants, dom, s, total)
    if not cands:
        return
    attrs = _numeric_case_attributes(d)
    if attrs is None:
        return
    variant = attrs["variant"].to_numpy()
    cid = attrs["cid"].to_numpy()
    vmax = max(v for v, _a, _n in d.variants) + 1
    after = {}
    for a, b in dom:
        after.setdefault(a, set()).add(b)
    out = []
    for x in cands:
        has = np.zeros(vmax, bool)
        past_pos = np.zeros(vmax, np.int64)
        for v, acts, _n in d.variants:
            first = flow._firsts(acts)
            has[v] = x in first
            later = [first[b] for b in after.get(x, ()) if b in first]
            past_pos[v] = min(later) + 1 if later else 0
        has_x, past = has[variant], past_pos[variant] > 0
        for name in attrs.column_names[2:]:
            values = attrs[name].to_numpy(zero_copy_only=False).astype(float)
            found = flow.conditional_skips(x, name, values, has_x, past, s)
            if found is None:
                continue
            mask, why = found
            out.append(pa.table({"cid": cid[mask], "pos": past_pos[variant[mask]].astype(np.int32),
                                 "activity": [x] * int(mask.sum()),
                                 "explanation": [f"'{x}' is missing; cases with {why}"] * int(mask.sum())}))
            break
    if out:
        rows = pa.concat_tables(out)
        d.ws.execute(f"""INSERT INTO {d.ex} SELECT r.cid, st.eid, 'skipped_step', r.activity, NULL, NULL,
                         r.explanation, 'conditional' FROM r JOIN {d.fmt['steps']} st ON st.cid = r.cid AND st.pos = r.pos""",
                     register={"r": rows})


def _conformance(d: Detection, s: ExceptionSettings, model) -> None:
    if model is None:
        net, name = conf.discovered_model(d.variants, s.conformance_noise), f"IMf (noise {s.conformance_noise:g})"
    else:
        net, name = conf.load_model(model), str(model)
    res = conf.align(d.variants, net, s)
    d.vrows(conf.deviation_rows(d.variants, res))
    fit = conf.case_fitness_table(d.variants, res)
    table = _case_fitness(d, fit)
    if res.note:
        d.notes.append("conformance: " + res.note)
    d.conformance = ConformanceResult(d.proc.name, name, res.log_fitness, res.average_trace_fitness,
                                      res.aligned_cases, res.total_cases, len(res.alignments), len(d.variants),
                                      res.seconds, table, res.note)


def _case_fitness(d: Detection, fit: pa.Table) -> pa.Table:
    tmp = d.st + "_fit"
    d.ws.execute(f"CREATE TEMP TABLE {tmp} AS SELECT * FROM f", register={"f": fit})
    try:
        return d.ws.arrow(f"""SELECT c.case_id, c.variant, f.fitness, f.cost FROM {d.sel.cases_table} c
                              LEFT JOIN {tmp} f ON f.variant = c.variant ORDER BY c.first_ts, c.cid""")
    finally:
        d.ws.execute(f"DROP TABLE IF EXISTS {tmp}")

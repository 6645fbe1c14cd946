"""Complaint handling: post, e-mail or call -> triage -> public reply -> private message -> ticket -> resolution."""

from __future__ import annotations

import numpy as np

from procatlas.simulate.calendar import DAY, HOUR
from procatlas.simulate.config import (CARE_DELAY_H, CARE_DELAY_SIGMA, CHANNELS_COMPLAINT, PRODUCT_LINE_WEIGHTS,
                                       PRODUCT_LINES, SLA_RESOLUTION_H)
from procatlas.simulate.context import Discussion, Sim, ids
from procatlas.simulate.org import pick

P = "complaint_handling"
OUTDOOR = PRODUCT_LINES.index("Outdoor")


def run(sim: Sim, n: int) -> None:
    """Simulate ``n`` complaints, most about a delivered order."""
    rng, log, org, cal = sim.rng, sim.log, sim.org, sim.cal
    dv = sim.state["delivered"]
    linked = rng.random(n) < 0.92
    k = min(int(linked.sum()), len(dv["so"]))
    linked[np.flatnonzero(linked)[k:]] = False
    pick_o = rng.choice(len(dv["so"]), size=k, replace=False) if k else np.zeros(0, np.int64)
    so = np.full(n, -1, np.int64)
    so[linked] = dv["so"][pick_o]
    start = np.empty(n, np.int64)
    start[linked] = sim.calendar_lag(dv["ship"][pick_o], 5.0, 0.8)
    start[~linked] = sim.arrivals(int((~linked).sum()), weekend=0.8, office_hours=False)
    start = start + rng.integers(0, 600, n)
    tod = start % DAY
    start = np.where(linked, start - tod + (tod * 0.4).astype(np.int64) + 9 * HOUR, start)  # people complain by day
    line = np.where(linked, -1, rng.choice(len(PRODUCT_LINES), n, p=PRODUCT_LINE_WEIGHTS))
    line[linked] = dv["line"][pick_o]
    n_cust = len(log.types["customer"].attributes["segment"])
    cust = np.where(linked, -1, rng.integers(0, n_cust, n))
    cust[linked] = dv["customer"][pick_o]
    kinds = list(CHANNELS_COMPLAINT)
    channel = rng.choice(len(kinds), n, p=list(CHANNELS_COMPLAINT.values())).astype(np.int8)
    o = np.argsort(start, kind="stable")
    start, so, line, cust, channel, linked = start[o], so[o], line[o], cust[o], channel[o], linked[o]
    social, email, call = channel == 0, channel == 1, channel == 2
    start = np.where(call, cal.add_work(start, np.zeros(n)), start)
    cmp_ = log.objects("complaint", n, product_line=line, channel=channel, customer=cust, sales_order=so,
                       mentions_order=social & linked & (rng.random(n) < 0.55))
    log.link("complaint", cmp_[linked], "sales_order", so[linked], "about")
    log.link("complaint", cmp_, "customer", cust, "raised by")
    months = (start // DAY).astype("datetime64[D]").astype("datetime64[M]") - np.datetime64(sim.start, "M")
    spot = [s for s in sim.rates.hot_spots if s.name == "outdoor-spring-campaign"][0]
    hot = {spot.name: (line == OUTDOOR) & (months.astype(int) >= spot.period_months[0]) &
           (months.astype(int) < spot.period_months[1])}
    L = [("complaint", cmp_, "complaint")]

    def add(act, sel, ts, res=None, g=-1, links=L, **kw):
        log.add(P, act, cmp_[sel], ts, resource=res, group=g, links=[(a, i[sel], q) for a, i, q in links], **kw)

    s_i, e_i, c_i = np.flatnonzero(social), np.flatnonzero(email), np.flatnonzero(call)
    add("Receive social media post", s_i, start[s_i])
    add("Receive complaint e-mail", e_i, start[e_i])
    agent = np.full(n, -1, np.int32)
    g_care = org.group_code("Customer Care")
    c_r = pick(rng, org, "Customer Care", len(c_i), role="Care Agent")
    c_t = start[c_i] + 180 + rng.integers(0, 600, len(c_i))  # the call ends a few minutes in
    agent[c_i] = c_r
    start[c_i] = c_t  # a call's complaint starts when it is logged
    add("Take complaint call", c_i, c_t, c_r, g_care)
    tri = np.empty(n, np.int64)
    t_s, r_s, g_soc = sim.human(start[s_i], "Social Media", 1.0, 0.9)
    tri[s_i] = t_s
    agent[s_i] = r_s
    nc = np.flatnonzero(~social)
    t_c, r_c, _ = sim.human(_after(start, c_i, c_t)[nc],
                            "Customer Care", 2.0, 0.9, role="Care Agent", prev_res=agent[nc], keep=0.9)
    tri[nc], agent[nc] = t_c, r_c
    add("Triage complaint", s_i, tri[s_i], agent[s_i], g_soc)
    add("Triage complaint", nc, tri[nc], agent[nc], g_care)
    rep, rep_r, _ = sim.human(tri[s_i], "Social Media", 0.6, 0.9, prev_res=agent[s_i], keep=0.8)
    add("Reply publicly", s_i, rep, rep_r, g_soc)
    dm, dm_r, _ = sim.human(rep, "Social Media", 0.5, 0.8, prev_res=rep_r, keep=0.9)
    add("Send private message", s_i, dm, dm_r, g_soc)
    before_ticket = tri.copy()
    before_ticket[s_i] = dm

    tk = log.objects("ticket", n, complaint=cmp_)
    log.link("ticket", tk, "complaint", cmp_, "for")
    LT = L + [("ticket", tk, "ticket")]
    tk_t, owner, _ = sim.human(before_ticket, "Customer Care", 1.5, 0.9, role="Care Agent", prev_res=agent, keep=0.9)
    add("Create ticket", np.arange(n), tk_t, owner, g_care, LT)

    p_esc = sim.prob("complaint_escalation", hot, n)
    esc = sim.draw(p_esc)
    e = np.flatnonzero(esc)
    es_t, _, _ = sim.human(tk_t[e], "Customer Care", 4.0, 0.8)
    add("Escalate complaint", e, es_t, owner[e], g_care, LT)
    iv_t, iv_r, g_q = sim.human(es_t, "Quality", 12.0, 0.8, role="Quality Engineer")
    add("Investigate complaint", e, iv_t, iv_r, g_q, LT)
    log.plant("complaint", cmp_[esc], "complaint_escalation", "Escalate complaint", p_esc)
    work_from = tk_t.copy()
    work_from[e] = iv_t

    p_stuck = sim.prob("care_delay", hot, n)
    stuck = sim.draw(p_stuck)
    planned, _, _ = sim.human(work_from, "Customer Care", 10.0, 0.9)
    hole = sim.state["venues"]["care-quality-coffee"]
    coffee = cal.next_weekday_at(tk_t, 3, 10.0)
    # discussed: the ticket is being worked on (an escalated one once its investigation is back)
    disc = hole.open_at(coffee) & (coffee >= work_from) & (coffee + HOUR < planned) & (rng.random(n) < 0.7)
    remaining = cal.work_between(coffee + HOUR, planned)
    resolve = np.where(disc, cal.add_work(coffee + HOUR, (remaining * 0.2).astype(np.int64)), planned)
    resolve = np.maximum(resolve, work_from + 60)
    # a stuck ticket (waiting on a part, a supplier, or forgotten in a queue) waits CARE_DELAY_H more
    # working hours on top of its work, far beyond the normal spread, and talk cannot shorten it
    extra = rng.lognormal(np.log(CARE_DELAY_H * HOUR), CARE_DELAY_SIGMA, n).astype(np.int64)
    resolve = np.where(stuck, cal.add_work(resolve, extra), resolve)
    add("Resolve ticket", np.arange(n), resolve, owner, g_care, LT)
    log.plant("complaint", cmp_[stuck], "care_delay", "Resolve ticket", p_stuck)
    d = np.flatnonzero(disc)
    if len(d):
        sim.discussions.append(Discussion(hole.venue, coffee[d], np.full(len(d), hole.members[0]),
                                          [ids("CMP", cmp_[d])], ("complaint",)))

    p_re = sim.prob("reopened_ticket", hot, n)
    reop = sim.draw(p_re)
    r = np.flatnonzero(reop)
    ro_t, _, _ = sim.human(sim.calendar_lag(resolve[r], 2.0, 0.6), "Customer Care", 0.5, 0.8)
    add("Reopen ticket", r, ro_t, owner[r], g_care, LT)
    rs_t, _, _ = sim.human(ro_t, "Customer Care", 8.0, 0.9)
    add("Resolve ticket", r, rs_t, owner[r], g_care, LT)
    log.plant("complaint", cmp_[reop], "reopened_ticket", "Reopen ticket", p_re)
    final = resolve.copy()
    final[r] = rs_t
    breach = cal.work_between(start, final) > SLA_RESOLUTION_H * HOUR
    log.plant("complaint", cmp_[breach], "sla_breach", "Resolve ticket")
    close = sim.system(cal.next_daily_at(final + 3 * DAY, 0.5), 300)
    add("Close complaint", np.arange(n), close)

    sim.state["complaints"] = dict(cmp=cmp_, so=so, linked=linked, start=start, channel=channel, cust=cust,
                                   line=line, reply=(s_i, rep), resolve=resolve, final=final, owner=owner,
                                   coffee=coffee, disc=disc, tk=tk_t, mentions=log.types["complaint"].attributes["mentions_order"][cmp_])


def _after(start: np.ndarray, idx: np.ndarray, ts: np.ndarray) -> np.ndarray:
    out = start.copy()
    out[idx] = ts
    return out

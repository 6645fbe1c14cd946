"""Product returns: request -> approval -> shipment back -> inspection -> refund or replacement."""

from __future__ import annotations

import numpy as np

from procatlas.simulate.context import Sim

P = "product_return"


def run(sim: Sim) -> None:
    """Open a return for a share of resolved complaints about an order."""
    rng, log = sim.rng, sim.log
    c = sim.state["complaints"]
    n_c = len(c["cmp"])
    p_ret = np.where(c["linked"], sim.rates.return_requested, 0.0)
    want = sim.draw(p_ret, c["linked"])
    sel = np.flatnonzero(want)
    n = len(sel)
    cmp_, so = c["cmp"][sel], c["so"][sel]
    ret = log.objects("return", n, complaint=cmp_, sales_order=so)
    log.link("return", ret, "complaint", cmp_, "requested in")
    log.link("return", ret, "sales_order", so, "returns goods of")
    L = [("return", ret, "return"), ("complaint", cmp_, "complaint"), ("sales_order", so, "order")]

    def add(act, idx, ts, res=None, g=-1, extra=(), **kw):
        log.add(P, act, ret[idx], ts, resource=res, group=g,
                links=[(a, i[idx], q) for a, i, q in L] + list(extra), **kw)

    all_ = np.arange(n)
    rq, rq_r, g = sim.human(c["resolve"][sel], "Customer Care", 1.0, 0.8, role="Care Agent",
                            prev_res=c["owner"][sel], keep=0.8)
    add("Request product return", all_, rq, rq_r, g)
    ap, ap_r, g = sim.human(rq, "Quality", 4.0, 0.8)
    add("Approve return", all_, ap, ap_r, g)
    lab = sim.system(ap, 120)
    add("Send return label", all_, lab)
    rc, rc_r, g = sim.human(sim.calendar_lag(lab, 4.0, 0.5), "Warehouse", 2.0, 0.8)
    add("Receive returned goods", all_, rc, rc_r, g)
    p_fail = np.full(n, sim.rates.failed_return_inspection)
    fail = sim.draw(p_fail)
    ins, ins_r, g_q = sim.human(rc, "Quality", 8.0, 0.8, role="Quality Engineer")
    for flag, res in ((False, "passed"), (True, "failed")):
        idx = np.flatnonzero(fail == flag)
        add("Inspect returned goods", idx, ins[idx], ins_r[idx], g_q, attrs={"result": res})
    f = np.flatnonzero(fail)
    rj, _, _ = sim.human(ins[f], "Quality", 2.0, 0.7)
    add("Reject return", f, rj, ins_r[f], g_q)
    log.plant("return", ret[fail], "failed_return_inspection", "Inspect returned goods", p_fail)

    ok = ~fail
    repl = ok & (rng.random(n) < sim.rates.replacement_instead_of_refund)
    r = np.flatnonzero(repl)
    dl = log.objects("delivery", len(r), kind=np.ones(len(r), np.int8))
    log.link("delivery", dl, "return", ret[r], "replaces")
    sh, sh_r, g = sim.human(ins[r], "Warehouse", 6.0, 0.8)
    add("Ship replacement", r, sh, sh_r, g, extra=[("delivery", dl, "replacement")])
    f = np.flatnonzero(ok & ~repl)
    cn = log.objects("customer_invoice", len(f), kind=np.ones(len(f), np.int8))
    log.link("customer_invoice", cn, "return", ret[f], "refunds")
    dv = sim.state["delivered"]
    orig = dv["invoice"][np.searchsorted(dv["so"], so[f])]
    log.link("customer_invoice", cn, "customer_invoice", orig, "credits")
    cr, cr_r, g = sim.human(ins[f], "Finance AR", 6.0, 0.8)
    add("Issue credit note", f, cr, cr_r, g, extra=[("customer_invoice", cn, "credit note")])
    pay = sim.cal.next_weekday_at(cr, 1, 6.0) + rng.integers(0, 900, len(f))
    add("Pay refund", f, pay, extra=[("customer_invoice", cn, "credit note")])
    sim.state["returns"] = dict(ret=ret, cmp=cmp_, fail=fail, n_complaints=n_c)

"""Procure to pay: requisition -> order -> goods receipt -> supplier invoice -> match -> payment."""

from __future__ import annotations

import numpy as np

from procatlas.simulate.calendar import DAY
from procatlas.simulate.config import PR_TRIGGERS, SUPPLIER_LINE, SUPPLIERS
from procatlas.simulate.context import Discussion, Sim, ids
from procatlas.simulate.org import pick

P = "procure_to_pay"
NORDLICHT = SUPPLIERS.index("Nordlicht Components")
REQUESTERS = ("Warehouse", "IT", "Quality", "Sales")


def run(sim: Sim, n: int) -> None:
    """Simulate ``n`` purchase requisitions, some raised by sales orders short of stock."""
    rng, log, org, cal = sim.rng, sim.log, sim.org, sim.cal
    so_short, t_short = sim.state.get("shortage", (np.zeros(0, np.int64), np.zeros(0, np.int64)))
    kb = min(len(so_short), n)
    n_free = n - kb
    reorder = rng.random(n_free) < PR_TRIGGERS["reorder_point"]
    t_free = sim.arrivals(n_free, weekend=0.0, office_hours=True)
    t_free = np.where(reorder, (t_free // DAY) * DAY + 3600 + rng.integers(0, 900, n_free), t_free)  # nightly MRP run
    t = np.concatenate([t_free, t_short[:kb]])
    trig = np.concatenate([np.where(reorder, 0, 1), np.full(kb, 2)]).astype(np.int8)
    bound_so = np.concatenate([np.full(n_free, -1), so_short[:kb]])
    order = np.argsort(t, kind="stable")
    t, trig, bound_so = t[order], trig[order], bound_so[order]
    bound = bound_so >= 0

    sup = rng.integers(0, len(SUPPLIERS), n)
    if bound.any():  # a shortage is bought from a supplier of the order's product line
        so_line = log.types["sales_order"].attributes["product_line"][bound_so[bound]]
        sup_line = np.asarray(SUPPLIER_LINE)
        choice = rng.random(bound.sum())
        for line in np.unique(so_line):
            cands = np.flatnonzero(sup_line == line)
            m = so_line == line
            sup[np.flatnonzero(bound)[m]] = cands[(choice[m] * len(cands)).astype(int)]
    line = np.asarray(SUPPLIER_LINE)[sup]
    amount = np.round(rng.lognormal(np.log(2500), 1.1, n), 2)
    if "supplier" not in log.types:
        log.objects("supplier", len(SUPPLIERS), name=np.array(SUPPLIERS), product_line=np.asarray(SUPPLIER_LINE))
    pr = log.objects("purchase_requisition", n, supplier=sup, product_line=line, amount=amount, trigger=trig,
                     sales_order=bound_so)
    # the OCEL must carry what the CSV's `sales_order` column says: which order a shortage buys for
    log.link("purchase_requisition", pr[bound], "sales_order", bound_so[bound], "for sales order")
    hot = {"supplier-nordlicht": sup == NORDLICHT}

    req = np.full(n, -1, np.int32)
    rgrp = np.full(n, -1, np.int8)
    human_req = np.flatnonzero(trig == 1)
    which = rng.integers(0, len(REQUESTERS), len(human_req))
    for k, g in enumerate(REQUESTERS):
        sel = human_req[which == k]
        req[sel] = pick(rng, org, g, len(sel))
        rgrp[sel] = org.group_code(g)
    L = [("purchase_requisition", pr, "requisition")]
    log.add(P, "Create purchase requisition", pr, t, resource=req, group=rgrp, links=L)

    big = amount >= 10000
    a1, appr, g = sim.human(t, "Procurement", 4.0, 0.9, role="Buyer")
    appr = np.where(big, org.lead("Procurement"), appr)
    log.add(P, "Approve purchase requisition", pr, a1, resource=appr, group=g, links=L)
    p_rw = sim.prob("rework_repeated_approval", hot, n)
    rework = sim.draw(p_rw)
    final_a = a1.copy()
    rounds = rework & True
    for r in range(2):
        sel = np.flatnonzero(rounds)
        sl = [(o, i[sel], q) for o, i, q in L]
        ret, _, g = sim.human(final_a[sel], "Procurement", 3.0, 0.8)
        log.add(P, "Return requisition for rework", pr[sel], ret, resource=np.full(len(sel), org.lead("Procurement")),
                group=g, links=sl)
        who = np.where(req[sel] >= 0, req[sel], pick(rng, org, "Procurement", len(sel), role="Buyer"))
        wg = np.where(rgrp[sel] >= 0, rgrp[sel], org.group_code("Procurement"))
        chg, _, _ = sim.human(ret, "Procurement", 6.0, 0.9)
        log.add(P, "Change purchase requisition", pr[sel], chg, resource=who, group=wg, links=sl)
        ap, _, g = sim.human(chg, "Procurement", 3.0, 0.8)
        log.add(P, "Approve purchase requisition", pr[sel], ap, resource=appr[sel], group=g, links=sl)
        final_a[sel] = ap
        rounds = rounds & (rng.random(n) < 0.25)
    log.plant("purchase_requisition", pr[rework], "rework_repeated_approval", "Approve purchase requisition", p_rw)

    po = log.objects("purchase_order", n, supplier=sup, product_line=line, amount=amount)
    log.link("purchase_order", po, "purchase_requisition", pr, "created from")
    log.link("purchase_order", po, "supplier", sup, "supplied by")
    L = [("purchase_requisition", pr, "requisition"), ("purchase_order", po, "order")]
    c_po, buyer, g = sim.human(final_a, "Procurement", 4.0, 0.9, role="Buyer", prev_res=appr, keep=0.5)
    log.add(P, "Create purchase order", pr, c_po, resource=buyer, group=g, links=L + [("supplier", sup, "supplier")])

    need = amount >= 5000
    p_skip = np.where(need, sim.prob("skipped_approval", hot, n), 0.0)
    skipped = sim.draw(p_skip, need)
    approved = need & ~skipped
    sel = np.flatnonzero(approved)
    ap_t, _, g = sim.human(c_po[sel], "Procurement", 5.0, 0.9)
    log.add(P, "Approve purchase order", pr[sel], ap_t, resource=np.full(len(sel), org.lead("Procurement")),
            group=g, links=_sub(L, sel))
    log.plant("purchase_requisition", pr[skipped], "skipped_approval", "Approve purchase order", p_skip[need])
    last = c_po.copy()
    last[sel] = ap_t
    send = sim.system(last, 120)
    log.add(P, "Send purchase order", pr, send, links=L)

    p_chg = np.where(approved, sim.prob("order_change_after_approval", hot, n), 0.0)
    chg = sim.draw(p_chg, approved)
    sel = np.flatnonzero(chg)
    ch_t, ch_r, g = sim.human(send[sel], "Procurement", 16.0, 0.8, prev_res=buyer[sel], keep=0.7)
    log.add(P, "Change purchase order", pr[sel], ch_t, resource=ch_r, group=g, links=_sub(L, sel))
    log.change("purchase_order", po[sel], "amount", np.round(amount[sel] * rng.uniform(1.05, 1.4, len(sel)), 2), ch_t)
    log.plant("purchase_requisition", pr[chg], "order_change_after_approval", "Change purchase order", p_chg[approved])
    last = send.copy()
    last[sel] = ch_t

    p_can = np.where(bound, 0.0, sim.prob("po_cancellation", hot, n))
    cancel = sim.draw(p_can, ~bound)
    sel = np.flatnonzero(cancel)
    ca_t, ca_r, g = sim.human(last[sel], "Procurement", 12.0, 0.8, prev_res=buyer[sel], keep=0.7)
    log.add(P, "Cancel purchase order", pr[sel], ca_t, resource=ca_r, group=g, links=_sub(L, sel))
    log.change("purchase_order", po[sel], "status", np.full(len(sel), "cancelled"), ca_t)
    log.plant("purchase_requisition", pr[cancel], "cancellation", "Cancel purchase order", p_can[~bound])
    act = ~cancel

    # goods arrive; some are not booked until the invoice is blocked for want of them
    A = np.flatnonzero(act)
    nA = len(A)
    arrive = sim.calendar_lag(np.maximum(last[A], send[A]), 6.0, 0.5, np.where(sup[A] == NORDLICHT, 1.3, 1.0))
    p_miss = sim.prob("missing_goods_receipt", {k: v[A] for k, v in hot.items()}, nA)
    miss = sim.draw(p_miss)
    gr = log.objects("goods_receipt", nA, purchase_order=po[A])
    log.link("goods_receipt", gr, "purchase_order", po[A], "receives")
    LA = _sub(L, A)
    LG = LA + [("goods_receipt", gr, "receipt")]
    gr_t, gr_r, gw = sim.human(arrive, "Warehouse", 3.0, 0.8)
    ok = np.flatnonzero(~miss)
    log.add(P, "Record goods receipt", pr[A][ok], gr_t[ok], resource=gr_r[ok], group=gw, links=_sub(LG, ok))
    p_rev = np.where(miss, 0.0, sim.rates.goods_receipt_reversal)
    rev = sim.draw(p_rev, ~miss)
    sel = np.flatnonzero(rev)
    rv_t, rv_r, g = sim.human(gr_t[sel], "Warehouse", 4.0, 0.8, prev_res=gr_r[sel], keep=0.7)
    log.add(P, "Reverse goods receipt", pr[A][sel], rv_t, resource=rv_r, group=g, links=_sub(LG, sel))
    r2_t, r2_r, g = sim.human(rv_t, "Warehouse", 5.0, 0.8, prev_res=rv_r, keep=0.7)
    log.add(P, "Record goods receipt", pr[A][sel], r2_t, resource=r2_r, group=g, links=_sub(LG, sel))
    log.plant("purchase_requisition", pr[A][rev], "reversal", "Reverse goods receipt", p_rev[~miss])
    gr_done = gr_t.copy()
    gr_done[sel] = r2_t

    inv_arr = sim.calendar_lag(send[A], 7.0, 0.6)
    inv_arr = np.where(miss, inv_arr, np.maximum(inv_arr, sim.calendar_lag(gr_done, 0.7, 0.8)))
    si = log.objects("supplier_invoice", nA, purchase_order=po[A], amount=amount[A])
    log.link("supplier_invoice", si, "purchase_order", po[A], "bills")
    LI = LA + [("supplier_invoice", si, "invoice")]
    reg, clerk, g_ap = sim.human(inv_arr, "Finance AP", 4.0, 0.8)
    log.add(P, "Register supplier invoice", pr[A], reg, resource=clerk, group=g_ap, links=LI)
    m1 = sim.system(sim.cal.next_daily_at(reg, 2.0), 300)
    hole = sim.state["venues"]["warehouse-finance"]

    def discuss(sel: np.ndarray, block_t: np.ndarray) -> np.ndarray:
        """Blocked invoices an AP clerk raises in the informal channel; returns the posting times."""
        can = hole.open_at(block_t) & np.isin(clerk[sel], hole.members)
        d = can & (rng.random(len(sel)) < 0.85)
        when = sim.cal.add_work(block_t, rng.lognormal(np.log(1200), 0.7, len(sel)))
        chosen = sel[d]
        sim.discussions.append(Discussion(hole.venue, when[d], clerk[chosen],
                                          [ids("SI", si[chosen]), ids("PO", po[A][chosen])], ("supplier_invoice", "purchase_order")))
        wh_disc[chosen] = True
        return np.where(d, when, block_t)

    wh_disc = np.zeros(nA, bool)
    wh_block = np.zeros(nA, np.int64)
    wh_done = np.zeros(nA, np.int64)
    sel = np.flatnonzero(miss)
    SL = _sub(LI, sel)
    log.add(P, "Perform three-way match", pr[A][sel], m1[sel], links=SL, attrs={"result": "missing goods receipt"})
    b1 = m1[sel] + 1 + rng.integers(0, 5, len(sel))
    log.add(P, "Block invoice", pr[A][sel], b1, links=SL, attrs={"reason": "missing goods receipt"})
    log.change("supplier_invoice", si[sel], "status", np.full(len(sel), "blocked"), b1)
    base = discuss(sel, b1)
    late_t, late_r, gw = sim.human(base, "Warehouse", 16.0, 0.8, scale=np.where(wh_disc[sel], 0.3, 1.0))
    log.add(P, "Record goods receipt", pr[A][sel], late_t, resource=late_r, group=gw, links=_sub(LG, sel))
    wh_block[sel], wh_done[sel] = b1, late_t
    gr_done[sel] = late_t
    log.plant("purchase_requisition", pr[A][miss], "missing_goods_receipt", "Record goods receipt", p_miss)
    mt = m1.copy()
    mt[sel] = sim.system(sim.cal.next_daily_at(late_t, 2.0), 300)

    sub_hot = {k: v[A] for k, v in hot.items()}
    p_price = sim.prob("price_mismatch", sub_hot, nA)
    price = sim.draw(p_price)
    p_qty = np.where(price, 0.0, sim.prob("quantity_mismatch", sub_hot, nA))
    qty = sim.draw(p_qty, ~price)
    result = np.where(price, 1, np.where(qty, 2, 0))
    labels = ("ok", "price mismatch", "quantity mismatch")
    for k, lab in enumerate(labels):
        sel = np.flatnonzero(result == k)
        log.add(P, "Perform three-way match", pr[A][sel], mt[sel], links=_sub(LI + [("goods_receipt", gr, "receipt")], sel),
                attrs={"result": lab})
    cleared = mt.copy()
    for k, lab, act_name, grp, med in ((1, "price mismatch", "Clarify price with supplier", "Procurement", 12.0),
                                       (2, "quantity mismatch", "Correct invoice quantity", "Finance AP", 8.0)):
        sel = np.flatnonzero(result == k)
        bt = mt[sel] + 1 + rng.integers(0, 5, len(sel))
        log.add(P, "Block invoice", pr[A][sel], bt, links=_sub(LI, sel), attrs={"reason": lab})
        log.change("supplier_invoice", si[sel], "status", np.full(len(sel), "blocked"), bt)
        base = discuss(sel, bt) if k == 2 else bt
        fix_t, fix_r, g = sim.human(base, grp, med, 0.8, scale=np.where(wh_disc[sel], 0.3, 1.0) if k == 2 else 1.0)
        if k == 2:
            wh_block[sel], wh_done[sel] = bt, fix_t
        log.add(P, act_name, pr[A][sel], fix_t, resource=fix_r, group=g, links=_sub(LI, sel))
        cleared[sel] = fix_t
    log.plant("purchase_requisition", pr[A][price], "price_mismatch", "Perform three-way match", p_price)
    log.plant("purchase_requisition", pr[A][qty], "quantity_mismatch", "Perform three-way match", p_qty[~price])
    blocked = np.flatnonzero(miss | price | qty)
    rel_t, rel_r, g = sim.human(cleared[blocked], "Finance AP", 2.0, 0.7, prev_res=clerk[blocked], keep=0.6)
    log.add(P, "Release invoice block", pr[A][blocked], rel_t, resource=rel_r, group=g, links=_sub(LI, blocked))
    log.change("supplier_invoice", si[blocked], "status", np.full(len(blocked), "released"), rel_t)
    cleared[blocked] = rel_t

    pay = sim.cal.next_weekday_at(np.maximum(cleared, reg + 10 * DAY), 1, 6.0)
    run_days, run_idx = np.unique(pay // DAY, return_inverse=True)
    runs = log.objects("payment_run", len(run_days), date=run_days.astype("datetime64[D]").astype(str))
    run_of = runs[run_idx]
    log.link("payment_run", run_of, "supplier_invoice", si, "pays")
    pay_t = pay + rng.integers(0, 900, nA)
    log.add(P, "Pay invoice", pr[A], pay_t, links=LI + [("payment_run", run_of, "payment run")])
    log.change("supplier_invoice", si, "status", np.full(nA, "paid"), pay_t)

    sim.state["goods_for_order"] = {"so": bound_so[A][bound[A]], "ts": gr_done[bound[A]]}
    sim.state["wh_warehouse_finance"] = dict(si=si, disc=wh_disc, block=wh_block, done=wh_done,
                                             hit=wh_block > 0)


def _sub(links: list, sel: np.ndarray) -> list:
    return [(o, i[sel], q) for o, i, q in links]

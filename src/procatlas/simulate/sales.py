"""Order to cash: sales order -> delivery -> customer invoice -> payment."""

from __future__ import annotations

import numpy as np

from procatlas.simulate.calendar import DAY, HOUR
from procatlas.simulate.config import CHANNELS_SALES, PRODUCT_LINE_WEIGHTS, PRODUCT_LINES, SLA_DELIVERY_H
from procatlas.simulate.context import Sim

P = "order_to_cash"


def take_orders(sim: Sim, n: int) -> None:
    """Receive, credit-check and confirm ``n`` orders; changes, cancellations and shortages."""
    rng, log = sim.rng, sim.log
    n_cust = max(10, n // 3)
    cust = log.objects("customer", n_cust, collective_invoicing=rng.random(n_cust) < 0.3,
                       segment=rng.choice(np.array(["retail", "trade", "online"]), n_cust, p=[.3, .2, .5]))
    line = rng.choice(len(PRODUCT_LINES), n, p=PRODUCT_LINE_WEIGHTS)
    kinds = np.array(list(CHANNELS_SALES))
    channel = rng.choice(len(kinds), n, p=list(CHANNELS_SALES.values()))
    t = np.empty(n, np.int64)
    for c in range(len(kinds)):  # web shop orders come in all week and all day, e-mails in office hours
        m = channel == c
        t[m] = sim.arrivals(int(m.sum()), weekend=0.7 if kinds[c] == "web_shop" else 0.05,
                            office_hours=kinds[c] == "email", month_end=1.4)
    t = np.sort(t)  # numbering follows arrival
    so = log.objects("sales_order", n, customer=rng.integers(0, n_cust, n), product_line=line,
                     amount=np.round(rng.lognormal(np.log(800), 0.9, n), 2), channel=channel)
    customer = log.types["sales_order"].attributes["customer"][so]
    log.link("sales_order", so, "customer", customer, "ordered by")
    email = channel == list(CHANNELS_SALES).index("email")
    ts_recv = t.copy()
    rcv_t, rcv_r, g = sim.human(t[email], "Sales", 0.3, 0.6)
    ts_recv[email] = rcv_t
    res = np.full(n, -1, np.int32)
    res[email] = rcv_r
    log.add(P, "Receive sales order", so, ts_recv, resource=res, group=g, links=[("sales_order", so, "order")])
    chk = sim.system(ts_recv, 90)
    log.add(P, "Check credit", so, chk, links=[("sales_order", so, "order")])
    conf = chk + 5
    c_t, c_r, g = sim.human(chk[email], "Sales", 2.0, 0.9, prev_res=rcv_r, keep=0.7)
    conf[email] = c_t
    cres = np.full(n, -1, np.int32)
    cres[email] = c_r
    log.add(P, "Confirm sales order", so, conf, resource=cres, group=g, links=[("sales_order", so, "order")])

    last = conf.copy()
    hot = {}
    p_chg = sim.prob("so_change_after_confirmation", hot, n)
    chg = sim.draw(p_chg)
    ch_t, ch_r, g = sim.human(conf[chg], "Sales", 8.0, 0.9)
    log.add(P, "Change sales order", so[chg], ch_t, resource=ch_r, group=g, links=[("sales_order", so[chg], "order")])
    amounts = log.types["sales_order"].attributes["amount"]
    log.change("sales_order", so[chg], "amount", np.round(amounts[chg] * rng.uniform(0.6, 1.4, chg.sum()), 2), ch_t)
    log.plant("sales_order", so[chg], "order_change_after_approval", "Change sales order", p_chg)
    last[chg] = ch_t

    short = sim.draw(np.full(n, sim.rates.stock_shortage))
    p_can = sim.prob("so_cancellation", hot, n)
    cancel = sim.draw(p_can, ~short)
    ca_t, ca_r, g = sim.human(last[cancel], "Sales", 10.0, 0.8)
    log.add(P, "Cancel sales order", so[cancel], ca_t, resource=ca_r, group=g,
            links=[("sales_order", so[cancel], "order")])
    log.plant("sales_order", so[cancel], "cancellation", "Cancel sales order", p_can[~short])
    sim.state["sales"] = dict(so=so, conf=conf, last=last, cancel=cancel, short=short, line=line,
                              customer=customer, channel=channel)
    sim.state["shortage"] = (so[short], sim.system(conf[short], 600))


def fulfil(sim: Sim) -> None:
    """Deliver confirmed orders (waiting for goods of shortage orders), invoice, collect payment."""
    rng, log, st = sim.rng, sim.log, sim.state["sales"]
    live = ~st["cancel"]
    so = st["so"][live]
    ready = st["last"][live].copy()
    gr_for_so = sim.state.get("goods_for_order", {})
    if gr_for_so:
        idx = np.searchsorted(so, gr_for_so["so"])
        ready[idx] = np.maximum(ready[idx], gr_for_so["ts"])
    n = len(so)
    dl = log.objects("delivery", n, kind=np.zeros(n, np.int8))
    log.link("delivery", dl, "sales_order", so, "delivers")
    links = [("delivery", dl, "delivery"), ("sales_order", so, "order")]
    cr = sim.system(sim.cal.next_daily_at(ready, 5.5), 120)  # overnight delivery-due list
    log.add(P, "Create delivery", so, cr, links=links)
    pk_t, pk_r, g = sim.human(cr, "Warehouse", 5.0, 0.9)
    log.add(P, "Pick goods", so, pk_t, resource=pk_r, group=g, links=links)
    sh_t, sh_r, g = sim.human(pk_t, "Warehouse", 2.0, 0.8, prev_res=pk_r, keep=0.6)
    log.add(P, "Ship goods", so, sh_t, resource=sh_r, group=g, links=links)
    conf = st["conf"][live]
    late = sim.cal.work_between(conf, sh_t) > SLA_DELIVERY_H * HOUR
    log.plant("sales_order", so[late], "sla_breach", "Ship goods")

    coll = log.types["customer"].attributes["collective_invoicing"][st["customer"][live]]
    ci = log.objects("customer_invoice", n, kind=np.zeros(n, np.int8))
    log.link("customer_invoice", ci, "sales_order", so, "bills")
    log.link("customer_invoice", ci, "delivery", dl, "for delivery")
    inv = np.empty(n, np.int64)
    inv[coll] = sim.system(sim.cal.month_end_close(sh_t[coll]), 300)  # month-end billing run
    i_t, i_r, g = sim.human(sh_t[~coll], "Finance AR", 6.0, 0.8)
    inv[~coll] = i_t
    ires = np.full(n, -1, np.int32)
    ires[~coll] = i_r
    links = [("customer_invoice", ci, "invoice"), ("sales_order", so, "order")]
    log.add(P, "Create customer invoice", so, inv, resource=ires, group=g, links=links)
    snd = sim.system(inv, 60)
    log.add(P, "Send customer invoice", so, snd, links=links)
    paid = sim.cal.next_daily_at(sim.calendar_lag(snd, 18, 0.6), 5.0) + rng.integers(0, 1800, n)
    overdue = paid - snd > 30 * DAY
    rem_t, rem_r, g = sim.human(snd[overdue] + 30 * DAY, "Finance AR", 2.0, 0.7)
    rem_t = np.minimum(rem_t, paid[overdue] - 1)
    log.add(P, "Send payment reminder", so[overdue], rem_t, resource=rem_r, group=g,
            links=[(o, i[overdue], q) for o, i, q in links])
    log.add(P, "Receive customer payment", so, paid, links=links)
    sim.state["delivered"] = dict(so=so, ship=sh_t, invoice=ci, delivery=dl, line=st["line"][live],
                                  customer=st["customer"][live])

"""Inventory, catalog, triggers, dependencies and linking on small hand-made workspaces."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from procatlas.errors import InputError
from procatlas.model.triggers import LinkRule
from procatlas.triggers.catalog import catalog
from procatlas.triggers.dependencies import dependencies, ocdfg, relations
from procatlas.triggers.inventory import inventory
from procatlas.triggers.linking import link_posts
from procatlas.triggers.triggers import triggers
from procatlas.workspace import Workspace

T0 = datetime(2025, 3, 3)  # a Monday


class Log:
    """Builds a tiny object-centric log in an in-memory workspace."""

    def __init__(self):
        self.events, self.objects, self.e2o, self.o2o = [], {}, [], []

    def obj(self, oid: str, otype: str, **attrs) -> str:
        self.objects[oid] = (otype, json.dumps(attrs) if attrs else None)
        return oid

    def ev(self, activity: str, ts: datetime, *objs: str, resource: str | None = None, **attrs) -> None:
        eid = len(self.events) + 1
        self.events.append((eid, f"e{eid}", activity, ts, resource, json.dumps(attrs) if attrs else None))
        self.e2o += [(eid, o) for o in objs]

    def link(self, a: str, b: str, q: str = "rel") -> None:
        self.o2o.append((a, b, q))

    def workspace(self) -> Workspace:
        ws = Workspace(":memory:")
        oids = {o: i + 1 for i, o in enumerate(self.objects)}
        ev = pa.table({"eid": [e[0] for e in self.events], "id": [e[1] for e in self.events],
                       "activity": [e[2] for e in self.events], "ts": [e[3] for e in self.events],
                       "resource": pa.array([e[4] for e in self.events], pa.string()),
                       "attrs": pa.array([e[5] for e in self.events], pa.string())})
        ws.execute("INSERT INTO event (eid, id, source_id, position, activity, timestamp, resource, attributes) "
                   "SELECT eid, id, 1, eid - 1, activity, ts, resource, CAST(attrs AS JSON) FROM t", register={"t": ev})
        ob = pa.table({"oid": list(oids.values()), "id": list(oids), "type": [v[0] for v in self.objects.values()],
                       "attrs": pa.array([v[1] for v in self.objects.values()], pa.string())})
        ws.execute("INSERT INTO object (oid, id, type, source_id, attributes) SELECT oid, id, type, 1, "
                   "CAST(attrs AS JSON) FROM t", register={"t": ob})
        if self.e2o:
            ws.execute("INSERT INTO event_object SELECT eid, oid, NULL FROM t", register={"t": pa.table(
                {"eid": [a for a, _ in self.e2o], "oid": [oids[b] for _, b in self.e2o]})})
        if self.o2o:
            ws.execute("INSERT INTO object_object SELECT s, t, q, 1 FROM x", register={"x": pa.table(
                {"s": [oids[a] for a, _, _ in self.o2o], "t": [oids[b] for _, b, _ in self.o2o],
                 "q": [q for *_, q in self.o2o]})})
        return ws


def _order_log(n: int = 30) -> Log:
    """Orders (external channel), their invoices (documents), a nightly job, and a customer."""
    log = Log()
    cust = log.obj("C1", "customer", handle="@anna")
    for i in range(n):
        t = T0 + timedelta(days=i, hours=9, minutes=i)
        o = log.obj(f"O-{i:03d}", "order", channel="web" if i % 3 else "phone")
        inv = log.obj(f"I-{i:03d}", "invoice")
        log.link(o, cust, "by")
        log.link(inv, o, "bills")
        log.ev("Receive order", t, o, cust)
        log.ev("Confirm order", t + timedelta(hours=1), o, resource="ann")
        log.ev("Create invoice", t + timedelta(hours=3), o, inv, resource="bob")
        log.ev("Send invoice", t + timedelta(hours=4), inv, resource="bob")
        log.ev("Close order", t + timedelta(hours=5), o, inv)
        job = log.obj(f"J-{i:03d}", "stock_check")  # nightly job at 02:xx, no person
        log.ev("Run stock check", T0 + timedelta(days=i, hours=2, minutes=i % 7), job)
        log.ev("Report stock", T0 + timedelta(days=i, hours=2, minutes=30), job)
    return log


def test_ocdfg_counts_by_hand():
    log = Log()
    a, b = log.obj("a", "order"), log.obj("b", "order")
    x = log.obj("x", "item")
    log.ev("create", T0, a, b, x)          # one event, two orders
    log.ev("pack", T0 + timedelta(1), a, b)
    log.ev("ship", T0 + timedelta(2), a, x)
    g = ocdfg(log.workspace())
    edges = {(r["object_type"], r["source"], r["target"]): (r["event_couples"], r["unique_objects"], r["total_objects"])
             for r in g.edges.to_pylist()}
    assert edges == {("order", "create", "pack"): (1, 2, 2), ("order", "pack", "ship"): (1, 1, 1),
                     ("item", "create", "ship"): (1, 1, 1)}
    acts = {(r["object_type"], r["activity"]): (r["events"], r["total_objects"]) for r in g.activities.to_pylist()}
    assert acts[("order", "create")] == (1, 2)
    starts = {(r["object_type"], r["activity"]) for r in g.start_activities.to_pylist()}
    ends = {(r["object_type"], r["activity"]) for r in g.end_activities.to_pylist()}
    assert starts == {("order", "create"), ("item", "create")}
    assert ends == {("order", "pack"), ("order", "ship"), ("item", "ship")}
    svg = g.to_svg()
    root = ET.fromstring(svg)  # well-formed
    assert svg.count("<marker") == 2 and root.tag.endswith("svg")
    assert g._repr_svg_() == svg


def test_relation_cardinalities():
    log = Log()
    for k in range(3):
        log.obj(f"o{k}", "order")
        log.obj(f"i{k}", "invoice")
        log.link(f"i{k}", f"o{k}", "bills")           # 1:1
        log.link(f"o{k}", "c", "by")                   # n:1
    log.obj("c", "customer")
    log.obj("p", "payment")
    log.link("p", "i0", "pays"), log.link("p", "i1", "pays")  # 1:n
    log.obj("t1", "tag"), log.obj("t2", "tag")
    for t in ("t1", "t2"):
        for o in ("o0", "o1"):
            log.link(t, o, "tags")                     # m:n
    card = {(r.source_type, r.target_type): r.cardinality for r in relations(log.workspace())}
    assert card == {("invoice", "order"): "1:1", ("order", "customer"): "n:1", ("payment", "invoice"): "1:n",
                    ("tag", "order"): "m:n"}


def test_relations_with_equal_counts_ordered_by_qualifier():
    """Most links first, then types and qualifier: a total order, so both engines list ties alike
    (an order by types only let Spark swap two qualifiers of ocpa's running example)."""
    log = Log()
    log.obj("o", "order")
    for k, q in enumerate("zyxwvu"):
        log.obj(f"e{k}", "employee")
        log.link("o", f"e{k}", f"{q}Rep")
    log.link("o", "e0", "aRep")
    keys = [(r.links, r.qualifier) for r in relations(log.workspace())]
    assert keys == [(1, f"{q}Rep") for q in "auvwxyz"]


def test_inventory_roles_and_triggers():
    ws = _order_log().workspace()
    inv = inventory(ws)
    roles = {p.process: (p.role, p.part_of) for p in inv.processes}
    assert roles["order"] == ("process", None) and roles["invoice"] == ("document", "order")
    assert roles["customer"][0] == "master data"
    assert inv["order"].start_activities == (("Receive order", 30),)
    assert inv["order"].people == 2 and inv["order"].duration_median_s == 5 * 3600
    result = triggers(ws)
    by = {(t.process, t.kind, t.source): t for t in result.triggers}
    assert by[("order", "external", "web")].cases == 20 and by[("order", "external", "phone")].cases == 10
    assert by[("invoice", "process", "order")].activity == "Confirm order"
    assert by[("invoice", "process", "order")].lag_median_s == 2 * 3600
    sched = by[("stock_check", "schedule", "02:00-03:00")]
    assert sched.share == 1.0
    test = next(s for s in result.tests if s.process == "stock_check" and s.grid == "hour")
    assert test.significant and test.peaks == ("02:00-03:00",)
    # in another time zone the same run is at 03:00 (CET)
    cet = triggers(ws, process="stock_check", timezone="Europe/Amsterdam")
    assert cet.triggers[0].source == "03:00-04:00"
    with pytest.raises(InputError, match="no process 'nope'"):
        triggers(ws, process="nope")


def test_unscheduled_system_starts_stay_unknown():
    log = Log()
    for i in range(60):  # system starts spread evenly over the day and week
        o = log.obj(f"T-{i}", "ticket")
        log.ev("Open", T0 + timedelta(minutes=i * 167), o)
        log.ev("Close", T0 + timedelta(minutes=i * 167 + 30), o, resource="eve")
    result = triggers(log.workspace())
    assert [(t.kind, t.source) for t in result.triggers] == [("unknown", "system")]
    assert not any(s.significant for s in result.tests)


def test_external_from_a_message_that_refers_to_the_case():
    log = Log()
    for i in range(5):
        o = log.obj(f"K-{i}", "complaint")
        log.ev("Register complaint", T0 + timedelta(days=i, hours=10), o, resource="ann")
    ws = log.workspace()
    ws.execute("INSERT INTO message (mid, id, source_id, timestamp, sender, kind, case_refs) VALUES "
               "(1, 'm1', 1, ?, 'cust', 'email', ['K-0']), (2, 'm2', 1, ?, 'cust', 'email', ['K-1'])",
               [T0 + timedelta(hours=9), T0 + timedelta(days=1, hours=20)])  # the second comes after the start
    result = triggers(ws)
    kinds = {(t.kind, t.source): t.cases for t in result.triggers}
    assert kinds == {("external", "email"): 1, ("manual", "person"): 4}


def test_catalog_rows_and_files(tmp_path):
    ws = _order_log().workspace()
    cat = catalog(ws)
    rows = {(r["process"], r["activity"]): r for r in cat.rows()}
    assert rows[("order", "Receive order")]["trigger"] == "start:external"
    assert rows[("order", "Receive order")]["position"] == 0
    assert rows[("order", "Confirm order")]["trigger"] == "person"
    assert rows[("order", "Close order")]["after"] == "(end) (100%)"
    assert rows[("order", "Create invoice")]["object_types"] == "invoice, order"
    assert rows[("stock_check", "Run stock check")]["trigger"] == "start:schedule"
    md = cat.write(tmp_path / "c.md").read_text()
    assert md.startswith("# Event catalog") and "## order" in md and "| Confirm order | 30 | 30 |" in md
    csv_text = cat.write(tmp_path / "c.csv").read_text().splitlines()
    assert csv_text[0].startswith("process,activity,object_types,events,cases") and len(csv_text) == 1 + len(rows)
    with pytest.raises(InputError, match=r"\.md or \.csv"):
        cat.write(tmp_path / "c.txt")
    assert cat.to_arrow().num_rows == len(rows)


def test_dependencies_across_processes():
    log = _order_log(12)
    for i in range(12):  # each order asks the warehouse (its own process) for a pick, then waits
        p = log.obj(f"P-{i}", "pick")
        log.link(p, f"O-{i:03d}", "for")
        t = T0 + timedelta(days=i, hours=9, minutes=i)
        log.ev("Request pick", t + timedelta(minutes=30), p, resource="wh")
        log.ev("Pick done", t + timedelta(minutes=50), p, resource="wh")
    deps = dependencies(log.workspace())
    pairs = {(d.from_type, d.from_activity, d.to_type, d.to_activity): d for d in deps.dependencies}
    across = pairs[("pick", "Pick done", "order", "Confirm order")]
    assert across.scope == "across" and across.share == 1.0 and across.lag_median_s == 10 * 60
    # the invoice is made by an order step (Create invoice belongs to the order): not a dependency
    assert not any(d.to_type == "invoice" for d in deps.dependencies)
    assert pairs[("order", "Receive order", "pick", "Request pick")].starts  # the order starts the pick
    closing = pairs[("invoice", "Send invoice", "order", "Close order")]  # the order waits for its invoice
    assert closing.scope == "within" and closing.lag_median_s == 3600
    assert deps.to_dict()["ocdfg"]["edges"]


def test_link_rules(tmp_path):
    log = _order_log(3)
    ws = log.workspace()
    ws.execute("INSERT INTO message (mid, id, source_id, timestamp, sender, kind, text) VALUES "
               "(1, 'p1', 1, ?, '@anna', 'social', 'where is my stuff'), "
               "(2, 'p2', 1, ?, '@bert', 'social', 'order O-001 is late'), "
               "(3, 'p3', 1, ?, '@carl', 'social', 'nice shop')",
               [T0 + timedelta(hours=9), T0 + timedelta(days=3), T0 + timedelta(days=9)])
    rules = [LinkRule("id_in_text", object_type="order", pattern=r"\bO-\d{3}\b"),
             LinkRule("author", object_type="customer", attribute="handle")]
    res = link_posts(ws, rules=rules, own_accounts=())
    got = {x["post_id"]: (x["object_id"], x["rule"].split(":")[0]) for x in res.links}
    assert got == {"p2": ("O-001", "id_in_text"), "p1": ("C1", "author")}
    assert (res.posts, res.linked, res.unlinked) == (3, 2, 1)
    with pytest.raises(InputError, match="regular expression"):
        link_posts(ws, rules=[LinkRule("id_in_text", object_type="order", pattern="(")])
    with pytest.raises(InputError, match="kind must be"):
        link_posts(ws, rules=[LinkRule("guess")])


def test_shared_object_tables_are_built_once_with_the_same_results(monkeypatch):
    """The atlas runs inventory, catalog, triggers and dependencies inside shared_object_tables:
    the working tables are built by the first and reused (four builds become one), the results
    are those of each analysis alone, and nothing is left behind."""
    from procatlas.triggers._base import shared_object_tables
    ws = _order_log(30).workspace()

    def run():
        return [inventory(ws).to_dict(), catalog(ws).to_dict(), [t.to_dict() for t in triggers(ws).triggers],
                json.loads(json.dumps(dependencies(ws).to_dict(), default=str))]
    builds: list[str] = []
    execute = ws.execute
    monkeypatch.setattr(ws, "execute", lambda sql, *a, **k: (
        builds.append(sql) if "_eo AS" in sql and "CREATE TEMP TABLE pa_trg" in sql else None) or execute(sql, *a, **k))
    alone = run()
    assert len(builds) >= 4
    builds.clear()
    with shared_object_tables(ws):
        shared = run()
    assert shared == alone and len(builds) == 1
    assert ws.rows("SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'pa_trg%'") == []


def test_shared_object_tables_stay_with_the_thread_that_shares_them():
    """Another thread with the same workspace object does not read the shared tables, which the
    sharing thread drops when it leaves: it builds and drops its own."""
    import threading

    from procatlas.triggers._base import object_tables, shared_object_tables
    ws = _order_log(10).workspace()
    seen: dict[str, str] = {}

    def other():
        with object_tables(ws) as t:
            seen["other"] = t.p
    with shared_object_tables(ws):
        with object_tables(ws) as t:
            seen["first"] = t.p
        with object_tables(ws) as t:
            assert t.p == seen["first"]  # kept for the next analysis of this thread
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert seen["other"] != seen["first"]
        # the other thread dropped its own tables, the shared ones are still there
        left = {r[0] for r in ws.rows("SELECT table_name FROM duckdb_tables() WHERE temporary")}
        assert f"{seen['first']}_eo" in left and f"{seen['other']}_eo" not in left
    assert ws.rows("SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'pa_trg%'") == []

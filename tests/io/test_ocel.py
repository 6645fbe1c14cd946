"""OCEL readers and writers: real logs against the manifest and pm4py, round trips, broken files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import sqlite3
import warnings
from pathlib import Path

import pyarrow as pa
import pytest
from lxml import etree

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io.ocel import read_ocel_json, read_ocel_sqlite, read_ocel_xml
from procatlas.io.ocel_write import write_ocel2_json, write_ocel2_sqlite
from procatlas.io.readers import reader_for
from tests.conftest import data_file

READER_BY_SUFFIX = {".jsonocel": read_ocel_json, ".json": read_ocel_json, ".xmlocel": read_ocel_xml,
                    ".xml": read_ocel_xml, ".sqlite": read_ocel_sqlite}


def reader_of(path: Path):
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return READER_BY_SUFFIX[Path(name).suffix]


def stage(stager, path: Path):
    reader_of(path)(path, stager, ReadOptions())
    return stager



def utc(text):
    """Timestamp text as UTC naive (naive text is taken as UTC, as the workspace does by default)."""
    if text is None:
        return None
    t = dt.datetime.fromisoformat(str(text).strip())
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def snapshot(st) -> dict:
    """Everything a reader staged, normalised for comparison."""
    con = st.con
    events = {}
    for eid, act, ts_text, attrs in con.execute(
            "SELECT event_id, activity, ts_text, attributes FROM stage_event ORDER BY position").fetchall():
        events[eid] = (act, utc(ts_text), json.loads(attrs) if attrs else {})
    objects = {oid: (t, json.loads(a) if a else {}) for oid, t, a in
               con.execute("SELECT object_id, type, attributes FROM stage_object").fetchall()}
    e2o = sorted(con.execute(
        "SELECT event_id, object_id, coalesce(qualifier, '') FROM stage_event_object").fetchall())
    o2o = sorted(con.execute(
        "SELECT source_id, target_id, coalesce(qualifier, '') FROM stage_object_object").fetchall())
    changes = sorted((o, n, json.dumps(json.loads(v), sort_keys=True), utc(t)) for o, n, v, t in con.execute(
        "SELECT object_id, name, value, ts_text FROM stage_object_change").fetchall())
    return {"events": events, "objects": objects, "e2o": e2o, "o2o": o2o, "changes": changes}


def tables_from(snap: dict) -> dict[str, pa.Table]:
    """The writer's input tables built from a snapshot."""
    ev = snap["events"]
    ch = snap["changes"]
    return {
        "events": pa.table({
            "event_id": list(ev), "activity": [v[0] for v in ev.values()],
            "timestamp": pa.array([v[1] for v in ev.values()], pa.timestamp("us")),
            "attributes": [json.dumps(v[2]) if v[2] else None for v in ev.values()]}),
        "objects": pa.table({
            "object_id": list(snap["objects"]), "type": [v[0] for v in snap["objects"].values()],
            "attributes": [json.dumps(v[1]) if v[1] else None for v in snap["objects"].values()]}),
        "event_objects": pa.table({"event_id": [r[0] for r in snap["e2o"]], "object_id": [r[1] for r in snap["e2o"]],
                                   "qualifier": [r[2] for r in snap["e2o"]]}),
        "object_objects": pa.table({"source_id": [r[0] for r in snap["o2o"]],
                                    "target_id": [r[1] for r in snap["o2o"]],
                                    "qualifier": [r[2] for r in snap["o2o"]]}),
        "object_changes": pa.table({"object_id": [r[0] for r in ch], "name": [r[1] for r in ch],
                                    "value": [r[2] for r in ch],
                                    "timestamp": pa.array([r[3] for r in ch], pa.timestamp("us"))}),
    }


# ---------------------------------------------------------------------------------------
# real logs: counts from the manifest, checked by an independent read of each file
# ---------------------------------------------------------------------------------------

# file -> (events, objects) as MANIFEST.md states them
MANIFEST = {
    "pm4py__pm4py-core/ocel/ocel20_example.jsonocel": (13, 9),
    "pm4py__pm4py-core/ocel/ocel20_example.xmlocel": (13, 9),
    "pm4py__pm4py-core/ocel/ocel20_example.sqlite": (13, 9),
    "pm4py__pm4py-core/ocel/example_log.jsonocel": (23, 15),
    "pm4py__pm4py-core/ocel/example_log.xmlocel": (23, 15),
    "pm4py__pm4py-core/ocel/example_log.sqlite": (23, 15),
    "pm4py__pm4py-core/ocel/recruiting-red.jsonocel": (6607, 1051),
    "ocpm__ocpa/p2p-normal.jsonocel": (720, 781),
    "ocpm__ocpa/order_process.jsonocel": (2391, 796),
    "ocpm__ocpa/running-example.sqlite": (18211, 10031),
    "ocpm__ocpa/logistics.sqlite": (8727, 970),
}


def independent_counts(path: Path) -> tuple[int, int, int]:
    """(events, objects, event-object links) read without procatlas."""
    if path.suffix == ".sqlite":
        con = sqlite3.connect(path)
        names = {r[0].lower() for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "event" in names:
            counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                           for t in ("event", "object", "event_object"))
        else:
            counts = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                           for t in ("EVENTS", "OBJECTS", "RELATIONS"))
        con.close()
        return counts  # type: ignore[return-value]
    if path.suffix == ".jsonocel":
        doc = json.loads(path.read_text(encoding="utf-8"))
        if "ocel:events" in doc:
            evs = doc["ocel:events"]
            return len(evs), len(doc["ocel:objects"]), sum(len(e.get("ocel:omap", [])) for e in evs.values())
        return (len(doc["events"]), len(doc["objects"]),
                sum(len(e.get("relationships") or []) for e in doc["events"]))
    tree = etree.parse(str(path))
    events = tree.findall("./events/event")
    objects = tree.findall("./objects/object")
    links = len(tree.findall("./events/event/objects/relationship")) + \
        len(tree.findall("./events/event/list[@key='omap']/string"))
    return len(events), len(objects), links


@pytest.mark.parametrize("rel", sorted(MANIFEST))
def test_real_log_counts_match_manifest_and_file(stager, rel):
    path = data_file(rel)
    st = stage(stager, path)
    events, objects, links = independent_counts(path)
    assert (events, objects) == MANIFEST[rel], f"manifest disagrees with the file {rel}"
    assert st.counts["event"] == events
    assert st.counts["object"] == objects
    assert st.counts["event_object"] == links
    assert st.counts["reject"] == 0
    # positions are 0..n-1, each once
    pos = st.con.execute("SELECT min(position), max(position), count(DISTINCT position) FROM stage_event").fetchone()
    assert pos == (0, events - 1, events)
    # every staged event has timestamp text the workspace can parse
    bad = [t for (t,) in st.con.execute("SELECT ts_text FROM stage_event").fetchall() if utc(t) is None]
    assert bad == []


def test_logistics_dangling_handling_units_are_staged_faithfully(stager):
    path = data_file("ocpm__ocpa/logistics.sqlite")
    con = sqlite3.connect(path)
    missing = con.execute("SELECT count(*) FROM event_object WHERE ocel_object_id NOT IN "
                          "(SELECT ocel_id FROM object)").fetchone()[0]
    hu_objects = con.execute("SELECT count(*) FROM object WHERE ocel_type = 'Handling Unit'").fetchone()[0]
    con.close()
    assert missing == 5080 and hu_objects == 0
    st = stage(stager, path)
    staged_missing = st.con.execute("""SELECT count(*) FROM stage_event_object l
        WHERE NOT EXISTS (SELECT 1 FROM stage_object o WHERE o.object_id = l.object_id)""").fetchone()[0]
    assert staged_missing == 5080
    assert st.con.execute("SELECT count(*) FROM stage_event_object WHERE object_id LIKE 'hu%'").fetchone()[0] == 5080
    # time is 'YYYY-MM-DD HH:MM:SS' text, handed over raw
    assert st.con.execute("SELECT ts_text FROM stage_event WHERE event_id = 'weigh_cr2'").fetchone()[0] == \
        "2023-05-30 09:14:34"
    # time-varying attributes become changes: one per row with ocel_changed_field set
    con = sqlite3.connect(path)
    expected = {}
    for table in ("object_Container", "object_TransportDocument"):
        for field, n in con.execute(f"SELECT ocel_changed_field, count(*) FROM {table} "
                                    "WHERE ocel_changed_field IS NOT NULL GROUP BY 1"):
            expected[field] = expected.get(field, 0) + n
    con.close()
    n_changes = dict(st.con.execute("SELECT name, count(*) FROM stage_object_change GROUP BY 1").fetchall())
    assert n_changes == expected and n_changes["Weight"] == 510


def test_running_example_sqlite_ignores_the_empty_object__table_and_reads_changes(stager):
    st = stage(stager, data_file("ocpm__ocpa/running-example.sqlite"))
    types = dict(st.con.execute("SELECT type, count(*) FROM stage_object GROUP BY 1").fetchall())
    assert types == {"customers": 3, "employees": 18, "items": 7670, "orders": 2000, "packages": 320,
                     "products": 20}
    # products carry 120 price changes (6 per product) after their initial row
    assert st.counts["object_change"] == 120
    kindle = st.con.execute("SELECT attributes FROM stage_object WHERE object_id = 'Kindle Paperwhite'").fetchone()[0]
    assert json.loads(kindle) == {"weight": 0.495, "price": 129.0}
    # integer ids in object_Items still join the text ids of table object
    item = st.con.execute("SELECT attributes FROM stage_object WHERE object_id = '880001'").fetchone()[0]
    assert json.loads(item) == {"weight": 0.98, "price": 129.99}
    assert ("object", "price", "float") in st.con.execute("SELECT * FROM stage_attribute").fetchall()


def test_ocel20_example_same_content_in_all_three_formats():
    snaps = {}
    for suffix in ("jsonocel", "xmlocel", "sqlite"):
        st = stage(fresh_stager(), data_file(f"pm4py__pm4py-core/ocel/ocel20_example.{suffix}"))
        snaps[suffix] = snapshot(st)
        st.con.close()
    for key in ("objects", "e2o", "o2o"):
        assert snaps["jsonocel"][key] == snaps["xmlocel"][key] == snaps["sqlite"][key], key
    for a, b in (("jsonocel", "xmlocel"), ("jsonocel", "sqlite")):
        assert {k: (v[0], v[2]) for k, v in snaps[a]["events"].items()} == \
               {k: (v[0], v[2]) for k, v in snaps[b]["events"].items()}
    # the published files disagree on time: JSON is UTC, XML and SQLite are naive CET (UTC+1)
    shift = {k: snaps["xmlocel"]["events"][k][1] - v[1] for k, v in snaps["jsonocel"]["events"].items()}
    assert set(shift.values()) == {dt.timedelta(hours=1)}
    st = stage(fresh_stager(), data_file("pm4py__pm4py-core/ocel/ocel20_example.jsonocel"))
    assert json.loads(st.con.execute("SELECT attributes FROM stage_object WHERE object_id='PO1'").fetchone()[0]) == \
        {"po_product": "Cows", "po_quantity": "500"}
    assert st.con.execute("SELECT value, ts_text FROM stage_object_change WHERE object_id='PO1'").fetchall() == \
        [('"600"', "2022-01-13T11:00:00+00:00")]


def test_ocel1_files_without_global_event_key_read(stager):
    path = data_file("ocpm__ocpa/p2p-normal.jsonocel")
    assert "ocel:global-event" not in json.loads(path.read_text())
    st = stage(stager, path)
    assert st.detected["format"] == "ocel1-json"
    assert st.con.execute("SELECT ts_text FROM stage_event WHERE position = 0").fetchone()[0] == \
        "2021-03-01T09:00:00+01:00"
    attrs = json.loads(st.con.execute("SELECT attributes FROM stage_object WHERE object_id='MATERIAL0'").fetchone()[0])
    assert attrs["net_price"] == 234 and isinstance(attrs["net_price"], int)


def test_json_locations_are_lines(stager):
    path = data_file("pm4py__pm4py-core/ocel/ocel20_example.jsonocel")
    st = stage(stager, path)
    lines = path.read_text().splitlines()
    for eid, loc in st.con.execute("SELECT event_id, location FROM stage_event").fetchall():
        # the element starts at '{' on line loc; its id follows within a few lines
        window = "\n".join(lines[loc - 1: loc + 3])
        assert f'"{eid}"' in window


def test_registry_dispatches_to_ocel_readers():
    assert reader_for("ocel2-json") is read_ocel_json
    assert reader_for("ocel2-xml") is read_ocel_xml
    assert reader_for("ocel2-sqlite") is read_ocel_sqlite


def test_compressed_inputs(tmp_path):
    for rel in ("pm4py__pm4py-core/ocel/ocel20_example.jsonocel", "pm4py__pm4py-core/ocel/ocel20_example.sqlite",
                "pm4py__pm4py-core/ocel/ocel20_example.xmlocel"):
        src = data_file(rel)
        gz = tmp_path / (src.name + ".gz")
        with open(src, "rb") as f, gzip.open(gz, "wb") as g:
            shutil.copyfileobj(f, g)
        plain, packed = fresh_stager(), fresh_stager()
        assert snapshot(stage(plain, src)) == snapshot(stage(packed, gz))
        assert packed.counts["event"] == 13


# ---------------------------------------------------------------------------------------
# pm4py as oracle (skipped when it is not installed)
# ---------------------------------------------------------------------------------------

PM4PY_FILES = {
    "pm4py__pm4py-core/ocel/ocel20_example.jsonocel": "read_ocel2_json",
    "pm4py__pm4py-core/ocel/ocel20_example.xmlocel": "read_ocel2_xml",
    "pm4py__pm4py-core/ocel/ocel20_example.sqlite": "read_ocel2_sqlite",
    "pm4py__pm4py-core/ocel/example_log.jsonocel": "read_ocel_json",
    "pm4py__pm4py-core/ocel/example_log.xmlocel": "read_ocel_xml",
    "pm4py__pm4py-core/ocel/example_log.sqlite": "read_ocel_sqlite",
    "pm4py__pm4py-core/ocel/recruiting-red.jsonocel": "read_ocel_json",
    "ocpm__ocpa/running-example.sqlite": "read_ocel2_sqlite",
    "ocpm__ocpa/logistics.sqlite": "read_ocel2_sqlite",
}


def pm4py_read(func: str, path: Path):
    pm4py = pytest.importorskip("pm4py")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(pm4py, func)(str(path))


def pm4py_links(ocel):
    r = ocel.relations
    q = r["ocel:qualifier"].fillna("") if "ocel:qualifier" in r else [""] * len(r)
    e2o = set(zip(r["ocel:eid"].astype(str), r["ocel:oid"].astype(str), q))
    o = ocel.o2o
    o2o = set(zip(o["ocel:oid"].astype(str), o["ocel:oid_2"].astype(str), o["ocel:qualifier"].fillna(""))) \
        if len(o) else set()
    return e2o, o2o


@pytest.mark.parametrize("rel", sorted(PM4PY_FILES))
def test_links_and_qualifiers_equal_pm4py(stager, rel):
    path = data_file(rel)
    ocel = pm4py_read(PM4PY_FILES[rel], path)
    snap = snapshot(stage(stager, path))
    pm_e2o, pm_o2o = pm4py_links(ocel)
    # pm4py drops links whose event or object is missing (the workspace rejects them): compare
    # on the objects and events pm4py kept
    pm_objects = set(ocel.objects["ocel:oid"].astype(str))
    pm_events = set(ocel.events["ocel:eid"].astype(str))
    ours_e2o = {l for l in snap["e2o"] if l[1] in pm_objects and l[0] in pm_events}
    ours_o2o = {l for l in snap["o2o"] if l[0] in pm_objects and l[1] in pm_objects}
    assert ours_e2o == pm_e2o
    assert ours_o2o == pm_o2o
    assert pm_objects <= set(snap["objects"])
    assert pm_events <= set(snap["events"])
    # the same activities and object types
    assert {v[0] for k, v in snap["events"].items() if k in pm_events} == set(ocel.events["ocel:activity"])
    assert {v[0] for k, v in snap["objects"].items() if k in pm_objects} == set(ocel.objects["ocel:type"])


def test_pm4py_differences_are_the_known_ones(stager):
    """Where pm4py reads less than the file holds, the manifest explains why."""
    path = data_file("ocpm__ocpa/logistics.sqlite")
    ocel = pm4py_read("read_ocel2_sqlite", path)
    assert len(ocel.events) == 6187  # 2,540 events link only to missing Handling Units
    snap = snapshot(stage(stager, path))
    linked_to_existing = {e for e, o, _ in snap["e2o"] if o in snap["objects"]}
    assert len(set(snap["events"]) - linked_to_existing) == 8727 - 6187


# ---------------------------------------------------------------------------------------
# round trips through the writers
# ---------------------------------------------------------------------------------------

def round_trip(snap: dict, tmp_path: Path, kind: str, attribute_types=None) -> dict:
    out = tmp_path / ("rt.jsonocel" if kind == "json" else "rt.sqlite")
    writer = write_ocel2_json if kind == "json" else write_ocel2_sqlite
    writer(out, attribute_types=attribute_types, **tables_from(snap))
    st = fresh_stager()
    try:
        return snapshot(stage(st, out))
    finally:
        st.con.close()


def comparable(snap: dict) -> dict:
    """Links whose source object does not exist cannot be written into OCEL JSON objects."""
    out = dict(snap)
    out["o2o"] = [l for l in snap["o2o"] if l[0] in snap["objects"]]
    return out


@pytest.mark.parametrize("rel", ["pm4py__pm4py-core/ocel/ocel20_example.jsonocel",
                                 "pm4py__pm4py-core/ocel/example_log.jsonocel",
                                 "ocpm__ocpa/p2p-normal.jsonocel",
                                 "ocpm__ocpa/running-example.sqlite",
                                 "ocpm__ocpa/logistics.sqlite"])
@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_real_log_round_trip(tmp_path, rel, kind):
    st = stage(fresh_stager(), data_file(rel))
    before = snapshot(st)
    st.con.close()
    after = round_trip(before, tmp_path, kind)
    assert comparable(after) == comparable(before)


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_written_files_are_read_by_pm4py(tmp_path, kind):
    st = stage(fresh_stager(), data_file("ocpm__ocpa/running-example.sqlite"))
    snap = snapshot(st)
    out = tmp_path / ("x.jsonocel" if kind == "json" else "x.sqlite")
    (write_ocel2_json if kind == "json" else write_ocel2_sqlite)(out, **tables_from(snap))
    ocel = pm4py_read("read_ocel2_json" if kind == "json" else "read_ocel2_sqlite", out)
    assert len(ocel.events) == 18211
    # pm4py drops objects no event refers to (the 20 products, linked only object-to-object)
    in_events = {o for _, o, _ in snap["e2o"]}
    assert set(ocel.objects["ocel:oid"].astype(str)) == set(snap["objects"]) & in_events
    assert len(ocel.objects) == 10011
    e2o, o2o = pm4py_links(ocel)
    if kind == "sqlite":
        assert e2o == set(snap["e2o"])
    else:
        # pm4py's JSON import keeps one qualifier per (event, object): 30 pairs of this log have two
        assert {(e, o) for e, o, _ in e2o} == {(e, o) for e, o, _ in snap["e2o"]}
        assert e2o < set(snap["e2o"]) and len(snap["e2o"]) - len(e2o) == 30
    assert o2o == {l for l in snap["o2o"] if l[0] in in_events and l[1] in in_events}
    ts = ocel.events.set_index("ocel:eid")["ocel:timestamp"]
    assert ts["e1"].tz_convert(None).to_pydatetime() == snap["events"]["e1"][1]


def test_sqlite_writer_schema(tmp_path):
    st = stage(fresh_stager(), data_file("pm4py__pm4py-core/ocel/ocel20_example.jsonocel"))
    out = write_ocel2_sqlite(tmp_path / "x.sqlite", **tables_from(snapshot(st)))
    con = sqlite3.connect(out)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"event", "object", "event_object", "object_object", "event_map_type", "object_map_type",
            "event_CreatePurchaseOrder", "object_PurchaseOrder"} <= names
    assert con.execute("SELECT ocel_type_map FROM object_map_type WHERE ocel_type='Purchase Order'").fetchone() == \
        ("PurchaseOrder",)
    rows = con.execute("SELECT ocel_time, ocel_changed_field, po_quantity FROM object_PurchaseOrder "
                       "WHERE ocel_id='PO1' ORDER BY ocel_time").fetchall()
    assert rows == [("1970-01-01 00:00:00.000000", None, "500"), ("2022-01-13 11:00:00.000000", "po_quantity", "600")]
    con.close()


def test_json_writer_declares_types_and_writes_z_times(tmp_path):
    ev = pa.table({"event_id": ["e1", "e2"], "activity": ["A", "A"],
                   "timestamp": pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5, 250)],
                                         pa.timestamp("us")),
                   "attributes": ['{"n": 1, "x": 1, "ok": true, "who": "Ann"}', '{"n": 2, "x": 2.5}']})
    ob = pa.table({"object_id": ["o"], "type": ["T"], "attributes": ['{"when": "2024-01-01T00:00:00Z"}']})
    out = write_ocel2_json(tmp_path / "x.jsonocel", events=ev, objects=ob, event_objects=None, object_objects=None,
                           object_changes=None, attribute_types={("object", "when"): "date"})
    doc = json.loads(out.read_text())
    assert doc["eventTypes"] == [{"name": "A", "attributes": [
        {"name": "n", "type": "integer"}, {"name": "ok", "type": "boolean"}, {"name": "who", "type": "string"},
        {"name": "x", "type": "float"}]}]
    assert doc["objectTypes"] == [{"name": "T", "attributes": [{"name": "when", "type": "time"}]}]
    assert [e["time"] for e in doc["events"]] == ["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000250Z"]
    assert doc["events"][0]["attributes"][1] == {"name": "x", "value": 1.0}


# ---------------------------------------------------------------------------------------
# broken files: one-line InputError naming the file
# ---------------------------------------------------------------------------------------

def _example_bytes(name: str) -> bytes:
    return data_file(f"pm4py__pm4py-core/ocel/{name}").read_bytes()


BROKEN = {
    "not-json.jsonocel": (lambda: b"hello, this is not json\n", "invalid JSON"),
    "empty.jsonocel": (lambda: b"   \n", "is empty"),
    "list.json": (lambda: b"[1, 2, 3]", "is JSON but not OCEL"),
    "plain.json": (lambda: b'{"name": "x", "rows": []}', "is JSON but not OCEL (no objects/events keys"),
    "events-number.jsonocel": (lambda: b'{"events": 5, "objects": []}', "'events' must be an array"),
    "latin1.jsonocel": (lambda: '{"events": [], "objects": [{"id": "\xe9"}]}'.encode("latin-1"), "not UTF-8"),
    "truncated.jsonocel": (lambda: _example_bytes("ocel20_example.jsonocel")[:5000], "truncated"),
    "trailing.jsonocel": (lambda: b'{"events": [], "objects": []} {"x": 1}', "extra data"),
    "truncated.xmlocel": (lambda: _example_bytes("ocel20_example.xmlocel")[:4000], "XML"),
    "not-ocel.xmlocel": (lambda: b"<?xml version='1.0'?><html><body/></html>", "is XML but not OCEL"),
    "xes.xml": (lambda: b"<log xes.version='1.0'><trace><event/></trace></log>", "<trace>"),
    "garbage.xmlocel": (lambda: b"\x00\x01binary", "XML"),
    "text.sqlite": (lambda: b"just some text, not a database\n" * 10, "not an SQLite database"),
    "truncated.sqlite": (lambda: _example_bytes("ocel20_example.sqlite")[:8192], "SQLite"),
    "truncated.jsonocel.gz": (lambda: gzip.compress(_example_bytes("ocel20_example.jsonocel"))[:900], "truncated"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_raise_one_line_input_error(tmp_path, stager, name):
    make, expected = BROKEN[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(InputError) as err:
        reader_of(path)(path, stager, ReadOptions())
    message = str(err.value)
    assert "\n" not in message
    assert name in message
    assert expected in message


def test_sqlite_database_without_ocel_tables(tmp_path, stager):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    con.commit()
    con.close()
    with pytest.raises(InputError, match=r"other\.sqlite: is an SQLite database but not OCEL .*customers"):
        read_ocel_sqlite(path, stager, ReadOptions())


def test_error_names_the_line(tmp_path, stager):
    path = tmp_path / "bad.jsonocel"
    path.write_text('{"events": [\n  {"id": "e1", "type": "A", "time": "2024-01-01T00:00:00Z"},\n  {"id": oops}\n]}')
    with pytest.raises(InputError) as err:
        read_ocel_json(path, stager, ReadOptions())
    assert err.value.location == 3
    assert str(err.value).startswith(f"{path}:3: ")


def test_non_object_elements_are_rejected_not_dropped(tmp_path, stager):
    path = tmp_path / "odd.jsonocel"
    path.write_text('{"events": [\n{"id": "e1", "type": "A", "time": "2024-01-01T00:00:00Z"},\n42\n],'
                    ' "objects": []}')
    read_ocel_json(path, stager, ReadOptions())
    assert stager.counts["event"] == 1
    assert stager.con.execute("SELECT location, reason FROM stage_reject").fetchall() == \
        [(3, "event is not a JSON object")]


# ---------------------------------------------------------------------------------------
# property: random small logs survive writer + reader, JSON and SQLite
# ---------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests.conftest import fresh_stager

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6)
# attribute name -> (OCEL type, value strategy); names include non-ASCII and spaces
_ATTRS = {
    "amount": ("float", st.floats(allow_nan=False, allow_infinity=False, width=64)),
    "größe": ("integer", st.integers(min_value=-(2 ** 62), max_value=2 ** 62)),
    "名前": ("string", st.text(max_size=8)),
    "note 1": ("string", st.text(alphabet="ab \"'\\{}[]<>&é", max_size=5)),
    "flag": ("boolean", st.booleans()),
    "when": ("time", st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1))
             .map(lambda t: t.replace(microsecond=0).isoformat() + "Z")),
}
_TYPES = {(scope, n): t for n, (t, _) in _ATTRS.items() for scope in ("event", "object")}
_times = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2035, 12, 31))
_attr_dict = st.dictionaries(st.sampled_from(sorted(_ATTRS)), st.none(), max_size=4).flatmap(
    lambda d: st.fixed_dictionaries({k: _ATTRS[k][1] for k in d}))


@st.composite
def ocel_logs(draw) -> dict:
    object_ids = draw(st.lists(_text, min_size=1, max_size=6, unique=True))
    otypes = draw(st.lists(st.sampled_from(["order", "Bestellung", "注文", "line item", "Line-Item", "x"]),
                           min_size=len(object_ids), max_size=len(object_ids)))
    objects = {oid: (t, draw(_attr_dict)) for oid, t in zip(object_ids, otypes)}
    event_ids = draw(st.lists(_text, min_size=1, max_size=8, unique=True))
    activities = st.sampled_from(["Create", "Ship order", "Prüfen", "承認", "a"])
    events = {eid: (draw(activities), draw(_times), draw(_attr_dict)) for eid in event_ids}
    quals = st.sampled_from(["", "creates", "part of", "größer", "→"])
    e2o = sorted(set(draw(st.lists(st.tuples(st.sampled_from(event_ids), st.sampled_from(object_ids), quals),
                                   max_size=12))))
    o2o = sorted(set(draw(st.lists(st.tuples(st.sampled_from(object_ids), st.sampled_from(object_ids), quals),
                                   max_size=6))))
    changes = []
    for oid, (_, attrs) in objects.items():
        for name in attrs:
            for when in draw(st.lists(_times, max_size=2)):
                value = draw(_ATTRS[name][1])
                changes.append((oid, name, json.dumps(value, sort_keys=True), when))
    return {"events": events, "objects": objects, "e2o": e2o, "o2o": o2o, "changes": sorted(changes)}


def _canonical(snap: dict) -> dict:
    """Floats compare by value, timestamps at the writer's microsecond precision."""
    return json.loads(json.dumps({
        "events": {k: [v[0], v[1].isoformat(), v[2]] for k, v in snap["events"].items()},
        "objects": snap["objects"], "e2o": snap["e2o"], "o2o": snap["o2o"],
        "changes": [[o, n, json.loads(v), t.isoformat()] for o, n, v, t in snap["changes"]]}, sort_keys=True))


@pytest.mark.parametrize("kind", ["json", "sqlite"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=ocel_logs())
def test_random_logs_round_trip(tmp_path, kind, log):
    after = round_trip(log, tmp_path, kind, attribute_types=_TYPES)
    assert _canonical(after) == _canonical(log)


def test_sqlite_unreferenced_type_table_with_rows_is_noted(tmp_path, stager):
    path = tmp_path / "extra.sqlite"
    shutil.copy(data_file("pm4py__pm4py-core/ocel/ocel20_example.sqlite"), path)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE object_Stray (ocel_id TEXT, ocel_time TEXT)")
    con.execute("INSERT INTO object_Stray VALUES ('s1', '2024-01-01')")
    con.execute("INSERT INTO object_PurchaseOrder (ocel_id, ocel_time, po_product) VALUES ('ghost', '1970', 'x')")
    con.commit()
    con.close()
    read_ocel_sqlite(path, stager, ReadOptions())
    assert any("object_Stray (1 rows)" in n for n in stager.notes)
    rejects = stager.con.execute("SELECT location, reason FROM stage_reject").fetchall()
    assert rejects == [(4, "row of table object_PurchaseOrder for object 'ghost' that is not in table object")]
    assert stager.counts["object"] == 9

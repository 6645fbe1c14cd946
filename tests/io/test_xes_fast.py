"""The vectorised XES reader stages exactly what the expat reader stages, or steps aside.

Every check compares the two readers on the same file: staging tables row by row (events in
``position`` order, traces in insertion order), attribute types, notes, detected header, and
for broken files the InputError message.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io import xes_fast
from procatlas.io._stage import Stager
from procatlas.io.xes import read_xes, read_xes_expat
from procatlas.io.xes_fast import NotSimple, read_xes_fast
from procatlas.model.mapping import Mapping
from tests.conftest import DATA, data_file
from tests.io.test_xes import SMALL
from tests.conftest import fresh_stager as fresh



def snapshot(s: Stager) -> dict:
    q = s.con.execute
    return {
        "case_event": q("SELECT * FROM stage_case_event ORDER BY position").fetchall(),
        "case": q("SELECT * FROM stage_case ORDER BY rowid").fetchall(),
        "attribute": q("SELECT * FROM stage_attribute ORDER BY ALL").fetchall(),
        "reject": q("SELECT * FROM stage_reject ORDER BY ALL").fetchall(),
        "notes": list(s.notes), "detected": dict(s.detected), "counts": dict(s.counts),
    }


def outcome(reader, path: Path, options: ReadOptions) -> dict | str:
    s = fresh()
    try:
        reader(path, s, options)
    except InputError as exc:
        return f"InputError: {exc}"
    snap = snapshot(s)
    s.con.close()
    return snap


def assert_same(path: Path, options: ReadOptions | None = None, *, fast_applies: bool | None = None) -> None:
    """The fast path stages what the expat reader stages, or steps aside and ``read_xes``
    (which then falls back) does."""
    options = options or ReadOptions()
    want = outcome(read_xes_expat, path, options)
    try:
        got = outcome(read_xes_fast, path, options)
        applied = not isinstance(got, str)  # an InputError from the fast path means "fall back"
    except NotSimple:
        applied = False
    if not applied:
        got = outcome(read_xes, path, options)
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want:  # one key at a time: a readable diff
            assert got[key] == want[key], key
    assert got == want
    if fast_applies is not None:
        assert applied == fast_applies


def test_fallback_keeps_rows_staged_before(tmp_path):
    """A stager that already holds another file's rows keeps them when the fast path gives up."""
    s = fresh()
    read_xes(write(tmp_path, HEAD + trace("c1", ev("A")) + "</log>\n", "one.xes"), s, ReadOptions())
    text = HEAD + trace("c2", ev("B")) + trace("c3", ev("C")).replace("<event>", "<event><!-- x -->") + "</log>\n"
    read_xes(write(tmp_path, text, "two.xes"), s, ReadOptions())
    assert s.con.execute("SELECT case_id, activity FROM stage_case_event ORDER BY rowid").fetchall() == [
        ("c1", "A"), ("c2", "B"), ("c3", "C")]
    assert s.counts["case_event"] == 3 and s.counts["case"] == 3


# ---------------------------------------------------------------- every real XES file

def _real_logs() -> list:
    params = []
    from tests.io.test_xes import REAL_LOGS
    for p in REAL_LOGS:
        rel, _cases, events = p.values if hasattr(p, "values") else p
        slow = events > 100_000 or any(m.name == "slow" for m in getattr(p, "marks", ()))
        marks = [pytest.mark.slow] if slow else []
        params.append(pytest.param(rel, marks=marks, id=Path(rel).name))
    known = {p.values[0] for p in params}
    if DATA.exists():  # any XES added to shared/data later is covered too (slow: size unknown)
        for f in sorted(DATA.rglob("*.xes*")):
            rel = str(f.relative_to(DATA))
            if rel not in known and f.name.endswith((".xes", ".xes.gz", ".xes.zip")):
                params.append(pytest.param(rel, marks=[pytest.mark.slow], id=f.name))
    return params


@pytest.mark.parametrize("rel", _real_logs())
def test_real_log_identical_to_expat(rel):
    # every real log is in the plain shape: the fast path must apply, not silently step aside
    assert_same(data_file(rel), fast_applies=True)


def test_mapping_overrides_identical(tmp_path):
    path = data_file("pm4py__pm4py-core/running-example.xes")
    for mapping in (Mapping(activity="Activity", resource="Costs"), Mapping(case="case:creator"),
                    Mapping(timestamp="time:timestamp", start_timestamp="Costs"), Mapping(group="org:resource")):
        assert_same(path, ReadOptions(mapping=mapping), fast_applies=True)


# ---------------------------------------------------------------- hand-written shapes


def write(tmp_path: Path, text: str | bytes, name: str = "log.xes") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_small_log_fast_and_identical(tmp_path):
    # SMALL has a nested <list>/<container>: the expat reader takes it
    assert_same(write(tmp_path, SMALL), fast_applies=False)
    flat = SMALL.replace("""    <list key="items">
      <values><string key="item" value="a"/><int key="qty" value="2"/></values>
    </list>
""", "").replace("""      <container key="address"><string key="city" value="Gent"/><int key="zip" value="9000"/></container>
""", "")
    assert_same(write(tmp_path, flat, "flat.xes"), fast_applies=True)
    for mapping in (Mapping(activity="Title", resource="org:group"), Mapping(case="case:other"),
                    Mapping(start_timestamp="due"), Mapping(lifecycle="urgent")):
        assert_same(write(tmp_path, flat, "flat.xes"), ReadOptions(mapping=mapping))


HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'


def trace(case: str, *events: str, extra: str = "") -> str:
    return (f'<trace>\n\t<string key="concept:name" value="{case}"/>{extra}\n'
            + "".join(f"\t<event>\n{e}\t</event>\n" for e in events) + "</trace>\n")


def ev(act: str, ts: str = "2024-01-01T00:00:00Z", more: str = "") -> str:
    return f'\t\t<string key="concept:name" value="{act}"/>\n\t\t<date key="time:timestamp" value="{ts}"/>\n{more}'


@pytest.mark.parametrize(("name", "body", "fast"), [
    ("entities", trace("c&amp;1", ev("A &lt;&gt; &quot;q&quot; &apos;s&apos; &amp;amp;")), True),
    ("gt and spaces", trace("c1", ev("a > b", more='\t\t<string  key = "k"   value="  v  "  />\n')), True),
    ("tab and newline in value", trace("c1", ev("A\tB", more='\t\t<string key="note" value="two\nlines"/>\n')), True),
    ("backslash and quote json", trace("c1", ev("A", more='\t\t<string key="p\\q" value="C:\\x &quot;y&quot;"/>\n')),
     True),
    ("typed odd numbers", trace("c1", ev("A", more="".join(
        f'\t\t<{t} key="{t}{i}" value="{v}"/>\n' for i, (t, v) in enumerate([
            ("int", "007"), ("int", "-0"), ("int", " 12 "), ("int", "+5"), ("int", "1_000"), ("int", "x"),
            ("int", "99999999999999999999999"), ("float", "1e5"), ("float", "0.00001"), ("float", "12.50"),
            ("float", "NaN"), ("float", "-inf"), ("float", "1.0"), ("float", "0.1"), ("float", "123456789012345678.5"),
            ("float", "0.30000000000000004"), ("float", ".5"), ("boolean", "TRUE"), ("boolean", " true"),
            ("boolean", "no"), ("boolean", "false"), ("id", "007"), ("date", "2024")])))), True),
    ("duplicate keys", trace("c1", ev("A", more='\t\t<string key="k" value="1"/>\n\t\t<int key="k" value="2"/>\n'
                                              '\t\t<string key="k#2" value="3"/>\n\t\t<string key="k" value="4"/>\n'),
                             extra='\n\t<string key="t" value="1"/><string key="t" value="2"/>'
                                   '<string key="concept:name" value="again"/>'), True),
    ("role twice and start keys", trace("c1", ev("A", more='\t\t<string key="concept:name" value="B"/>\n'
                                                          '\t\t<string key="start_timestamp" value="s"/>\n'
                                                          '\t\t<date key="TIME:START" value="2024-01-01"/>\n'
                                                          '\t\t<date key="start_timestamp" value="late"/>\n')), True),
    ("trace attr after events", trace("c1", ev("A")).replace("</trace>", '<int key="late" value="3"/></trace>'), True),
    ("no case id", trace("c1", ev("A")).replace("concept:name\" value=\"c1\"", "x\" value=\"c1\""), True),
    ("empty trace and empty values", '<trace></trace>\n' + trace("", ev("")), True),
    ("unicode", trace("ç1", ev("漢字 🙂", more='\t\t<string key="ключ" value="\u2028é"/>\n')), True),
    ("text between tags", trace("c1", ev("A")).replace("<event>", "<event>stray text"), True),
    ("comment in body", trace("c1", ev("A")).replace("<event>", "<event><!-- note -->"), False),
    ("cdata in body", trace("c1", ev("A")).replace("<event>", "<event><![CDATA[x]]>"), False),
    ("char reference", trace("c1", ev("A&#38;B")), False),
    ("single quotes", trace("c1", ev("A")).replace('value="A"', "value='A'"), False),
    ("value before key", trace("c1", ev("A")).replace('<string key="concept:name" value="A"/>',
                                                        '<string value="A" key="concept:name"/>'), False),
    ("nested meta attribute", trace("c1", ev("A", more='\t\t<string key="m" value="1"><int key="x" value="2"/>'
                                                       '</string>\n')), False),
    ("list attribute", trace("c1", ev("A", more='\t\t<list key="l"><string key="a" value="1"/></list>\n')), False),
    ("namespace prefix", trace("c1", ev("A")).replace("<event>", "<xes:event>").replace("</event>", "</xes:event>"),
     False),
    ("event outside trace", '<event><string key="concept:name" value="A"/></event>\n' + trace("c1", ev("B")), False),
    ("trace with xml attributes", trace("c1", ev("A")).replace("<trace>", '<trace id="1">'), False),
    ("self-closing event", trace("c1", ev("A")).replace("</trace>", "<event/></trace>"), False),
])
def test_shapes_identical(tmp_path, name, body, fast):
    assert_same(write(tmp_path, HEAD + body + "</log>\n"), fast_applies=fast)


@pytest.mark.parametrize(("name", "text", "fast"), [
    ("crlf", (HEAD + trace("c1", ev("A"), ev("B")) + "</log>\n").replace("\n", "\r\n"), False),
    ("latin1", (HEAD.replace("UTF-8", "ISO-8859-1") + trace("c\xe9", ev("A")) + "</log>\n").encode("latin-1"), False),
    ("utf16", (HEAD.replace("UTF-8", "UTF-16") + trace("c1", ev("A")) + "</log>\n").encode("utf-16"), False),
    ("bom", b"\xef\xbb\xbf" + (HEAD + trace("c1", ev("A")) + "</log>\n").encode(), True),
    ("no declaration", '<log>' + trace("c1", ev("A")) + "</log>", True),
    ("comment after log", HEAD + trace("c1", ev("A")) + "</log>\n<!-- end -->\n", False),
    ("doctype", '<?xml version="1.0"?><!DOCTYPE log [<!ENTITY x "y">]>\n<log>' + trace("c1", ev("A&x;")) + "</log>",
     False),
    ("empty log", HEAD + "</log>\n", False),
    ("header only attrs", HEAD + '<global scope="event"><string key="a" value="b"/></global>\n'
                          '<float key="meta" value="1.5"><float key="x" value="2"/></float>\n'
                          + trace("c1", ev("A")) + "</log>\n", True),
])
def test_files_identical(tmp_path, name, text, fast):
    assert_same(write(tmp_path, text), fast_applies=fast)


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.97, -8, -2])
def test_truncated_or_broken_gives_the_expat_error(tmp_path, cut):
    good = (HEAD + "".join(trace(f"c{i}", ev("A"), ev("B")) for i in range(50)) + "</log>\n").encode()
    n = int(len(good) * cut) if cut > 0 else len(good) + cut
    assert_same(write(tmp_path, good[:n]), fast_applies=False)
    assert_same(write(tmp_path, gzip.compress(good[:n]), "log.xes.gz"), fast_applies=False)
    bad = good.replace(b"<event>", b"<event><<", 1)
    assert_same(write(tmp_path, bad, "bad.xes"), fast_applies=False)
    bad = good.replace(b"</event>", b"</evnt>", 1)
    assert_same(write(tmp_path, bad, "bad2.xes"), fast_applies=False)


# ---------------------------------------------------------------- blocks


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Blocks of a few hundred bytes: many cuts, carries, line offsets, late fallbacks."""
    monkeypatch.setattr(xes_fast, "BLOCK_BYTES", 300)


def test_many_blocks_identical_and_bounded(tmp_path, tiny_blocks, monkeypatch):
    text = HEAD + "".join(trace(f"c{i}", *(ev(f"A{j}", more=f'\t\t<int key="n" value="{j}"/>\n') for j in range(i % 4)))
                          for i in range(200)) + "</log>\n"
    path = write(tmp_path, text)
    sizes = []
    add = xes_fast._Assembler.add
    monkeypatch.setattr(xes_fast._Assembler, "add", lambda self, data: (sizes.append(len(data)), add(self, data))[1])
    assert_same(path, fast_applies=True)
    longest_trace = max(len(t) for t in text.split("</trace>"))
    assert len(sizes) > 50 and max(sizes) <= 300 + longest_trace + 20


def test_late_fallback_restarts_cleanly(tmp_path, tiny_blocks):
    # the problem (a comment) is in the last trace: blocks were staged before the fast path gave up
    text = HEAD + "".join(trace(f"c{i}", ev("A")) for i in range(100)) + trace("z", ev("A<!-- x -->")) + "</log>\n"
    text = text.replace("A<!-- x -->", "A\"/><!-- x --><string key=\"q\" value=\"1")
    path = write(tmp_path, text)
    assert_same(path, fast_applies=False)
    s = fresh()
    read_xes(path, s, ReadOptions())
    assert s.con.execute("SELECT count(*), count(DISTINCT position) FROM stage_case_event").fetchone() == (101, 101)


def test_env_switch_forces_expat(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(xes_fast, "read_xes_fast", lambda *a: calls.append(a))
    path = write(tmp_path, HEAD + trace("c1", ev("A")) + "</log>\n")
    monkeypatch.setenv("PROCATLAS_XES_FAST", "0")
    read_xes(path, fresh(), ReadOptions())
    assert calls == []
    monkeypatch.delenv("PROCATLAS_XES_FAST")
    read_xes(path, fresh(), ReadOptions())
    assert len(calls) == 1


# ---------------------------------------------------------------- property: generated logs

# text in values: XML-safe characters, the five entities, tabs/newlines (normalised to spaces)
plain = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='\x00\ufffe\uffff<&"\r',
                              min_codepoint=1).filter(lambda c: c >= " " or c in "\t\n"), max_size=8)
escaped = st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&amp;lt;", "\\", "\\&quot;"])
values = st.lists(st.one_of(plain, escaped), max_size=3).map("".join)
numbers = st.one_of(st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["007", "-0", "1e3", "0.10", " 1", "1.", ".5", "1_0", "TRUE", "false", "x", ""]))
keys = st.one_of(st.sampled_from(["concept:name", "time:timestamp", "lifecycle:transition", "org:resource",
                                  "org:group", "identity:id", "start_timestamp", "Time:Start", "k", "k#2", "a:b"]),
                 values)
types = st.sampled_from(["string", "date", "int", "float", "boolean", "id"])
spaces = st.sampled_from([" ", " ", " ", "  ", "\t", "\n"])


@st.composite
def attribute(draw) -> str:
    typ = draw(types)
    value = draw(numbers if typ in ("int", "float", "boolean") and draw(st.booleans()) else values)
    s1, s2 = draw(spaces), draw(spaces)
    close = draw(st.sampled_from(["/>", " />", "/>", "\n/>"]))
    return f'<{typ}{s1}key="{draw(keys)}"{s2}value="{value}"{close}'


@st.composite
def xes_text(draw) -> str:
    indent = draw(st.sampled_from(["\n\t", "\n  ", "", "\n"]))
    parts = [HEAD]
    for _ in range(draw(st.integers(0, 4))):
        parts.append(f"{indent}<trace>")
        parts += [indent + draw(attribute()) for _ in range(draw(st.integers(0, 3)))]
        for _ in range(draw(st.integers(0, 3))):
            parts.append(f"{indent}<event{draw(st.sampled_from(['', ' ', '']))}>")
            parts += [indent + draw(attribute()) for _ in range(draw(st.integers(0, 5)))]
            parts.append(f"{indent}</event>")
        parts.append(f"{indent}</trace>")
    parts.append("\n</log>\n")
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(text=xes_text(), block=st.sampled_from([64, 300, 1 << 24]),
       mapping=st.sampled_from([Mapping(), Mapping(activity="k"), Mapping(case="case:k"),
                                Mapping(start_timestamp="k", resource="org:group")]))
def test_generated_logs_identical(tmp_path_factory, monkeypatch, text, block, mapping):
    monkeypatch.setattr(xes_fast, "BLOCK_BYTES", block)
    path = tmp_path_factory.mktemp("gen") / "log.xes"
    path.write_bytes(text.encode())
    assert_same(path, ReadOptions(mapping=mapping))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=xes_text(), at=st.floats(0, 1), junk=st.sampled_from(["<", "&", "\x01", "<!--", "]]>", '"', "\r", ""]))
def test_damaged_generated_logs_identical(tmp_path_factory, text, at, junk):
    """Cut or spoiled anywhere: both readers agree (rows or the very same InputError)."""
    data = text.encode()
    k = int(len(data) * at)
    path = tmp_path_factory.mktemp("bad") / "log.xes"
    path.write_bytes(data[:k] + junk.encode() + (data[k:] if junk else b""))
    assert_same(path)


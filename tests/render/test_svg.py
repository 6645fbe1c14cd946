"""Tests of the SVG building helpers."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from procatlas.render.svg import SvgDoc, arrow_marker, element, escape, fmt, polyline_path, text_width

SVG_NS = "{http://www.w3.org/2000/svg}"


def test_text_width_basics():
    assert text_width("") == 0
    assert text_width("abc", 10) == pytest.approx(10 * (0.556 + 0.556 + 0.5))
    assert text_width("Approve invoice", 24) == pytest.approx(2 * text_width("Approve invoice", 12))
    assert text_width("iiii", 12) < text_width("MMMM", 12)  # proportional, not monospace
    assert text_width("short\na much longer line", 12) == text_width("a much longer line", 12)


def test_text_width_is_unicode_aware():
    latin = text_width("ab", 12)
    cjk = text_width("請求", 12)  # two wide characters
    assert cjk == pytest.approx(2 * 12)
    assert 1.6 < cjk / latin < 2.4  # a wide character counts about double
    assert text_width("\uff21", 12) == 12  # full-width Latin A
    assert text_width("e\u0301", 12) == text_width("e", 12)  # combining accent adds nothing
    assert text_width("a\u200bb", 12) == text_width("ab", 12)  # zero-width space
    assert text_width("Ωмé", 12) > 0


@given(st.text(max_size=40), st.text(max_size=10))
def test_text_width_is_additive_and_non_negative(a, b):
    if "\n" in a + b or "\r" in a + b or any(ch in a + b for ch in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        return
    assert text_width(a + b, 10) == pytest.approx(text_width(a, 10) + text_width(b, 10), abs=1e-6)
    assert text_width(a, 10) >= 0


def test_escape_for_content_and_attributes():
    assert escape("<a & 'b' \"c\">") == "&lt;a &amp; &#39;b&#39; &quot;c&quot;&gt;"
    assert escape("ok\x00\x07\tline\n") == "ok\tline\n"
    assert escape(42) == "42"


@given(st.text())
def test_escaped_text_always_parses_back(text):
    xml = f'<t a="{escape(text)}">{escape(text)}</t>'
    root = etree.fromstring(xml.encode("utf-8"))
    legal = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]", "", text)
    # XML normalises \r\n and attribute whitespace; compare the content text
    assert (root.text or "") == legal.replace("\r\n", "\n").replace("\r", "\n")


def test_fmt_examples():
    assert fmt(0) == "0"
    assert fmt(-0.0) == "0"
    assert fmt(-0.004) == "0"
    assert fmt(12.0) == "12"
    assert fmt(12.5) == "12.5"
    assert fmt(1 / 3) == "0.33"
    assert fmt(2 / 3, 3) == "0.667"
    assert fmt(-7.125) in ("-7.12", "-7.13")
    assert fmt(1e21) == "1000000000000000000000"
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            fmt(bad)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_fmt_is_short_and_close(x):
    s = fmt(x)
    assert re.fullmatch(r"-?\d+(\.\d{1,2})?", s)
    assert not s.endswith("0") or "." not in s
    assert s != "-0"
    assert abs(float(s) - x) <= 0.005 + 1e-9 * abs(x)
    assert fmt(x) == s


def numbers(d):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]


def test_polyline_path_straight_and_smooth():
    pts = [(0, 0), (10, 5), (20, 30), (40, 40)]
    assert polyline_path(pts, smooth=False) == "M0,0 L10,5 L20,30 L40,40"
    d = polyline_path(pts)
    assert d.startswith("M0,0 C") and d.endswith(" 40,40")
    assert d.count("C") == 3
    # passes through every point: each cubic ends on the next input point
    ends = re.findall(r"C[^C]*? (-?[\d.]+,-?[\d.]+)(?= C|$)", d)
    assert ends == ["10,5", "20,30", "40,40"]
    assert polyline_path([]) == ""
    assert polyline_path([(1.5, 2)]) == "M1.5,2"
    assert polyline_path([(0, 0), (0, 0), (5, 5)]) == "M0,0 L5,5"


def test_smooth_path_ends_along_the_last_segment():
    # the last control point lies on the line through the last two points: arrowheads align
    d = polyline_path([(0, 0), (30, 0), (30, 40)])
    last = d.split("C")[-1].split()
    c2 = tuple(map(float, last[1].split(",")))
    assert c2[0] == pytest.approx(30)


def test_arrow_marker_and_document_parse():
    doc = SvgDoc(200, 100.5, padding=10, title="Map <of> & stuff", background="#fff")
    doc.add_def(arrow_marker("arrow-1", "#c00"))
    doc.add_def(arrow_marker("arrow-1", "#c00"))  # kept once
    doc.add_style(".node { fill: #eee; }")
    doc.add(element("rect", x=0, y=0, width=50, height=20, class_="node"))
    doc.add(element("path", d=polyline_path([(0, 0), (10, 10)]), marker_end="url(#arrow-1)"))
    doc.add(element("text", "Prüfung & 検査", x=5, y=15, font_size=12))
    out = doc.to_string()
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    root = etree.fromstring(out.encode("utf-8"))
    assert root.tag == SVG_NS + "svg"
    assert root.get("viewBox") == "-10 -10 220 120.5"
    assert root.get("width") == "220"
    assert root.find(SVG_NS + "title").text == "Map <of> & stuff"
    markers = root.findall(f"{SVG_NS}defs/{SVG_NS}marker")
    assert [m.get("id") for m in markers] == ["arrow-1"]
    assert markers[0].get("orient") == "auto-start-reverse"
    assert root.find(SVG_NS + "text").text == "Prüfung & 検査"
    assert root.find(SVG_NS + "path").get("marker-end") == "url(#arrow-1)"
    assert "fill: #eee" in root.find(SVG_NS + "style").text
    assert out == doc.to_string()  # deterministic
    assert doc._repr_svg_().startswith("<svg")


def test_marker_scales_with_stroke_on_request():
    m = etree.fromstring(arrow_marker("a", "red", size=3, scale_with_stroke=True))
    assert (m.get("markerUnits"), m.get("markerWidth")) == ("strokeWidth", "3")


def test_element_attributes():
    assert element("g") == "<g/>"
    assert element("rect", x=1.234, hidden=True, fill=None, visible=False) == '<rect x="1.23" hidden="hidden"/>'
    assert element("text", "a<b", data_id="x\"y") == '<text data-id="x&quot;y">a&lt;b</text>'

"""Low-level SVG building blocks: label widths, escaping, numbers, paths, markers, documents.

Everything here is pure string building with deterministic output, so the same picture gives
the same bytes on every machine (tests and diffs rely on it).

>>> doc = SvgDoc(100, 40)
>>> doc.add(element("text", "A & B", x=10, y=20))
>>> print(doc.to_string(xml_declaration=False), end="")
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" viewBox="0 0 100 40">
<text x="10" y="20">A &amp; B</text>
</svg>
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = [
    "SvgDoc",
    "arrow_marker",
    "element",
    "escape",
    "fmt",
    "polyline_path",
    "text_width",
]

# Advance widths of Helvetica/Arial (the common sans-serif metrics), in em, for ASCII.
# Unknown narrow characters fall back to _DEFAULT_EM; wide East Asian characters take 1 em.
_ASCII_EM = {
    " ": 0.278, "!": 0.278, '"': 0.355, "#": 0.556, "$": 0.556, "%": 0.889, "&": 0.667,
    "'": 0.191, "(": 0.333, ")": 0.333, "*": 0.389, "+": 0.584, ",": 0.278, "-": 0.333,
    ".": 0.278, "/": 0.278, ":": 0.278, ";": 0.278, "<": 0.584, "=": 0.584, ">": 0.584,
    "?": 0.556, "@": 1.015, "[": 0.278, "\\": 0.278, "]": 0.278, "^": 0.469, "_": 0.556,
    "`": 0.333, "{": 0.334, "|": 0.260, "}": 0.334, "~": 0.584,
    "A": 0.667, "B": 0.667, "C": 0.722, "D": 0.722, "E": 0.667, "F": 0.611, "G": 0.778,
    "H": 0.722, "I": 0.278, "J": 0.500, "K": 0.667, "L": 0.556, "M": 0.833, "N": 0.722,
    "O": 0.778, "P": 0.667, "Q": 0.778, "R": 0.722, "S": 0.667, "T": 0.611, "U": 0.722,
    "V": 0.667, "W": 0.944, "X": 0.667, "Y": 0.667, "Z": 0.611,
    "a": 0.556, "b": 0.556, "c": 0.500, "d": 0.556, "e": 0.556, "f": 0.278, "g": 0.556,
    "h": 0.556, "i": 0.222, "j": 0.222, "k": 0.500, "l": 0.222, "m": 0.833, "n": 0.556,
    "o": 0.556, "p": 0.556, "q": 0.556, "r": 0.333, "s": 0.500, "t": 0.278, "u": 0.556,
    "v": 0.500, "w": 0.722, "x": 0.500, "y": 0.500, "z": 0.500,
}
_DIGIT_EM = 0.556
_DEFAULT_EM = 0.58  # accented Latin, Greek, Cyrillic... close to the average capital/lower
_WIDE_EM = 1.0  # CJK ideographs, kana, hangul, full-width forms: about twice a Latin letter
_EMOJI_EM = 1.0

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _char_em(ch: str) -> float:
    w = _ASCII_EM.get(ch)
    if w is not None:
        return w
    if "0" <= ch <= "9":
        return _DIGIT_EM
    if unicodedata.combining(ch):
        return 0.0
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cf", "Mn", "Me"):  # controls, zero-width joiners, marks
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return _WIDE_EM
    if cat == "So" and ord(ch) >= 0x1F000:
        return _EMOJI_EM
    if cat == "Zs":
        return _ASCII_EM[" "]
    return _DEFAULT_EM


def text_width(text: str, font_size: float = 12.0) -> float:
    """Approximate rendered width of ``text`` in a sans-serif font of ``font_size`` pixels.

    Per-character Helvetica/Arial advances for ASCII, one em for wide East Asian characters
    (so a CJK label is about twice as wide as a Latin one of the same length), nothing for
    combining marks. Multi-line text measures its longest line.

    >>> text_width("Create PO", 10)
    47.24
    >>> text_width("発注", 10) == 2 * 10
    True
    """
    if not text:
        return 0.0
    widest = max(sum(_char_em(ch) for ch in line) for line in text.splitlines() or [""])
    return round(widest * font_size, 3)


def escape(text: object) -> str:
    """Text made safe for SVG/XML content and attribute values (quotes included); characters
    XML 1.0 forbids (control characters, lone surrogates) are dropped.

    >>> escape('<a href="x">Tom & Jerry\\x00</a>')
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;'
    """
    s = _XML_ILLEGAL.sub("", str(text))
    return (
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("'", "&#39;")
    )


def fmt(number: float, digits: int = 2) -> str:
    """A number as a short deterministic decimal: at most ``digits`` decimals, no trailing
    zeros, no ``-0``, no exponent.

    >>> [fmt(1.0), fmt(2.50), fmt(-0.001), fmt(1/3), fmt(1e7), fmt(True)]
    ['1', '2.5', '0', '0.33', '10000000', '1']
    """
    x = float(number)
    if not math.isfinite(x):
        raise ValueError(f"cannot write a non-finite number to SVG: {number!r}")
    s = f"{x:.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def _pt(p: Sequence[float]) -> str:
    return f"{fmt(p[0])},{fmt(p[1])}"


def polyline_path(points: Sequence[Sequence[float]], *, smooth: bool = True) -> str:
    """The ``d`` attribute of a path through ``points``.

    ``smooth=False`` gives straight segments. ``smooth=True`` gives a Catmull-Rom spline
    written as cubic Beziers: it passes through every point (so the ends stay on the box
    borders) and leaves/arrives along the first/last segment (so arrowheads point right).

    >>> polyline_path([(0, 0), (10, 0), (10, 10)], smooth=False)
    'M0,0 L10,0 L10,10'
    >>> polyline_path([(0, 0), (10, 0)])
    'M0,0 L10,0'
    """
    pts = [(float(p[0]), float(p[1])) for p in points]
    # repeated points give zero-length tangents: drop consecutive duplicates
    dedup = pts[:1]
    for p in pts[1:]:
        if p != dedup[-1]:
            dedup.append(p)
    if not dedup:
        return ""
    if len(dedup) == 1:
        return f"M{_pt(dedup[0])}"
    parts = [f"M{_pt(dedup[0])}"]
    if not smooth or len(dedup) == 2:
        parts += [f"L{_pt(p)}" for p in dedup[1:]]
        return " ".join(parts)
    n = len(dedup)
    for i in range(n - 1):
        p0 = dedup[i - 1] if i > 0 else dedup[i]
        p1, p2 = dedup[i], dedup[i + 1]
        p3 = dedup[i + 2] if i + 2 < n else p2
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        parts.append(f"C{_pt(c1)} {_pt(c2)} {_pt(p2)}")
    return " ".join(parts)


def arrow_marker(id: str, colour: str, *, size: float = 8.0, scale_with_stroke: bool = False) -> str:
    """A ``<marker>`` (for ``<defs>``) drawing a filled arrowhead whose tip is the path end.

    Use with ``marker-end="url(#id)"``. By default the head is ``size`` user units whatever
    the stroke width (thick frequency edges would otherwise get huge heads);
    ``scale_with_stroke=True`` makes it ``size`` stroke widths instead.

    >>> arrow_marker("arr", "#333")  # doctest: +NORMALIZE_WHITESPACE
    '<marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8"
    markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"
    fill="#333"/></marker>'
    """
    units = "strokeWidth" if scale_with_stroke else "userSpaceOnUse"
    return (
        f'<marker id="{escape(id)}" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="{fmt(size)}" markerHeight="{fmt(size)}" markerUnits="{units}" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{escape(colour)}"/>'
        f"</marker>"
    )


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if value is True:
            text = name
        elif isinstance(value, (int, float)):
            text = fmt(value)
        else:
            text = escape(value)
        out.append(f' {name}="{text}"')
    return "".join(out)


def element(tag: str, text: object | None = None, /, **attrs: object) -> str:
    """One SVG element: ``element("rect", x=1, y=2, stroke_width=1.5, class_="node")``.

    Attribute names lose a trailing ``_`` (for ``class_``) and ``_`` becomes ``-``; numbers go
    through :func:`fmt`; ``None``/``False`` values are left out; ``text`` is escaped.

    >>> element("rect", x=1.0, y=2.25, class_="node", stroke_width=0.5, title=None)
    '<rect x="1" y="2.25" class="node" stroke-width="0.5"/>'
    """
    head = f"<{tag}{_attrs(attrs)}"
    if text is None:
        return head + "/>"
    return f"{head}>{escape(text)}</{tag}>"


class SvgDoc:
    """A tiny builder for a standalone SVG document of ``width`` x ``height`` user units.

    ``padding`` widens the viewBox on every side (content keeps its coordinates). Add defs
    (markers, gradients), CSS and elements, then :meth:`to_string`.
    """

    def __init__(self, width: float, height: float, *, padding: float = 0.0,
                 title: str | None = None, background: str | None = None,
                 attrs: dict[str, object] | None = None) -> None:
        self.width = float(width)
        self.height = float(height)
        self.padding = float(padding)
        self.title = title
        self.background = background
        self.attrs = dict(attrs or {})
        self._defs: list[str] = []
        self._styles: list[str] = []
        self._body: list[str] = []

    def add(self, markup: str) -> None:
        """Append raw markup (for example from :func:`element`) to the body."""
        self._body.append(markup)

    def extend(self, markups: Iterable[str]) -> None:
        self._body.extend(markups)

    def add_def(self, markup: str) -> None:
        """Append markup to ``<defs>`` (identical definitions are kept once)."""
        if markup not in self._defs:
            self._defs.append(markup)

    def add_style(self, css: str) -> None:
        """Append CSS to the document's ``<style>`` element."""
        self._styles.append(css)

    def to_string(self, *, xml_declaration: bool = True) -> str:
        p = self.padding
        w, h = self.width + 2 * p, self.height + 2 * p
        root = {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": w,
            "height": h,
            "viewBox": f"{fmt(-p)} {fmt(-p)} {fmt(w)} {fmt(h)}",
            **self.attrs,
        }
        lines = []
        if xml_declaration:
            lines.append('<?xml version="1.0" encoding="UTF-8"?>')
        lines.append(f"<svg{_attrs(root)}>")
        if self.title:
            lines.append(element("title", self.title))
        if self._styles:
            css = "\n".join(self._styles).replace("]]>", "]]]]><![CDATA[>")
            lines.append(f"<style><![CDATA[\n{css}\n]]></style>")
        if self._defs:
            lines.append("<defs>" + "".join(self._defs) + "</defs>")
        if self.background:
            lines.append(element("rect", x=-p, y=-p, width=w, height=h, fill=self.background))
        lines.extend(self._body)
        lines.append("</svg>")
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_string()

    def _repr_svg_(self) -> str:
        return self.to_string(xml_declaration=False)

"""PNML (ISO/IEC 15909-2) writer and reader for Petri nets with initial and final marking.

The writer adds graphics (positions from the same layered layout as the SVG drawing) and
marks silent transitions the way ProM and pm4py do (``toolspecific activity="$invisible$"``);
final markings go into the ``finalmarkings`` extension both tools read.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from procatlas.errors import InputError
from procatlas.mining.petri import Arc, PetriNet, Place, Transition

PNML_CORE = "http://www.pnml.org/version-2009/grammar/pnmlcoremodel"

__all__ = ["to_pnml", "read_pnml"]


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


def _graphics(parent, box) -> None:
    x, y, w, h = box
    g = etree.SubElement(parent, "graphics")
    etree.SubElement(g, "position", x=_num(x + w / 2), y=_num(y + h / 2))
    etree.SubElement(g, "dimension", x=_num(w), y=_num(h))


def _name(parent, text: str) -> None:
    n = etree.SubElement(parent, "name")
    etree.SubElement(n, "text").text = text


def to_pnml(net: PetriNet, *, layout: bool = True) -> str:
    """Serialise ``net`` as PNML text (UTF-8 XML), with node positions unless ``layout=False``.

    >>> from procatlas.mining.tree import parse_tree
    >>> from procatlas.mining.petri import tree_to_petri
    >>> "<pnml>" in to_pnml(tree_to_petri(parse_tree("seq(a, b)")))
    True
    """
    boxes = {}
    if layout:
        from procatlas.render.model_layout import petri_layout  # pure-Python layout, no I/O
        boxes = petri_layout(net).nodes
    initial = dict(net.initial_marking)
    root = etree.Element("pnml")
    enet = etree.SubElement(root, "net", id=net.name or "net", type=PNML_CORE)
    _name(enet, net.name or "net")
    page = etree.SubElement(enet, "page", id="n0")
    for p in net.places:
        ep = etree.SubElement(page, "place", id=p.id)
        _name(ep, p.name or p.id)
        if p.id in boxes:
            _graphics(ep, boxes[p.id])
        if initial.get(p.id):
            im = etree.SubElement(ep, "initialMarking")
            etree.SubElement(im, "text").text = str(initial[p.id])
    for t in net.transitions:
        et = etree.SubElement(page, "transition", id=t.id)
        _name(et, t.label if t.label is not None else t.id)
        if t.id in boxes:
            _graphics(et, boxes[t.id])
        if t.label is None:
            etree.SubElement(et, "toolspecific", tool="ProM", version="6.4",
                             activity="$invisible$", localNodeID=t.id)
    for i, a in enumerate(net.arcs):
        ea = etree.SubElement(page, "arc", id=f"a{i}", source=a.source, target=a.target)
        if a.weight != 1:
            ins = etree.SubElement(ea, "inscription")
            etree.SubElement(ins, "text").text = str(a.weight)
    fms = etree.SubElement(enet, "finalmarkings")
    fm = etree.SubElement(fms, "marking")
    for pid, n in net.final_marking:
        ep = etree.SubElement(fm, "place", idref=pid)
        etree.SubElement(ep, "text").text = str(n)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(el, child: str) -> str | None:
    for c in el:
        if _local(c.tag) == child:
            for t in c:
                if _local(t.tag) == "text":
                    return (t.text or "").strip()
    return None


def read_pnml(path: str | Path) -> PetriNet:
    """Read the first net of a PNML file (pages flattened; namespaced or not).

    A transition is silent when it has no name or carries ProM's ``$invisible$`` marker.
    Without a ``finalmarkings`` section, the final marking is one token on each place
    without outgoing arcs.
    """
    path = Path(path)
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise InputError(f"not a readable PNML file ({exc})", path=path) from exc
    nets = [e for e in tree.getroot().iter() if _local(e.tag) == "net"]
    if not nets:
        raise InputError("no <net> element", path=path)
    net_el = nets[0]
    places, transitions, arcs, initial, final = [], [], [], [], []
    for el in net_el.iter():
        tag = _local(el.tag)
        if tag == "place" and el.get("id") is not None and _local(el.getparent().tag) != "marking":
            pid = el.get("id")
            places.append(Place(pid, _text(el, "name") or ""))
            tokens = _text(el, "initialMarking")
            if tokens:
                initial.append((pid, int(tokens)))
        elif tag == "transition":
            label = _text(el, "name")
            invisible = any(_local(c.tag) == "toolspecific" and c.get("activity") == "$invisible$"
                            for c in el)
            transitions.append(Transition(el.get("id"), None if invisible or not label else label))
        elif tag == "arc":
            w = _text(el, "inscription")
            arcs.append(Arc(el.get("source"), el.get("target"), int(w) if w else 1))
        elif tag == "marking" and _local(el.getparent().tag) == "finalmarkings" and not final:
            for p in el:
                if _local(p.tag) == "place":
                    n = int((_text_direct(p) or "1"))
                    if n:
                        final.append((p.get("idref"), n))
    ids = {p.id for p in places} | {t.id for t in transitions}
    for a in arcs:
        if a.source not in ids or a.target not in ids:
            raise InputError(f"arc {a.source}->{a.target} refers to an unknown node", path=path)
    if not final:
        sources = {a.source for a in arcs}
        final = [(p.id, 1) for p in places if p.id not in sources]
    return PetriNet(tuple(places), tuple(transitions), tuple(arcs), tuple(initial), tuple(final),
                    net_el.get("id") or "net")


def _text_direct(el) -> str | None:
    for t in el:
        if _local(t.tag) == "text":
            return (t.text or "").strip()
    return None

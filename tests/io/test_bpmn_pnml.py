"""PNML and BPMN 2.0 XML export/import: round trips, pm4py reads them back, the BPMN is valid
against the OMG BPMN 2.0 XSD, and its diagram interchange covers every node and flow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from lxml import etree

from procatlas.errors import InputError
from procatlas.io.bpmn import read_bpmn, to_bpmn_xml
from procatlas.io.pnml import read_pnml, to_pnml
from procatlas.mining.bpmn import NodeKind, tree_to_bpmn
from procatlas.mining.inductive import discover_tree
from procatlas.mining.petri import tree_to_petri
from procatlas.mining.soundness import check_soundness
from procatlas.mining.tree import parse_tree
from procatlas.render.model_svg import model_svg
from tests.conftest import data_file
from tests.mining.test_inductive import _xes_variants

NS = {"b": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}

TREES = ["seq(a, b)", "seq(a, xor(b, c, tau), and(d, loop(e, f)))",
         "loop(seq(a, and(b, c)), xor(tau, d))", "xor(tau, 'W_Nabellen offertes', 'A & B <x>')"]


@pytest.fixture(scope="module")
def bpmn_schema():
    """The OMG BPMN 2.0 XSDs (BPMN20.xsd, Semantic.xsd, BPMNDI.xsd, DC.xsd, DI.xsd) as shipped
    by the SpiffWorkflow package (test extra; not vendored, see docs/models.md)."""
    spec = importlib.util.find_spec("SpiffWorkflow")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("SpiffWorkflow (ships the OMG BPMN 2.0 XSDs) not installed: pip install '.[oracle]'")
    xsd = Path(list(spec.submodule_search_locations)[0]) / "bpmn" / "parser" / "schema" / "BPMN20.xsd"
    if not xsd.exists():
        pytest.skip(f"BPMN20.xsd not found at {xsd}")
    return etree.XMLSchema(etree.parse(str(xsd)))


def _real_model():
    variants = _xes_variants(data_file("pm4py__pm4py-core/compressed_input_data/08_receipt.xes.gz"))
    return discover_tree(variants, noise=0.2)


# --------------------------------------------------------------------------- PNML

@pytest.mark.parametrize("text", TREES)
def test_pnml_round_trip(tmp_path, text):
    net = tree_to_petri(parse_tree(text))
    path = tmp_path / "m.pnml"
    path.write_text(to_pnml(net), encoding="utf-8")
    back = read_pnml(path)
    assert [(t.id, t.label) for t in back.transitions] == [(t.id, t.label) for t in net.transitions]
    assert [p.id for p in back.places] == [p.id for p in net.places]
    assert set(back.arcs) == set(net.arcs)
    assert back.initial_marking == net.initial_marking
    assert back.final_marking == net.final_marking
    assert check_soundness(back).sound


def test_pnml_has_positions_for_every_node():
    net = tree_to_petri(parse_tree(TREES[1]))
    root = etree.fromstring(to_pnml(net).encode())
    for el in root.find("net/page"):
        if el.tag == "arc":
            continue
        pos = el.find("graphics/position")
        assert pos is not None and float(pos.get("x")) >= 0 and float(pos.get("y")) >= 0


def test_pm4py_reads_our_pnml(tmp_path):
    pm4py = pytest.importorskip("pm4py")
    tree = _real_model()
    net = tree_to_petri(tree)
    path = tmp_path / "receipt.pnml"
    path.write_text(to_pnml(net), encoding="utf-8")
    pnet, im, fm = pm4py.read_pnml(str(path))
    assert len(pnet.places) == len(net.places)
    assert len(pnet.transitions) == len(net.transitions)
    assert len(pnet.arcs) == len(net.arcs)
    assert sorted(t.label for t in pnet.transitions if t.label) == \
        sorted(t.label for t in net.transitions if t.label)
    assert {p.name: n for p, n in im.items()} == dict(net.initial_marking)
    assert {p.name: n for p, n in fm.items()} == dict(net.final_marking)


def test_read_pnml_errors(tmp_path):
    bad = tmp_path / "bad.pnml"
    bad.write_text("<pnml><net id='n'><page id='p'><arc id='a' source='x' target='y'/></page></net></pnml>")
    with pytest.raises(InputError, match="unknown node"):
        read_pnml(bad)
    broken = tmp_path / "broken.pnml"
    broken.write_text("<pnml><net")
    with pytest.raises(InputError):
        read_pnml(broken)


# --------------------------------------------------------------------------- BPMN

@pytest.mark.parametrize("text", TREES)
def test_bpmn_is_valid_against_the_omg_xsd(bpmn_schema, text):
    doc = etree.fromstring(to_bpmn_xml(tree_to_bpmn(parse_tree(text))).encode())
    assert bpmn_schema.validate(doc), bpmn_schema.error_log


def test_real_model_bpmn_valid_and_di_complete(bpmn_schema):
    model = tree_to_bpmn(_real_model())
    doc = etree.fromstring(to_bpmn_xml(model).encode())
    assert bpmn_schema.validate(doc), bpmn_schema.error_log
    _assert_di_complete(doc)


@pytest.mark.parametrize("text", TREES)
def test_di_covers_every_flow_node_and_sequence_flow(text):
    doc = etree.fromstring(to_bpmn_xml(tree_to_bpmn(parse_tree(text))).encode())
    _assert_di_complete(doc)


def _assert_di_complete(doc) -> None:
    process = doc.find("b:process", NS)
    nodes = {el.get("id") for el in process if etree.QName(el).localname != "sequenceFlow"}
    flows = {el.get("id") for el in process.findall("b:sequenceFlow", NS)}
    plane = doc.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == process.get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}
    assert set(shapes) == nodes
    assert set(edges) == flows
    boxes = {}
    for nid, s in shapes.items():
        b = s.find("dc:Bounds", NS)
        boxes[nid] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
        assert boxes[nid][2] > 0 and boxes[nid][3] > 0
    for fid, e in edges.items():
        pts = e.findall("di:waypoint", NS)
        assert len(pts) >= 2
    # no two shapes overlap
    items = list(boxes.values())
    for i, (x, y, w, h) in enumerate(items):
        for (x2, y2, w2, h2) in items[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y


@pytest.mark.parametrize("text", TREES)
def test_bpmn_round_trip(tmp_path, text):
    model = tree_to_bpmn(parse_tree(text))
    path = tmp_path / "m.bpmn"
    path.write_text(to_bpmn_xml(model), encoding="utf-8")
    back = read_bpmn(path)
    assert back.nodes == model.nodes
    assert back.flows == model.flows


def test_pm4py_reads_our_bpmn(tmp_path):
    pm4py = pytest.importorskip("pm4py")
    model = tree_to_bpmn(_real_model())
    path = tmp_path / "receipt.bpmn"
    path.write_text(to_bpmn_xml(model), encoding="utf-8")
    graph = pm4py.read_bpmn(str(path))
    assert len(graph.get_nodes()) == len(model.nodes)
    assert len(graph.get_flows()) == len(model.flows)
    net, im, fm = pm4py.convert_to_petri_net(graph)
    labels = sorted(t.label for t in net.transitions if t.label)
    assert labels == sorted(model.tasks())


def test_read_normative_bpmn_models():
    running = read_bpmn(data_file("pm4py__pm4py-core/running-example.bpmn"))
    assert len(running.tasks()) == 8
    kinds = [n.kind for n in running.nodes]
    assert kinds.count(NodeKind.XOR) == 6 and kinds.count(NodeKind.AND) == 2
    assert len(running.flows) == 21
    receipt = read_bpmn(data_file("pm4py__pm4py-core/receipt.bpmn"))
    assert len(receipt.tasks()) == 27
    assert len(receipt.flows) == 90
    # a normative model is re-exported laid out by our own layout
    doc = etree.fromstring(to_bpmn_xml(running).encode())
    _assert_di_complete(doc)


def test_read_bpmn_rejects_unknown_elements(tmp_path):
    p = tmp_path / "x.bpmn"
    p.write_text(
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="x">'
        '<process id="p"><startEvent id="s"/><inclusiveGateway id="g"/></process></definitions>')
    with pytest.raises(InputError, match="inclusiveGateway"):
        read_bpmn(p)


# --------------------------------------------------------------------------- SVG

@pytest.mark.parametrize("kind", ["petri", "bpmn", "tree"])
def test_model_svg_is_deterministic_xml(kind):
    tree = parse_tree(TREES[1])
    model = {"petri": tree_to_petri(tree), "bpmn": tree_to_bpmn(tree), "tree": tree}[kind]
    svg = model_svg(model)
    assert svg == model_svg(model)
    root = etree.fromstring(svg.encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set("abcdef") <= texts
    assert getattr(model, "_repr_svg_", None) is None or model._repr_svg_() == svg

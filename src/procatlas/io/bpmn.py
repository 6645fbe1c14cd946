"""BPMN 2.0 XML writer (with diagram interchange, so the model opens laid out in bpmn.io and
Camunda Modeler) and reader of the process part of normative BPMN models."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from procatlas.errors import InputError
from procatlas.mining.bpmn import BpmnModel, BpmnNode, NodeKind, SequenceFlow

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TARGET_NS = "https://procatlas.dev/bpmn"

__all__ = ["to_bpmn_xml", "read_bpmn"]

_TASK_KINDS = {"task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask",
               "receiveTask", "businessRuleTask", "callActivity", "subProcess"}


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _num(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".") or "0"


def _xml_id(raw: str) -> str:
    """BPMN ids are xsd:ID (NCName): keep ours, repair foreign ones."""
    out = "".join(c if c.isalnum() or c in "-_." else "_" for c in raw)
    return out if out and (out[0].isalpha() or out[0] == "_") else f"_{out}"


def to_bpmn_xml(model: BpmnModel) -> str:
    """Serialise ``model`` as BPMN 2.0 XML with one BPMNShape per flow node and one
    BPMNEdge (with waypoints) per sequence flow.

    >>> from procatlas.mining.tree import parse_tree
    >>> from procatlas.mining.bpmn import tree_to_bpmn
    >>> xml = to_bpmn_xml(tree_to_bpmn(parse_tree("seq(a, xor(b, c))")))
    >>> xml.count("<bpmndi:BPMNShape"), xml.count("<bpmndi:BPMNEdge")
    (7, 7)
    """
    from procatlas.render.model_layout import bpmn_layout, flow_keys  # pure-Python layout

    lay = bpmn_layout(model)
    ids = {n.id: _xml_id(n.id) for n in model.nodes}
    fids = {f.id: _xml_id(f.id) for f in model.flows}
    pid = _xml_id(model.name or "process")
    if pid in ids.values() or pid in fids.values():
        pid = f"{pid}_process"
    root = etree.Element(_q(BPMN, "definitions"),
                         nsmap={None: BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI},
                         id="definitions", targetNamespace=TARGET_NS,
                         exporter="procatlas", exporterVersion="0.1")
    proc = etree.SubElement(root, _q(BPMN, "process"), id=pid, name=model.name or "process",
                            isExecutable="false")
    incoming: dict[str, list[str]] = {n.id: [] for n in model.nodes}
    outgoing: dict[str, list[str]] = {n.id: [] for n in model.nodes}
    for f in model.flows:
        outgoing[f.source].append(f.id)
        incoming[f.target].append(f.id)
    for n in model.nodes:
        attrs = {"id": ids[n.id]}
        if n.name and n.kind is not NodeKind.XOR and n.kind is not NodeKind.AND:
            attrs["name"] = n.name
        if n.kind in (NodeKind.XOR, NodeKind.AND):
            attrs["gatewayDirection"] = n.direction or "Unspecified"
        el = etree.SubElement(proc, _q(BPMN, n.kind.value), **attrs)
        for f in incoming[n.id]:
            etree.SubElement(el, _q(BPMN, "incoming")).text = fids[f]
        for f in outgoing[n.id]:
            etree.SubElement(el, _q(BPMN, "outgoing")).text = fids[f]
    for f in model.flows:
        etree.SubElement(proc, _q(BPMN, "sequenceFlow"), id=fids[f.id],
                         sourceRef=ids[f.source], targetRef=ids[f.target])
    diagram = etree.SubElement(root, _q(BPMNDI, "BPMNDiagram"), id=f"{pid}_diagram")
    plane = etree.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), id=f"{pid}_plane", bpmnElement=pid)
    margin = 20.0
    for n in model.nodes:
        x, y, w, h = lay.nodes[n.id]
        shape = etree.SubElement(plane, _q(BPMNDI, "BPMNShape"), id=f"{ids[n.id]}_di",
                                 bpmnElement=ids[n.id])
        if n.kind is NodeKind.XOR:
            shape.set("isMarkerVisible", "true")
        etree.SubElement(shape, _q(DC, "Bounds"), x=_num(x + margin), y=_num(y + margin),
                         width=_num(w), height=_num(h))
    for f, k in zip(model.flows, flow_keys(model)):
        edge = etree.SubElement(plane, _q(BPMNDI, "BPMNEdge"), id=f"{fids[f.id]}_di",
                                bpmnElement=fids[f.id])
        points = lay.edges.get((f.source, f.target, k)) or _centre_line(lay, f)
        for px, py in points:
            etree.SubElement(edge, _q(DI, "waypoint"), x=_num(px + margin), y=_num(py + margin))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8")


def _centre_line(lay, f: SequenceFlow):
    def centre(nid):
        x, y, w, h = lay.nodes[nid]
        return (x + w / 2, y + h / 2)
    return (centre(f.source), centre(f.target))


def read_bpmn(path: str | Path) -> BpmnModel:
    """Read the first process of a BPMN 2.0 file: start/end events, tasks (any task type,
    call activities and collapsed sub-processes count as tasks), exclusive and parallel
    gateways and the sequence flows between them."""
    path = Path(path)
    try:
        doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise InputError(f"not a readable BPMN file ({exc})", path=path) from exc
    procs = doc.getroot().findall(_q(BPMN, "process"))
    if not procs:
        raise InputError("no <process> element in the BPMN namespace", path=path)
    proc = procs[0]
    nodes: list[BpmnNode] = []
    flows: list[SequenceFlow] = []
    for el in proc:
        if not isinstance(el.tag, str):
            continue
        tag = etree.QName(el.tag).localname
        nid = el.get("id")
        name = (el.get("name") or "").strip()
        if tag == "sequenceFlow":
            flows.append(SequenceFlow(nid, el.get("sourceRef"), el.get("targetRef")))
        elif tag == "startEvent":
            nodes.append(BpmnNode(nid, NodeKind.START, name))
        elif tag == "endEvent":
            nodes.append(BpmnNode(nid, NodeKind.END, name))
        elif tag in _TASK_KINDS:
            nodes.append(BpmnNode(nid, NodeKind.TASK, name))
        elif tag == "exclusiveGateway":
            nodes.append(BpmnNode(nid, NodeKind.XOR, name, el.get("gatewayDirection", "")))
        elif tag == "parallelGateway":
            nodes.append(BpmnNode(nid, NodeKind.AND, name, el.get("gatewayDirection", "")))
        elif tag in ("laneSet", "documentation", "extensionElements", "textAnnotation",
                     "association", "dataObject", "dataObjectReference", "dataStoreReference"):
            continue
        else:
            raise InputError(f"unsupported BPMN element <{tag}> (id {nid!r})", path=path,
                             location=el.sourceline)
    known = {n.id for n in nodes}
    for f in flows:
        if f.source not in known or f.target not in known:
            raise InputError(f"sequence flow {f.id!r} refers to an unknown node", path=path)
    return BpmnModel(tuple(nodes), tuple(flows), proc.get("name") or proc.get("id") or "process")

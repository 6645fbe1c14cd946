"""Glue from discovery to the model miners: IMf tree -> Petri net -> BPMN, and their exports.

The miners and writers live in their own modules (mining/inductive.py, petri.py, bpmn.py,
io/pnml.py, io/bpmn.py, render/model_svg.py); this module only finds and calls them, so
`discover` still gives maps and summaries while a part is missing.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from procatlas.errors import AtlasError


def _find(module: str, *names: str):
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    for name in names:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    return None


def mine_models(variants: Mapping[tuple[str, ...], int], *, noise: float = 0.2) -> tuple[Any, Any, Any]:
    """(process tree, Petri net, BPMN model); a part is None when its module is not there."""
    discover_tree = _find("procatlas.mining.inductive", "discover_tree")
    if discover_tree is None or not variants:
        return None, None, None
    tree = discover_tree(variants, noise=noise)
    to_petri = _find("procatlas.mining.petri", "tree_to_petri")
    net = to_petri(tree) if to_petri else None
    to_bpmn = _find("procatlas.mining.bpmn", "tree_to_bpmn", "to_bpmn", "bpmn_from_tree")
    bpmn = to_bpmn(tree) if to_bpmn else None
    return tree, net, bpmn


class ModelUnavailable(AtlasError):
    """A model export was asked for but its module is not part of this build yet."""


def pnml_xml(result: Any) -> str:
    write = _find("procatlas.io.pnml", "pnml_string", "to_pnml", "pnml_xml", "dumps")
    if result.net is None or write is None:
        raise ModelUnavailable("PNML export is not available (no Petri net or io/pnml.py writer)")
    return write(result.net)


def bpmn_xml(result: Any) -> str:
    write = _find("procatlas.io.bpmn", "bpmn_string", "to_bpmn_xml", "bpmn_xml", "dumps")
    if result.bpmn is None or write is None:
        raise ModelUnavailable("BPMN export is not available (no BPMN model or io/bpmn.py writer)")
    return write(result.bpmn)


def model_svg(result: Any) -> str:
    draw = _find("procatlas.render.model_svg", "model_svg")
    model = result.bpmn if result.bpmn is not None else result.net
    if model is None or draw is None:
        raise ModelUnavailable("model drawing is not available (render/model_svg.py)")
    return draw(model)

"""Data-entry noise: misspelt supplier names and missing product lines, written down."""

from __future__ import annotations

import numpy as np

from procatlas.simulate.config import PRODUCT_LINES, SUPPLIERS
from procatlas.simulate.context import Sim


def _variants(name: str) -> tuple[str, ...]:
    return (name.upper(), name + " GmbH", name.replace(" ", "  "), name[:-1])


def apply_noise(sim: Sim) -> list[dict]:
    """Draw noisy recorded values; returns ground-truth rows (object, field, recorded, true)."""
    rng, log = sim.rng, sim.log
    rows = []
    pr = log.types["purchase_requisition"].attributes
    n = len(pr["supplier"])
    hit = np.flatnonzero(rng.random(n) < sim.rates.data_noise)
    pick = rng.integers(0, 4, len(hit))
    recorded = np.array(SUPPLIERS, dtype=object)[pr["supplier"]]
    for i, k in zip(hit, pick):
        true = SUPPLIERS[pr["supplier"][i]]
        recorded[i] = _variants(true)[k]
        rows.append({"object_id": f"PR-{i + 1:06d}", "object_type": "purchase_requisition", "field": "supplier",
                     "recorded": recorded[i], "true": true})
    sim.state["supplier_recorded"] = recorded
    so = log.types["sales_order"].attributes
    n = len(so["product_line"])
    hit = np.flatnonzero(rng.random(n) < sim.rates.data_noise)
    line = so["product_line"].copy()
    line[hit] = -1
    for i in hit:
        rows.append({"object_id": f"SO-{i + 1:06d}", "object_type": "sales_order", "field": "product_line",
                     "recorded": None, "true": PRODUCT_LINES[so["product_line"][i]]})
    sim.state["so_line_recorded"] = line
    return rows

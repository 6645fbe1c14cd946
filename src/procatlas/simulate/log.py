"""The growing event log: blocks of same-activity events, objects, links, attribute changes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# process name -> object type that is its case notion in the case-centric CSV
PROCESSES = {
    "procure_to_pay": "purchase_requisition",
    "order_to_cash": "sales_order",
    "complaint_handling": "complaint",
    "product_return": "return",
}

PREFIX = {
    "purchase_requisition": "PR", "purchase_order": "PO", "goods_receipt": "GR",
    "supplier_invoice": "SI", "payment_run": "PAY", "supplier": "SUP", "sales_order": "SO",
    "delivery": "DL", "customer_invoice": "CI", "customer": "CUS", "complaint": "CMP",
    "ticket": "TK", "return": "RET",
}


@dataclass
class Block:
    """Events of one activity, one per row of the arrays."""

    process: str
    activity: str
    case: np.ndarray
    ts: np.ndarray
    resource: np.ndarray
    group: np.ndarray
    lifecycle: str
    links: list[tuple[str, np.ndarray, str]]
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class ObjectType:
    """All objects of one type: how many, and their attribute columns."""

    name: str
    count: int = 0
    attributes: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Planted:
    """Objects that one planted exception touched, and where (the activity it shows at)."""

    object_type: str
    index: np.ndarray
    exception: str
    activity: str
    eligible: int | None = None  # objects that could have had it (None: measured, not drawn)
    expected_rate: float | None = None


class EventLog:
    """Collects what the process modules did, for the writers and the ground truth."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.types: dict[str, ObjectType] = {}
        self.o2o: list[tuple[str, np.ndarray, str, np.ndarray, str]] = []
        self.changes: list[tuple[str, np.ndarray, str, np.ndarray, np.ndarray]] = []
        self.planted: list[Planted] = []

    def objects(self, otype: str, n: int, **attributes: np.ndarray) -> np.ndarray:
        """Create ``n`` objects of ``otype``; returns their indices."""
        t = self.types.setdefault(otype, ObjectType(otype))
        start = t.count
        t.count += n
        for k, v in attributes.items():
            old = t.attributes.get(k)
            t.attributes[k] = v if old is None else np.concatenate([old, v])
        return np.arange(start, start + n, dtype=np.int64)

    def add(self, process: str, activity: str, case: np.ndarray, ts: np.ndarray, *,
            resource: np.ndarray | None = None, group: np.ndarray | int = -1,
            links: list[tuple[str, np.ndarray, str]] = (), lifecycle: str = "complete",
            attrs: dict[str, str] | None = None) -> None:
        """Record one event per element of ``case`` (``resource`` -1 or None: a system event)."""
        n = len(case)
        if n == 0:
            return
        res = np.full(n, -1, np.int32) if resource is None else np.asarray(resource, np.int32)
        grp = np.broadcast_to(np.asarray(group, np.int8), (n,)).copy()
        grp[res < 0] = -1
        self.blocks.append(Block(process, activity, np.asarray(case, np.int64), np.asarray(ts, np.int64),
                                 res, grp, lifecycle, [(o, np.asarray(i, np.int64), q) for o, i, q in links],
                                 dict(attrs or {})))

    def link(self, src_type: str, src: np.ndarray, dst_type: str, dst: np.ndarray, qualifier: str) -> None:
        """Object-to-object links ``src -> dst``."""
        if len(src):
            self.o2o.append((src_type, np.asarray(src, np.int64), dst_type, np.asarray(dst, np.int64), qualifier))

    def change(self, otype: str, index: np.ndarray, name: str, values: np.ndarray, ts: np.ndarray) -> None:
        """Attribute ``name`` of objects ``index`` took ``values`` at local times ``ts``."""
        if len(index):
            self.changes.append((otype, np.asarray(index, np.int64), name, np.asarray(values), np.asarray(ts, np.int64)))

    def plant(self, otype: str, index: np.ndarray, exception: str, activity: str,
              p: np.ndarray | None = None) -> None:
        """Write down that ``exception`` was done to these objects (the honest ground truth);
        ``p`` holds the probability each eligible object was drawn with."""
        self.planted.append(Planted(otype, np.asarray(index, np.int64), exception, activity,
                                    None if p is None else len(p),
                                    None if p is None or len(p) == 0 else float(np.mean(p))))

"""Configured shares, rates and hot spots of the demo company (the intended truth)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Top-level cases (--cases) are split over the three starting processes.
CASE_SHARES = {"purchase_requisition": 0.35, "sales_order": 0.50, "complaint": 0.15}

TIMEZONE = "Europe/Amsterdam"
WORK_START_H = 8
WORK_HOURS = 9  # 08:00-17:00 local, Monday-Friday, public holidays off

PRODUCT_LINES = ("Garden", "Kitchen", "Lighting", "Outdoor", "Tools", "Furniture")
PRODUCT_LINE_WEIGHTS = (0.18, 0.2, 0.16, 0.16, 0.15, 0.15)

SUPPLIERS = (
    "Alder Metals", "Brightway Plastics", "Corvid Textiles", "Delta Fasteners", "Elmstone Timber",
    "Fjord Glassworks", "Nordlicht Components", "Greenleaf Packaging", "Harbor Electronics",
    "Ironbridge Tools", "Juniper Ceramics", "Kestrel Logistics", "Lumen Optics", "Maple & Sons",
    "Northwind Outdoor", "Orchard Fabrics", "Pinecrest Hardware", "Quarry Stoneware",
)
# Each supplier serves one product line (index into PRODUCT_LINES).
SUPPLIER_LINE = (0, 1, 5, 4, 5, 1, 2, 0, 2, 4, 1, 3, 2, 5, 3, 5, 4, 0)

CHANNELS_COMPLAINT = {"social": 0.45, "email": 0.35, "call": 0.20}
CHANNELS_SALES = {"web_shop": 0.55, "email": 0.25, "edi": 0.20}
PR_TRIGGERS = {"reorder_point": 0.45, "employee_request": 0.55}  # plus sales shortages, measured


@dataclass(frozen=True)
class HotSpot:
    """A place where several exception types are multiplied together."""

    name: str
    object_type: str
    attribute: str
    value: str
    exceptions: tuple[str, ...]
    factor: float
    period_months: tuple[int, int] | None = None  # [from, to) month offsets from start


@dataclass(frozen=True)
class Rates:
    """Base probability per eligible object of each planted exception and rare path."""

    rework_repeated_approval: float = 0.08
    skipped_approval: float = 0.05
    order_change_after_approval: float = 0.06
    po_cancellation: float = 0.03
    price_mismatch: float = 0.05
    quantity_mismatch: float = 0.04
    missing_goods_receipt: float = 0.04
    goods_receipt_reversal: float = 0.02
    so_cancellation: float = 0.03
    so_change_after_confirmation: float = 0.05
    stock_shortage: float = 0.12
    complaint_escalation: float = 0.10
    reopened_ticket: float = 0.07
    care_delay: float = 0.08  # a stuck ticket; SLA breaches are measured, not drawn
    return_requested: float = 0.35
    failed_return_inspection: float = 0.12
    replacement_instead_of_refund: float = 0.4
    overtime: float = 0.025
    data_noise: float = 0.01
    hot_spots: tuple[HotSpot, ...] = field(default_factory=lambda: (
        HotSpot("supplier-nordlicht", "purchase_requisition", "supplier", "Nordlicht Components",
                ("price_mismatch", "missing_goods_receipt", "rework_repeated_approval"), 6.0),
        HotSpot("outdoor-spring-campaign", "complaint", "product_line", "Outdoor",
                ("complaint_escalation", "reopened_ticket", "care_delay"), 5.0, (2, 4)),
    ))


# SLA rules, in working hours (measured on the generated events).
SLA_FIRST_RESPONSE_H = {"social": 2.0, "email": 9.0, "call": 0.0}
SLA_RESOLUTION_H = 45.0
# A stuck ticket (care_delay) waits this many extra working hours (lognormal, this sigma) before its
# resolution: about eight working weeks. Normal tickets (lognormal work, median 10 h, sigma 0.9)
# already take up to five or six calendar weeks once nights, weekends, holidays and busy days are
# counted, so a shorter delay would hide in that tail; this one lies beyond it (docs/exceptions.md).
CARE_DELAY_H = 360.0
CARE_DELAY_SIGMA = 0.2  # five working days
SLA_DELIVERY_H = 45.0  # ship within five working days of confirmation

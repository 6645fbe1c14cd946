"""The planted watering holes: informal cross-group venues and who meets there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procatlas.simulate.calendar import DAY
from procatlas.simulate.org import Org


@dataclass(frozen=True)
class WateringHole:
    """An informal venue: its members, when it existed, and the meeting rhythm."""

    venue: str
    kind: str  # chat or meeting
    groups: tuple[str, ...]
    members: tuple[int, ...]
    start: int  # local seconds
    end: int

    def open_at(self, ts: np.ndarray) -> np.ndarray:
        """True where ``ts`` falls in the venue's period."""
        return (ts >= self.start) & (ts < self.end)


def watering_holes(org: Org, t0: int, end: int) -> dict[str, WateringHole]:
    """An informal warehouse-finance chat (from the fifth week) and a weekly care-quality coffee."""
    wh = tuple(int(p) for p in org.members("Warehouse", "Warehouse Clerk")[1:4]) + \
        tuple(int(p) for p in org.members("Finance AP", "AP Clerk")[:3])
    coffee = (org.lead("Customer Care"),) + tuple(int(p) for p in org.members("Customer Care", "Care Agent")[:4]) + \
        (org.lead("Quality"),) + tuple(int(p) for p in org.members("Quality", "Quality Engineer")[:2])
    return {
        "warehouse-finance": WateringHole("chat:#warehouse-finance-informal", "chat",
                                          ("Warehouse", "Finance AP"), wh, t0 + 28 * DAY, end),
        "care-quality-coffee": WateringHole("meeting:care-quality-coffee", "meeting",
                                            ("Customer Care", "Quality"), coffee, t0 + 14 * DAY, end),
    }

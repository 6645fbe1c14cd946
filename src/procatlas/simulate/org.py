"""The company's people: departments, roles, names, and who picks up which work."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GROUPS = ("Sales", "Procurement", "Warehouse", "Finance AP", "Finance AR", "Customer Care",
          "Social Media", "Quality", "IT")

# group -> ((role, headcount), ...); the first role is the group's lead.
STAFF = {
    "Sales": (("Sales Lead", 1), ("Sales Representative", 14)),
    "Procurement": (("Head of Procurement", 1), ("Buyer", 9)),
    "Warehouse": (("Warehouse Lead", 1), ("Warehouse Clerk", 14)),
    "Finance AP": (("AP Lead", 1), ("AP Clerk", 7)),
    "Finance AR": (("AR Lead", 1), ("AR Clerk", 6)),
    "Customer Care": (("Care Lead", 1), ("Care Agent", 13)),
    "Social Media": (("Social Media Lead", 1), ("Social Media Agent", 5)),
    "Quality": (("Quality Lead", 1), ("Quality Engineer", 6)),
    "IT": (("IT Lead", 1), ("IT Administrator", 4)),
}

# (primary group, index of the person within that group, second group): people in two groups.
SECOND_GROUP = (("Sales", 3, "Warehouse"), ("Customer Care", 2, "Social Media"),
                ("Quality", 2, "Warehouse"), ("Finance AP", 4, "Finance AR"))

FIRST = ("Anna", "Ben", "Carla", "David", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira",
         "Lars", "Mila", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tess", "Umar", "Vera",
         "Wim", "Xenia", "Yusuf", "Zoe", "Aylin", "Bram", "Chloe", "Dirk", "Elif", "Finn", "Hana",
         "Ivo", "Jana", "Kofi", "Lena", "Mats", "Nora", "Omar")
LAST = ("Andersen", "Bakker", "Costa", "Dekker", "Engel", "Fischer", "Garcia", "Hansen", "Ivanova",
        "Jansen", "Kowalski", "Lindqvist", "Meyer", "Novak", "Okafor", "Peters", "Quint", "Rossi",
        "Schmidt", "Takahashi", "Uysal", "Visser", "Weber", "Yilmaz", "Zimmer", "de Vries", "Moreau")


@dataclass(frozen=True)
class Org:
    """People (index = position), their memberships and how eagerly each picks up work."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    memberships: tuple[tuple[int, str, str], ...]  # (person, group, role)
    eagerness: np.ndarray

    def members(self, group: str, role: str | None = None) -> np.ndarray:
        """Indices of the people in ``group`` (optionally with ``role``)."""
        return np.array([p for p, g, r in self.memberships if g == group and (role is None or r == role)],
                        dtype=np.int32)

    def lead(self, group: str) -> int:
        """The lead of ``group``."""
        return int(self.members(group, STAFF[group][0][0])[0])

    def group_code(self, group: str) -> int:
        """Position of ``group`` in GROUPS (events carry groups as codes)."""
        return GROUPS.index(group)


def build_org(rng: np.random.Generator) -> Org:
    """Draw names for the fixed staffing plan; same generator state, same people."""
    ids, names, members = [], [], []
    by_group: dict[str, list[int]] = {}
    used: set[str] = set()
    for group, roles in STAFF.items():
        for role, count in roles:
            for _ in range(count):
                while True:
                    name = f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}"
                    if name not in used:
                        used.add(name)
                        break
                p = len(ids)
                ids.append(f"P{p + 1:03d}")
                names.append(name)
                members.append((p, group, role))
                by_group.setdefault(group, []).append(p)
    for group, i, second in SECOND_GROUP:
        p = by_group[group][i]
        role = STAFF[second][-1][0]
        members.append((p, second, role))
    eagerness = rng.lognormal(0.0, 0.45, len(ids))
    return Org(tuple(ids), tuple(names), tuple(members), eagerness)


def pick(rng: np.random.Generator, org: Org, group: str, n: int, *, role: str | None = None,
         prev: np.ndarray | None = None, keep: float = 0.0) -> np.ndarray:
    """Draw who does ``n`` work items: eager people take more; with probability ``keep`` the
    previous resource keeps the case if they belong to ``group``."""
    pool = org.members(group, role)
    w = org.eagerness[pool]
    out = pool[rng.choice(len(pool), size=n, p=w / w.sum())]
    if prev is not None and keep > 0:
        stay = (rng.random(n) < keep) & np.isin(prev, pool)
        out = np.where(stay, prev, out)
    return out.astype(np.int32)

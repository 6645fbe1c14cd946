"""A deterministic two-period log with a planted improvement (rework halved, every wait -20%)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

PEOPLE = {"ann": "front", "bob": "front", "cem": "back", "dia": "back", "eva": "audit"}


def write_log(path: Path, *, cases: int = 600, seed: int = 3, improve: bool = True) -> Path:
    """Cases start uniformly over 2024 (Jan-Jun: period 1, Jul-Dec: period 2).

    Every case runs register -> check -> (fix -> check)* -> approve -> close; after July 1st the
    rework probability halves (0.4 -> 0.2) and every waiting time is 20 % shorter (when ``improve``).
    """
    rng = np.random.default_rng(seed)
    year = dt.datetime(2024, 1, 1)
    people = list(PEOPLE)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["case", "activity", "timestamp", "resource", "group"])
        for c in range(cases):
            start = year + dt.timedelta(seconds=float(rng.uniform(0, 365 * 86400 - 40 * 86400)))
            second = improve and start >= dt.datetime(2024, 7, 1)
            factor, rework = (0.8, 0.2) if second else (1.0, 0.4)
            steps = ["register", "check"]
            while rng.random() < rework and len(steps) < 12:
                steps += ["fix", "check"]
            steps += ["approve", "close"]
            t = start
            for i, a in enumerate(steps):
                if i:
                    t += dt.timedelta(hours=float(rng.lognormal(2.5, 0.8)) * factor)
                r = people[int(rng.integers(0, len(people)))]
                w.writerow([f"c{c:05d}", a, t.isoformat(timespec="seconds"), r, PEOPLE[r]])
    return path

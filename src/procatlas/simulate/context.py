"""Shared state of one simulation run and the vectorised step primitives (durations, load)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from procatlas.simulate.calendar import DAY, HOUR, WorkCalendar
from procatlas.simulate.config import HotSpot, Rates
from procatlas.simulate.log import EventLog
from procatlas.simulate.org import Org, pick


@dataclass
class Discussion:
    """Cases raised at a watering hole: when, by whom, about what."""

    venue: str
    ts: np.ndarray
    sender: np.ndarray
    refs: list[np.ndarray]  # arrays of case ids (strings), one per reference slot
    ref_types: tuple[str, ...]


@dataclass
class Sim:
    """Everything a process module needs: generator, calendar, people, the log and the rates."""

    rng: np.random.Generator
    cal: WorkCalendar
    org: Org
    log: EventLog
    rates: Rates
    start: dt.date
    months: int
    end: int = 0  # local seconds, first instant after the arrival period
    discussions: list[Discussion] = field(default_factory=list)
    state: dict = field(default_factory=dict)  # hand-offs between process modules

    def __post_init__(self) -> None:
        end = np.datetime64(self.start, "M") + self.months
        day = np.datetime64(self.start, "D") + (end.astype("datetime64[D]") - np.datetime64(self.start, "M").astype("datetime64[D]"))
        self.end = int(day.astype(np.int64)) * DAY

    def human(self, prev: np.ndarray, group: str, median_h: float, sigma: float = 0.8, *,
              role: str | None = None, prev_res: np.ndarray | None = None, keep: float = 0.0,
              scale: np.ndarray | float = 1.0) -> tuple[np.ndarray, np.ndarray, int]:
        """Time, resource and group of a manual step after ``prev``: lognormal working time,
        longer on busy days, occasionally finished in overtime."""
        n = len(prev)
        dur = self.rng.lognormal(np.log(median_h * HOUR), sigma, n) * scale * self._load(prev)
        ts = self.cal.add_work(prev, dur)
        over = self.rng.random(n) < self.rates.overtime
        alt = prev + dur.astype(np.int64)
        tod = alt % DAY
        late = over & (tod >= 17 * HOUR) & (tod < 20 * HOUR) & ((alt // DAY + 3) % 7 < 5) & (alt < ts)
        ts = np.where(late, alt, ts)
        res = pick(self.rng, self.org, group, n, role=role, prev=prev_res, keep=keep)
        return ts, res, self.org.group_code(group)

    def system(self, prev: np.ndarray, median_s: float, sigma: float = 0.6) -> np.ndarray:
        """Time of an automatic step: a short calendar delay, any hour."""
        return prev + 1 + self.rng.lognormal(np.log(median_s), sigma, len(prev)).astype(np.int64)

    def calendar_lag(self, prev: np.ndarray, median_days: float, sigma: float = 0.5,
                     scale: np.ndarray | float = 1.0) -> np.ndarray:
        """``prev`` plus a lognormal number of calendar days (supplier lead times, customers)."""
        return prev + (self.rng.lognormal(np.log(median_days * DAY), sigma, len(prev)) * scale).astype(np.int64)

    def _load(self, prev: np.ndarray) -> np.ndarray:
        """Delay factor from how many items of this step queue up on the same day."""
        if len(prev) == 0:
            return np.ones(0)
        day = prev // DAY
        lo = day.min()
        counts = np.bincount(day - lo)
        mean = counts[counts > 0].mean()
        return np.clip(counts[day - lo] / mean, 0.6, 3.0) ** 0.5

    def prob(self, name: str, at_spot: dict[str, np.ndarray], n: int) -> np.ndarray:
        """Per-object probability of exception ``name``: the base rate, multiplied at hot spots."""
        p = np.full(n, getattr(self.rates, name), dtype=np.float64)
        for spot in self.rates.hot_spots:
            if name in spot.exceptions and spot.name in at_spot:
                p = np.where(at_spot[spot.name], np.minimum(p * spot.factor, 0.9), p)
        return p

    def draw(self, p: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
        """Bernoulli draws (always consuming one number per object, for stable streams)."""
        hit = self.rng.random(len(p)) < p
        return hit if eligible is None else hit & eligible

    def arrivals(self, n: int, *, weekend: float, office_hours: bool, month_end: float = 1.0,
                 season: float = 0.25) -> np.ndarray:
        """``n`` sorted arrival times over the period with weekly, monthly and seasonal shape."""
        days = np.arange(self.cal.t0 // DAY, self.end // DAY, dtype=np.int64)
        dow = (days + 3) % 7
        w = np.where(dow < 5, 1.0, weekend)
        doy = (days.astype("datetime64[D]") - days.astype("datetime64[D]").astype("datetime64[Y]")).astype(np.int64)
        w = w * (1 + season * np.sin(2 * np.pi * (doy - 80) / 365.0))
        dom_next = (days + 3).astype("datetime64[D]").astype("datetime64[M]")
        w = w * np.where(dom_next != days.astype("datetime64[D]").astype("datetime64[M]"), month_end, 1.0)
        if office_hours:
            w = w * self.cal.is_workday[days - self.cal.first_day]
        d = days[self.rng.choice(len(days), size=n, p=w / w.sum())]
        if office_hours:
            tod = self.cal.open + self.rng.random(n) * self.cal.shift
        else:  # customers: low at night, peak in the evening
            hours = np.array([1, .5, .3, .3, .3, .5, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 7, 6, 4, 2.])
            tod = (self.rng.choice(24, size=n, p=hours / hours.sum()) + self.rng.random(n)) * HOUR
        return np.sort(d * DAY + tod.astype(np.int64))


def ids(prefix: str, index: np.ndarray, width: int = 6) -> np.ndarray:
    """Document numbers such as ``PO-000123`` (numbering starts at 1)."""
    index = np.asarray(index, np.int64)
    if len(index) == 0:
        return np.zeros(0, dtype="<U1")
    return np.char.add(f"{prefix}-", np.char.zfill((index + 1).astype(str), width))

"""Working-hours calendar on local seconds, vectorised (weekends and public holidays off)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from procatlas.simulate.config import TIMEZONE, WORK_HOURS, WORK_START_H

DAY = 86400
HOUR = 3600
_EPOCH = dt.date(1970, 1, 1)


def _holidays(years: range) -> set[dt.date]:
    """Fixed-date public holidays plus Easter Monday and Ascension (Gauss' Easter)."""
    out: set[dt.date] = set()
    for y in years:
        a, b, c = y % 19, y // 100, y % 100
        d, e = b // 4, b % 4
        f = (b + 8) // 25
        g = (b - f + 1) // 3
        h = (19 * a + b - d - g + 15) % 30
        i, k = c // 4, c % 4
        l_ = (32 + 2 * e + 2 * i - h - k) % 7
        m = (a + 11 * h + 22 * l_) // 451
        month, day = divmod(h + l_ - 7 * m + 114, 31)
        easter = dt.date(y, month, day + 1)
        out |= {dt.date(y, 1, 1), dt.date(y, 5, 1), dt.date(y, 12, 25), dt.date(y, 12, 26),
                easter + dt.timedelta(days=1), easter + dt.timedelta(days=39)}
    return out


class WorkCalendar:
    """Maps local times (seconds since 1970, naive local) to a working-time clock and back."""

    def __init__(self, start: dt.date, months: int, tz: str = TIMEZONE):
        self.start = start
        self.t0 = (start - _EPOCH).days * DAY
        self.horizon_days = int(months * 31) + 1
        first = start - dt.timedelta(days=14)
        last = start + dt.timedelta(days=self.horizon_days + 3 * 365)
        hol = _holidays(range(first.year, last.year + 1))
        days = np.arange((first - _EPOCH).days, (last - _EPOCH).days + 1, dtype=np.int64)
        dow = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        is_hol = np.array([(_EPOCH + dt.timedelta(days=int(x))) in hol for x in days])
        self.holidays = sorted(d for d in hol if first <= d <= last)
        self.first_day = int(days[0])
        self.is_workday = (dow < 5) & ~is_hol
        self.workdays = days[self.is_workday]
        self.shift = WORK_HOURS * HOUR
        self.open = WORK_START_H * HOUR
        zone = ZoneInfo(tz)
        # UTC offset at local noon of every day; DST switches happen at night.
        self.offset = np.array([
            int(dt.datetime.combine(_EPOCH + dt.timedelta(days=int(x)), dt.time(12), zone)
                .utcoffset().total_seconds()) for x in days], dtype=np.int64)

    def work_clock(self, t: np.ndarray) -> np.ndarray:
        """Working seconds elapsed from the calendar's first day up to local time ``t``."""
        day = t // DAY
        k = np.searchsorted(self.workdays, day, side="left")
        tod = t - day * DAY
        on = self.is_workday[np.clip(day - self.first_day, 0, len(self.is_workday) - 1)]
        return k * self.shift + np.where(on, np.clip(tod - self.open, 0, self.shift), 0)

    def from_work_clock(self, w: np.ndarray) -> np.ndarray:
        """Local time at which the working clock reads ``w`` (start of day on boundaries)."""
        k, r = np.divmod(w.astype(np.int64), self.shift)
        k = np.minimum(k, len(self.workdays) - 1)
        return self.workdays[k] * DAY + self.open + r

    def add_work(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """``t`` plus ``seconds`` of working time, landing inside working hours."""
        return self.from_work_clock(self.work_clock(t) + np.maximum(seconds, 0).astype(np.int64))

    def work_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Working seconds between local times ``a`` and ``b``."""
        return self.work_clock(b) - self.work_clock(a)

    def in_hours(self, t: np.ndarray) -> np.ndarray:
        """True where ``t`` is inside working hours of a working day."""
        day = t // DAY
        tod = t - day * DAY
        on = self.is_workday[np.clip(day - self.first_day, 0, len(self.is_workday) - 1)]
        return on & (tod >= self.open) & (tod <= self.open + self.shift)

    def next_weekday_at(self, t: np.ndarray, weekday: int, hour: float) -> np.ndarray:
        """First local time at or after ``t`` that is ``weekday`` (Monday 0) at ``hour``."""
        day = t // DAY
        dow = (day + 3) % 7
        cand = day + (weekday - dow) % 7
        at = cand * DAY + int(hour * HOUR)
        return np.where(at >= t, at, at + 7 * DAY)

    def next_daily_at(self, t: np.ndarray, hour: float) -> np.ndarray:
        """First local time at or after ``t`` at ``hour`` o'clock (nightly batch jobs)."""
        at = (t // DAY) * DAY + int(hour * HOUR)
        return np.where(at >= t, at, at + DAY)

    def month_end_close(self, t: np.ndarray, hour: float = 16) -> np.ndarray:
        """Last working day of the month of ``t`` (or of the next month if it passed) at ``hour``."""
        months = (t // DAY).astype("datetime64[D]").astype("datetime64[M]")
        ends = self._last_workday_of(months) * DAY + int(hour * HOUR)
        nxt = self._last_workday_of(months + 1) * DAY + int(hour * HOUR)
        return np.where(ends >= t, ends, nxt)

    def _last_workday_of(self, months: np.ndarray) -> np.ndarray:
        first_next = (months + 1).astype("datetime64[D]").astype(np.int64)
        k = np.searchsorted(self.workdays, first_next, side="left") - 1
        return self.workdays[np.clip(k, 0, len(self.workdays) - 1)]

    def utc_offset(self, t: np.ndarray) -> np.ndarray:
        """UTC offset in seconds of local time ``t``."""
        return self.offset[np.clip(t // DAY - self.first_day, 0, len(self.offset) - 1)]

    def day_index(self, t: np.ndarray) -> np.ndarray:
        """Days since the simulation start."""
        return (t - self.t0) // DAY

"""Working-time aware durations: a business calendar of working days, hours and holidays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procatlas.errors import InputError


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days (numpy weekmask, Monday first), daily hours ``[from_hour, to_hour)`` and holidays.

    Timestamps are taken as local times of the calendar (workspace times are UTC; shift them
    before if the organisation works elsewhere).

    >>> cal = BusinessCalendar()
    >>> import numpy as np
    >>> s = np.array(["2025-01-03T16:00"], dtype="datetime64[us]")  # a Friday
    >>> e = np.array(["2025-01-06T10:00"], dtype="datetime64[us]")  # the next Monday
    >>> float(cal.working_seconds(s, e)[0]) / 3600
    2.0
    """

    working_days: str = "1111100"
    from_hour: float = 9.0
    to_hour: float = 17.0
    holidays: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.working_days) != 7 or set(self.working_days) - {"0", "1"}:
            raise InputError(f"working_days must be 7 characters of 0/1 (Monday first), not {self.working_days!r}")
        if not 0 <= self.from_hour < self.to_hour <= 24:
            raise InputError(f"working hours must satisfy 0 <= from < to <= 24, not {self.from_hour}..{self.to_hour}")
        try:
            np.array(self.holidays, dtype="datetime64[D]")
        except ValueError:
            raise InputError(f"holidays must be ISO dates, not {list(self.holidays)}") from None

    def describe(self) -> str:
        return (f"working days {self.working_days} {self.from_hour:g}h-{self.to_hour:g}h, "
                f"holidays {','.join(sorted(self.holidays)) or 'none'}")

    def _in_day(self, t: np.ndarray) -> np.ndarray:
        """Working seconds of t's own day that lie before t (0 if t's day is not a working day)."""
        day = t.astype("datetime64[D]")
        sec = (t - day.astype("datetime64[us]")).astype("timedelta64[us]").astype(np.float64) / 1e6
        clipped = np.clip(sec, self.from_hour * 3600, self.to_hour * 3600) - self.from_hour * 3600
        working = np.is_busday(day, weekmask=self.working_days, holidays=list(self.holidays))
        return np.where(working, clipped, 0.0)

    def working_seconds(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working seconds between each ``start`` and ``end`` (vectorised; negative spans give 0)."""
        s = np.asarray(start, dtype="datetime64[us]")
        e = np.asarray(end, dtype="datetime64[us]")
        e = np.maximum(e, s)
        per_day = (self.to_hour - self.from_hour) * 3600
        days = np.busday_count(s.astype("datetime64[D]"), e.astype("datetime64[D]"),
                               weekmask=self.working_days, holidays=list(self.holidays))
        return days * per_day + self._in_day(e) - self._in_day(s)

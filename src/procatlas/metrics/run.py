"""The metrics verbs the api calls: compute, save a baseline, compare with a baseline or between windows."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from procatlas.errors import InputError
from procatlas.metrics.baseline import load_baseline, save_baseline
from procatlas.metrics.calendar import BusinessCalendar
from procatlas.metrics.catalog import CatalogOptions, compute_metrics
from procatlas.metrics.kpifile import UserKpi, load_kpis
from procatlas.model.metrics import BaselineInfo, Comparison, Metrics
from procatlas.workspace.core import Workspace


def parse_window(text: str | None, what: str) -> tuple[str | None, str | None]:
    """``A..B`` (either side may be empty) -> (A, B)."""
    if text is None:
        return None, None
    if ".." not in text:
        raise InputError(f"{what} must look like 2024-01-01..2024-06-30, not {text!r}")
    a, b = (s.strip() or None for s in text.split("..", 1))
    return a, b


def options_of(*, calendar: BusinessCalendar | None = None, sla_hours: float | None = None,
               exceptions: bool = True) -> CatalogOptions:
    return CatalogOptions(calendar=calendar, sla_hours=sla_hours, exceptions=exceptions)


def _options_dict(o: CatalogOptions, user: list[UserKpi]) -> dict[str, Any]:
    return {"calendar": dataclasses.asdict(o.calendar) if o.calendar else None, "sla_hours": o.sla_hours,
            "exceptions": o.exceptions, "social_target_hours": o.social_target_hours,
            "user_kpis": [dataclasses.asdict(k) for k in user]}


def _options_from(d: dict) -> tuple[CatalogOptions, list[UserKpi]]:
    cal = d.get("calendar")
    cal = BusinessCalendar(**{**cal, "holidays": tuple(cal.get("holidays", ()))}) if cal else None
    user = [UserKpi(**{k: tuple(v) if isinstance(v, list) else v for k, v in u.items()})
            for u in d.get("user_kpis", [])]
    return CatalogOptions(calendar=cal, sla_hours=d.get("sla_hours"), exceptions=d.get("exceptions", True),
                          social_target_hours=d.get("social_target_hours", 24.0)), user


def metrics(ws: Workspace, *, process: str | None = None, kpis: str | Path | None = None, start: Any = None,
            end: Any = None, options: CatalogOptions | None = None) -> Metrics:
    user = load_kpis(kpis) if kpis else []
    return compute_metrics(ws, process=process, start=start, end=end, options=options, user_kpis=user)


def save(ws: Workspace, name: str, *, process: str | None = None, kpis: str | Path | None = None,
         start: Any = None, end: Any = None, options: CatalogOptions | None = None,
         replace: bool = False, calc: Any = None) -> BaselineInfo:
    """Compute the KPIs on ``calc`` (an engine's workspace: Spark; default ``ws``) and store them in ``ws``."""
    options = options or CatalogOptions()
    user = load_kpis(kpis) if kpis else []
    m = compute_metrics(calc or ws, process=process, start=start, end=end, options=options, user_kpis=user)
    return save_baseline(ws, name, m, process=process, replace=replace, options=_options_dict(options, user))


def compare_baseline(ws: Workspace, name: str, *, start: Any = None, end: Any = None, alpha: float = 0.05,
                     seed: int = 0, calc: Any = None) -> Comparison:
    """Baseline ``name`` against current data: cases started in ``start``..``end``, by default
    those started after the baseline's window (all data when the baseline had no end); the
    current KPIs are computed on ``calc`` (an engine's workspace: Spark; default ``ws``)."""
    from procatlas.metrics.compare import compare_metrics  # scipy: only when comparing
    info, before, opts = load_baseline(ws, name)
    options, user = _options_from(opts)
    if start is None and end is None and info.end is not None:
        start = _after(info.end)
    after = compute_metrics(calc or ws, process=info.process, start=start, end=end, options=options, user_kpis=user)
    return compare_metrics(before, after, alpha=alpha, seed=seed, before_label=f"baseline {name}",
                           after_label=f"{start or ''}..{end or ''}")


def _after(end: str) -> str:
    """The first instant after a baseline window's end (the next day for a date-only end)."""
    import datetime as dt
    if len(end.strip()) == 10:
        return (dt.date.fromisoformat(end.strip()) + dt.timedelta(days=1)).isoformat()
    return end


def compare_windows(ws: Workspace, before: str, after: str, *, process: str | None = None,
                    kpis: str | Path | None = None, options: CatalogOptions | None = None, alpha: float = 0.05,
                    seed: int = 0) -> Comparison:
    from procatlas.metrics.compare import compare_metrics
    b0, b1 = parse_window(before, "--before")
    a0, a1 = parse_window(after, "--after")
    user = load_kpis(kpis) if kpis else []
    mb = compute_metrics(ws, process=process, start=b0, end=b1, options=options, user_kpis=user)
    ma = compute_metrics(ws, process=process, start=a0, end=a1, options=options, user_kpis=user)
    return compare_metrics(mb, ma, alpha=alpha, seed=seed, before_label=before, after_label=after)

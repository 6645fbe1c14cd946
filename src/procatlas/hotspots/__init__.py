"""Exceptions nobody mapped, conformance against a model, and the hot spots where exceptions pile up.

>>> from procatlas.hotspots import ExceptionSettings
>>> ExceptionSettings().long_wait_fence
1.5
"""

from __future__ import annotations

import time
from pathlib import Path

from procatlas.hotspots.settings import DEFAULT_PATTERNS, ExceptionSettings, SlaRule
from procatlas.model.exceptions import ConformanceResult, ExceptionsResult, HotspotsResult

__all__ = ["ExceptionSettings", "SlaRule", "DEFAULT_PATTERNS", "detect_exceptions", "find_hotspots",
           "check_conformance"]


def detect_exceptions(proc, sel, settings: ExceptionSettings | None = None, *,
                      model: str | Path | None = None) -> ExceptionsResult:
    """Every enabled detector on a selection of ``proc`` (a :class:`procatlas.process.Process`)."""
    from procatlas.hotspots import detect
    result, _ = detect.run(proc, sel, settings or ExceptionSettings(), model=model)
    return result


def find_hotspots(proc, sel, settings: ExceptionSettings | None = None, *,
                  model: str | Path | None = None) -> HotspotsResult:
    """Exceptions, then the ranked hot spots and the exception load per activity and edge."""
    from procatlas.hotspots import detect, hotspots
    s = settings or ExceptionSettings()
    started = time.perf_counter()
    result, d = detect.run(proc, sel, s, model=model, keep=True)
    try:
        spots, candidates, notes = hotspots.find(d, s)
        acts, edges = hotspots.load(d)
    finally:
        d.close()
    return HotspotsResult(proc.name, tuple(spots), candidates, acts, edges, result, tuple(notes),
                          round(time.perf_counter() - started, 3))


def check_conformance(proc, sel, settings: ExceptionSettings | None = None, *,
                      model: str | Path | None = None) -> ConformanceResult:
    """Alignment-based fitness of the selection against ``model`` (default: IMf discovered)."""
    s = (settings or ExceptionSettings()).replace(detectors=("conformance",))
    result = detect_exceptions(proc, sel, s, model=model)
    return result.conformance

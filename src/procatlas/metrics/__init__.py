"""Metrics that measure process improvement: KPI catalog, user KPIs, baselines, comparisons."""

from procatlas.metrics.calendar import BusinessCalendar
from procatlas.metrics.catalog import CatalogOptions, compute_metrics, process_kpis

__all__ = ["BusinessCalendar", "CatalogOptions", "compute_metrics", "process_kpis"]

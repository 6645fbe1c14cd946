"""`procatlas metrics`, `procatlas baseline save|list|delete` and `procatlas compare`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from procatlas import api
from procatlas.clikit import (EngineOpt, Format, FormatOpt, SparkDataOpt, SparkMasterOpt, WorkspaceOpt, emit,
                              engine_options, err, out)

ProcessOpt = Annotated[str | None, typer.Option("--process", "-p", help="Process (default: every process).")]
KpisOpt = Annotated[Path | None, typer.Option("--kpis", help="TOML file of user KPIs (docs/kpis.md).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Cases started at or after (ISO date).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Cases started at or before (ISO date).")]
SlaOpt = Annotated[float | None, typer.Option("--sla-hours", help="SLA compliance: cycle time <= this.")]
WorkingOpt = Annotated[str | None, typer.Option(
    "--working-hours", help="Working-time durations, e.g. 9-17 (Mon-Fri; add --holiday DATE).")]
HolidayOpt = Annotated[list[str] | None, typer.Option("--holiday", help="A public holiday (ISO date); repeatable.")]
NoExcOpt = Annotated[bool, typer.Option("--no-exceptions", help="Skip first-time-right and exception rates.")]


def _calendar(working_hours: str | None, holidays: list[str] | None):
    if not working_hours:
        return None
    from procatlas.errors import InputError
    from procatlas.metrics import BusinessCalendar
    try:
        a, b = (float(x) for x in working_hours.split("-", 1))
    except ValueError:
        raise InputError(f"--working-hours must look like 9-17, not {working_hours!r}") from None
    return BusinessCalendar(from_hour=a, to_hour=b, holidays=tuple(holidays or ()))


def _table(rows: list[dict], title: str) -> None:
    """A compact table: KPI names never truncated (they carry the activity or edge), numbers short."""
    from rich.table import Table
    table = Table(title=title, show_edge=False, header_style="bold", pad_edge=False)
    for i, key in enumerate(rows[0] if rows else {}):
        table.add_column(key, no_wrap=i > 0 and key != "kpi", overflow="fold",
                         justify="left" if key in ("kpi", "process", "verdict", "unit") else "right")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    out.print(table)


def _g(x) -> str:
    if x is None:
        return ""
    if float(x).is_integer() and abs(x) < 1e12:
        return str(int(x))
    return f"{x:.3g}"


def register(app: typer.Typer) -> None:
    @app.command()
    def metrics(process: ProcessOpt = None, kpis: KpisOpt = None, start: FromOpt = None, end: ToOpt = None,
                sla_hours: SlaOpt = None, working_hours: WorkingOpt = None, holiday: HolidayOpt = None,
                no_exceptions: NoExcOpt = False, workspace: WorkspaceOpt = None,
                engine: EngineOpt = None, spark_master: SparkMasterOpt = None, spark_data: SparkDataOpt = None,
                format: FormatOpt = Format.table) -> None:
        """KPIs per process: volume, cycle time, waiting/service time, rework, exceptions, handovers, SLA..."""
        result = api.metrics(workspace=workspace, process=process, kpis=kpis, start=start, end=end,
                             calendar=_calendar(working_hours, holiday), sla_hours=sla_hours,
                             exceptions=not no_exceptions, **engine_options(engine, spark_master, spark_data))
        data = result.to_dict()
        if format is Format.table:
            several = len({r["process"] for r in data}) > 1
            _table([{"kpi": r["kpi"], **({"process": r["process"]} if several else {}), "value": _g(r["value"]),
                     "unit": r["unit"], "n": r["n"]} for r in data], "KPIs")
            return
        emit(data, format, data, title="KPIs")

    baseline = typer.Typer(help="Save, list and delete KPI baselines.", no_args_is_help=True)
    app.add_typer(baseline, name="baseline")

    @baseline.command("save")
    def baseline_save(name: str, process: ProcessOpt = None, kpis: KpisOpt = None, start: FromOpt = None,
                      end: ToOpt = None, sla_hours: SlaOpt = None, working_hours: WorkingOpt = None,
                      holiday: HolidayOpt = None, no_exceptions: NoExcOpt = False,
                      replace: Annotated[bool, typer.Option("--replace", help="Overwrite a baseline of this name.")] = False,
                      workspace: WorkspaceOpt = None, engine: EngineOpt = None,
                      spark_master: SparkMasterOpt = None, spark_data: SparkDataOpt = None,
                      format: FormatOpt = Format.table) -> None:
        """Store KPI values, data window, definitions' hash and per-case samples as baseline NAME."""
        info = api.baseline_save(name, workspace=workspace, process=process, kpis=kpis, start=start, end=end,
                                 calendar=_calendar(working_hours, holiday), sla_hours=sla_hours,
                                 exceptions=not no_exceptions, replace=replace,
                                 **engine_options(engine, spark_master, spark_data))
        emit(info.to_dict(), format, title="baseline saved")

    @baseline.command("list")
    def baseline_list(workspace: WorkspaceOpt = None, format: FormatOpt = Format.table) -> None:
        """Saved baselines."""
        data = [b.to_dict() for b in api.baselines(workspace=workspace)]
        emit(data, format, data, title="baselines")

    @baseline.command("delete")
    def baseline_delete(name: str, workspace: WorkspaceOpt = None) -> None:
        """Delete baseline NAME."""
        api.baseline_delete(name, workspace=workspace)
        err.print(f"deleted baseline {name}", highlight=False)

    @app.command()
    def compare(name: Annotated[str | None, typer.Argument(help="Baseline to compare current data with.")] = None,
                before: Annotated[str | None, typer.Option("--before", help="Window A..B (ISO dates).")] = None,
                after: Annotated[str | None, typer.Option("--after", help="Window C..D (ISO dates).")] = None,
                start: FromOpt = None, end: ToOpt = None, process: ProcessOpt = None, kpis: KpisOpt = None,
                sla_hours: SlaOpt = None, working_hours: WorkingOpt = None, holiday: HolidayOpt = None,
                no_exceptions: NoExcOpt = False,
                alpha: Annotated[float, typer.Option(help="False discovery rate (Benjamini-Hochberg).")] = 0.05,
                workspace: WorkspaceOpt = None, engine: EngineOpt = None, spark_master: SparkMasterOpt = None,
                spark_data: SparkDataOpt = None, format: FormatOpt = Format.table) -> None:
        """Baseline NAME vs current data, or --before A..B vs --after C..D: change, 95% CI, p-value, verdict."""
        result = api.compare(workspace=workspace, baseline=name, before=before, after=after, start=start, end=end,
                             process=process, kpis=kpis, calendar=_calendar(working_hours, holiday),
                             sla_hours=sla_hours, exceptions=not no_exceptions, alpha=alpha,
                             **engine_options(engine, spark_master, spark_data))
        data = result.to_dict()
        if format is Format.table:
            several = len({r["process"] for r in data}) > 1
            _table([{"kpi": r["kpi"], **({"process": r["process"]} if several else {}), "before": _g(r["before"]),
                     "after": _g(r["after"]), "change": _g(r["change"]),
                     "95% CI": "" if r["ci_low"] is None else f"{_g(r['ci_low'])}..{_g(r['ci_high'])}",
                     "q": _g(r["q_value"]), "verdict": r["verdict"]} for r in data],
                   f"{result.before} -> {result.after} (q: Benjamini-Hochberg adjusted p)")
            return
        emit(data, format, data, title=f"{result.before} -> {result.after}")

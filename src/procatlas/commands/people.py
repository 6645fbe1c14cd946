"""`procatlas people` and `procatlas watering-holes`: who does the work, where groups meet informally."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from procatlas import api
from procatlas.clikit import (EngineOpt, Format, FormatOpt, SparkDataOpt, SparkMasterOpt, WorkspaceOpt, emit,
                              engine_options, err, out)


class Level(str, Enum):
    person = "person"
    group = "group"


class Missing(str, Enum):
    skip = "skip"
    unknown = "unknown"
    brk = "break"


def _r(v):
    return round(v, 3) if isinstance(v, float) else v


def people(
    process: Annotated[str | None, typer.Option("--process", "-p", help="Process (object type); default: all.")] = None,
    level: Annotated[Level, typer.Option(help="person or group.")] = Level.person,
    missing: Annotated[Missing, typer.Option(help="Events without a resource: skip, unknown (an actor), break.")] = Missing.skip,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for stats.csv, matrix.csv, workload.csv, handover.csv/.svg.")] = None,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_data: SparkDataOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """People or groups at work: events, cases, activities, active days, cross-group share, handovers."""
    report, files = api.people(workspace=workspace, process=process, level=level.value, missing=missing.value,
                               out=out_dir, **engine_options(engine, spark_master, spark_data))
    data = report.to_dict()
    rows = [{k: _r(v) for k, v in r.items() if k not in ("first", "last")} for r in data["stats"]]
    if format is Format.table:
        roles = data["roles"]
        out.print(f"[bold]{report.process or 'all processes'}[/bold]: {len(rows)} {level.value}s, "
                  f"{report.events_without_resource:,} events without a resource ({missing.value}); "
                  f"{report.handover.edges.num_rows} handover pairs"
                  + (f"; {roles['k']} discovered roles, adjusted Rand vs groups {roles['adjusted_rand']:.2f}"
                     if roles and roles["adjusted_rand"] is not None else ""), highlight=False)
    if format is Format.json:
        data["files"] = files
    emit(data, format, rows, title=f"{level.value}s")
    if format is Format.table:
        for name, path in files.items():
            err.print(f"wrote {path}", highlight=False)


def watering_holes(
    top: Annotated[int, typer.Option(help="At most this many watering holes.")] = 5,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for people.svg (groups as colours).")] = None,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_data: SparkDataOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Venues or recurring groups where people of different groups meet outside the formal handovers."""
    result = api.watering_holes(workspace=workspace, top=top, out=out_dir,
                                **engine_options(engine, spark_master, spark_data))
    data = result.to_dict()
    rows = [{"venue": h["venue"], "kind": h["kind"], "groups": ", ".join(h["groups"]), "people": len(h["people"]),
             "messages": h["messages"], "weeks": h["weeks_active"], "informal": h["informal_share"],
             "cases": h["cases"], "score": h["score"]} for h in data["watering_holes"]]
    if format is Format.table:
        out.print(f"{len(rows)} watering holes among {data['candidates']:,} candidates "
                  f"({data['messages']:,} messages)", highlight=False)
    emit(data, format, rows, title="watering holes")
    if format is Format.table:
        for h in data["watering_holes"]:
            out.print(f"[bold]{h['venue']}[/bold]: {h['explanation']}", highlight=False)
        if data["brokers"]:
            out.print("brokers: " + ", ".join(f"{b['person']} ({b['group']}, cross-group betweenness "
                                              f"{b['cross_group_betweenness']:.3f})" for b in data["brokers"][:3]),
                      highlight=False)
        if out_dir is not None:
            err.print(f"wrote {Path(out_dir) / 'people.svg'}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("people")(people)
    app.command("watering-holes")(watering_holes)

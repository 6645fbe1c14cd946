"""`procatlas processes|catalog|triggers|dependencies|link-posts`: the process inventory and what drives it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from procatlas import api
from procatlas.clikit import (EngineOpt, Format, FormatOpt, SparkDataOpt, SparkMasterOpt, WorkspaceOpt, emit,
                              engine_options, err, out)


def _r(v):
    return round(v, 3) if isinstance(v, float) else v


def processes(workspace: WorkspaceOpt = None, engine: EngineOpt = None, spark_master: SparkMasterOpt = None,
              spark_data: SparkDataOpt = None, format: FormatOpt = Format.table) -> None:
    """Every object type with events as a process candidate: role, volume, start/end, duration, people."""
    inv = api.processes(workspace=workspace, **engine_options(engine, spark_master, spark_data))
    emit(inv.to_dict(), format, [{k: _r(v) for k, v in r.items()} for r in inv.rows()], title="process candidates")


def catalog(
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the catalog to FILE.md or FILE.csv.")] = None,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_data: SparkDataOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """The event catalog: one row per activity (process, frequency, position, people, trigger, neighbours)."""
    result = api.catalog(workspace=workspace, out=out_file, **engine_options(engine, spark_master, spark_data))
    rows = result.rows()
    if format is Format.table:
        rows = [{k: r[k] for k in ("process", "activity", "events", "cases", "position", "trigger", "before", "after")}
                for r in rows]
    emit(result.to_dict(), format, rows, title="event catalog")
    if out_file is not None and format is Format.table:
        err.print(f"wrote {out_file}", highlight=False)


def triggers(
    process: Annotated[str | None, typer.Option("--process", "-p", help="Only this process (object type).")] = None,
    timezone: Annotated[str, typer.Option(help="Zone of the schedule tests' hours (IANA name).")] = "UTC",
    max_lag: Annotated[float, typer.Option(help="Longest lag (hours) for a preceding process step to count.")] = 72.0,
    min_share: Annotated[float, typer.Option(help="Leave out triggers below this share of cases (0-1).")] = 0.0,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_data: SparkDataOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """What starts each process's cases: external channel, another process, a schedule, a person."""
    result = api.triggers(workspace=workspace, process=process, timezone=timezone, max_lag_s=max_lag * 3600,
                          min_share=min_share, **engine_options(engine, spark_master, spark_data))
    if format is Format.json:
        emit([t.to_dict() for t in result.triggers], format)
        return
    emit(result.to_dict(), format, result.rows(), title="triggers")


def dependencies(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for ocdfg.svg, ocdfg.csv, relations.csv, dependencies.csv.")] = None,
    within: Annotated[bool, typer.Option(help="Also list hand-overs between documents of one process.")] = True,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_data: SparkDataOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Cross-process dependencies with lags, relation cardinalities, synchronisation points, OC-DFG."""
    result = api.dependencies(workspace=workspace, out=out_dir, include_within=within,
                              **engine_options(engine, spark_master, spark_data))
    rows = [{k: _r(v) for k, v in r.items()} for r in result.rows()]
    emit(result.to_dict(), format, rows, title="dependencies")
    if format is Format.table:
        rel = [{"source": r.source_type, "target": r.target_type, "qualifier": r.qualifier, "links": r.links,
                "cardinality": r.cardinality} for r in result.relations]
        if rel:
            emit({}, format, rel, title="object relations")
        sync = [{"activity": s.activity, "events": s.events, "sync_median_h": _r((s.sync_median_s or 0) / 3600),
                 "waits_most_for": max(s.sides, key=lambda x: x.last_share).object_type} for s in result.sync_points]
        if sync:
            emit({}, format, sync, title="synchronisation points")
        if out_dir is not None:
            err.print(f"wrote {out_dir}/ocdfg.svg and the tables", highlight=False)


def link_posts(
    target: Annotated[str | None, typer.Option(help="Object type of the cases posts start (e.g. complaint).")] = None,
    own_account: Annotated[list[str] | None, typer.Option(help="The care team's account (repeatable; detected when omitted).")] = None,
    write: Annotated[bool, typer.Option(help="Add linked object ids to the posts' case references.")] = False,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Link social posts to objects: ids in the text, then time near a TARGET case start; first response."""
    result = api.link_posts(workspace=workspace, target=target, own_accounts=own_account, write=write)
    data = result.to_dict()
    if format is Format.table:
        out.print(f"{data['posts']:,} posts: {data['linked']:,} linked, {data['unlinked']:,} unlinked; "
                  f"first response median {_r((data['first_response_median_s'] or 0) / 3600)} h "
                  f"({data['responded']:,} answered)", highlight=False)
        emit(data, format, [{"rule": r["rule"], "posts": r["posts"]} for r in data["by_rule"]], title="linked by rule")
        return
    emit(data, format, list(result.links))


def register(app: typer.Typer) -> None:
    app.command()(processes)
    app.command()(catalog)
    app.command()(triggers)
    app.command()(dependencies)
    app.command("link-posts")(link_posts)

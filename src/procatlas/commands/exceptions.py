"""`procatlas exceptions` and `procatlas hotspots`: exceptions per case and where they pile up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from procatlas import api
from procatlas.clikit import (EngineOpt, Format, FormatOpt, SparkDataOpt, SparkMasterOpt, WorkspaceOpt, emit,
                              engine_options, err)

ProcessOpt = Annotated[str, typer.Option("--process", "-p", help="Process (object type) name.")]
ModelOpt = Annotated[Path | None, typer.Option("--model", help="Normative model (.pnml or .bpmn) for conformance.")]


def register(app: typer.Typer) -> None:
    @app.command()
    def exceptions(process: ProcessOpt, workspace: WorkspaceOpt = None, model: ModelOpt = None,
                   limit: Annotated[int | None, typer.Option(help="Rows to show (default all).")] = None,
                   engine: EngineOpt = None, spark_master: SparkMasterOpt = None, spark_data: SparkDataOpt = None,
                   format: FormatOpt = Format.table) -> None:
        """Exceptions of every case: rework, skipped steps, order violations, conformance, ..."""
        result = api.exceptions(process=process, workspace=workspace, model=model,
                                **engine_options(engine, spark_master, spark_data))
        data = result.to_dict(limit=limit)
        rows = [{k: r[k] for k in ("case_id", "type", "location", "resource", "group", "time", "delay_s",
                                   "explanation")} for r in data["rows"]]
        if format is Format.table:
            rows = [{"type": t, **c} for t, c in data["counts"].items()] if limit is None else rows
        emit(data, format, rows, title=f"exceptions of {process}")
        if format is Format.table:
            if result.conformance:
                c = result.conformance
                err.print(f"fitness (alignments against {c.model}): log {c.log_fitness}, "
                          f"average trace {c.average_trace_fitness}", highlight=False)
            for note in result.notes:
                err.print(f"[dim]note:[/dim] {note}", highlight=False)

    @app.command()
    def hotspots(process: ProcessOpt, workspace: WorkspaceOpt = None, model: ModelOpt = None,
                 top: Annotated[int, typer.Option(help="Hot spots to show.")] = 10,
                 out: Annotated[Path | None, typer.Option(help="Also write heatmap.svg into this folder.")] = None,
                 engine: EngineOpt = None, spark_master: SparkMasterOpt = None, spark_data: SparkDataOpt = None,
                 format: FormatOpt = Format.table) -> None:
        """Hot spots: where two or more exception types co-occur more than chance explains."""
        result = api.hotspots(process=process, workspace=workspace, model=model, out=out,
                              **engine_options(engine, spark_master, spark_data))
        data = result.to_dict(top=top)
        rows = [{"location": f"{h['location']['kind']}: {h['location']['value']}",
                 "exception_types": ", ".join(h["exception_types"]), "cases": h["cases"],
                 "lift": h["lift"], "p_value": f"{h['p_value']:.1e}", "impact_hours": h["impact_hours"],
                 "examples": ", ".join(h["example_cases"][:3])} for h in data["hotspots"]]
        emit(data, format, rows, title=f"hot spots of {process}")
        if format is Format.table:
            for note in result.notes:
                err.print(f"[dim]note:[/dim] {note}", highlight=False)
            if out is not None:
                err.print(f"wrote {out / 'heatmap.svg'}", highlight=False)

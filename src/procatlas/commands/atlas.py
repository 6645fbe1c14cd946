"""`procatlas atlas` (files -> workspace -> every analysis -> atlas.html) and `procatlas serve` (web app)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from procatlas.clikit import (EngineOpt, Format, FormatOpt, SparkDataOpt, SparkMasterOpt, WorkspaceOpt, emit,
                              engine_options, err, out)
from procatlas.errors import InputError


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (the only hosts served without a token)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    @app.command()
    def atlas(
        files: Annotated[list[Path] | None, typer.Argument(
            help="Event, message, people and post files; none: use the workspace as it is.")] = None,
        workspace: WorkspaceOpt = None,
        out_dir: Annotated[Path, typer.Option("--out", help="Folder for atlas.html and the artifacts.")] = Path("atlas-out"),
        process: Annotated[list[str] | None, typer.Option(help="Only these processes (repeatable).")] = None,
        title: Annotated[str, typer.Option(help="Title of the report.")] = "Process atlas",
        format: FormatOpt = Format.table,
        engine: EngineOpt = None, spark_master: SparkMasterOpt = None, spark_data: SparkDataOpt = None,
    ) -> None:
        """Ingest files (unchanged ones are skipped), run every analysis and write DIR/atlas.html with
        maps, models (BPMN, PNML, SVG), variants, DFG, heat maps and catalog.md (--engine spark: the
        analyses on Spark, see docs/scale.md)."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from procatlas.atlas import build_atlas
        with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=False, disable=not err.is_terminal) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            report = build_atlas(list(files or ()), workspace=workspace, out=out_dir, progress=progress,
                                 processes=process or None, title=title,
                                 **engine_options(engine, spark_master, spark_data))
        data = report.to_dict()
        if format is not Format.table:
            emit(data, format, [{"process": p, **{k: v for k, v in d.items() if k not in ("files", "notes")}}
                                for p, d in data["processes"].items()])
            return
        info = data["info"]
        new = sum(1 for s in data["ingest"]["sources"] if not s["skipped"])
        reused = len(data["ingest"]["sources"]) - new
        out.print(f"[bold]Workspace[/bold] {data['workspace']}: {info['events']:,} events, "
                  f"{len(info['processes'])} processes, {info['rejected']:,} rejected rows "
                  f"({new} file(s) ingested, {reused} unchanged)", highlight=False)
        rows = [{"process": p, "cases": d["cases"], "events": d["events"], "variants": d["variants"],
                 "exceptions": d["exceptions"], "hot spots": d["hotspots"]} for p, d in data["processes"].items()]
        emit(data, format, rows, title="processes in the atlas")
        for note in data["notes"]:
            err.print(f"[dim]note:[/dim] {note}", highlight=False)
        out.print(f"[bold]Atlas[/bold] {data['html']} ({data['html_bytes'] / 1e6:.1f} MB, "
                  f"{data['seconds']['total']:.1f} s); artifacts per process in {Path(data['out']) / 'discovery'}",
                  highlight=False)

    @app.command()
    def serve(
        workspace: WorkspaceOpt = None,
        host: Annotated[str, typer.Option(help="Interface to bind; anything but loopback needs --token.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
        token: Annotated[str | None, typer.Option(envvar="PROCATLAS_TOKEN",
                                                  help="Require this token (Bearer header or ?token=).")] = None,
        engine: EngineOpt = None, spark_master: SparkMasterOpt = None, spark_data: SparkDataOpt = None,
    ) -> None:
        """Serve the atlas of a workspace as a local web app (read-only; JSON twins under /api)."""
        import uvicorn

        from procatlas.web.app import create_app
        from procatlas.workspace.core import resolve_path
        if not is_loopback(host) and not token:
            raise InputError(f"--host {host} is reachable from other machines; give --token to serve there")
        path = resolve_path(workspace)
        if not path.exists():
            raise InputError(f"{path}: no workspace here; run `procatlas atlas FILE` or `procatlas ingest FILE` first")
        err.print(f"procatlas serving {path} on http://{host}:{port}/ (read-only; Ctrl-C stops)", highlight=False)
        app = create_app(path, token=token, warm=True, **engine_options(engine, spark_master, spark_data))
        uvicorn.run(app, host=host, port=port, log_level="warning")

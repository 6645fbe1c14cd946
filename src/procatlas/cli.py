"""The `procatlas` command: parse options, call procatlas.api, format the result."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from procatlas import api
from procatlas.errors import AtlasError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Map how an organisation really works from its event data.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", envvar="PROCATLAS_WORKSPACE",
                                                    help="Workspace file (default ./atlas.duckdb).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _emit(data: Any, fmt: Format, rows: list[dict] | None = None, title: str | None = None) -> None:
    """Print ``data`` as JSON, or ``rows`` as a table / CSV."""
    if fmt is Format.json:
        out.print_json(json.dumps(data, default=str), highlight=False)
        return
    rows = rows if rows is not None else [data]
    if fmt is Format.csv:
        buf = io.StringIO()
        if rows:
            writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title, show_edge=False, header_style="bold")
    for key in (rows[0] if rows else {}):
        table.add_column(key, justify="right" if rows and isinstance(rows[0][key], int) else "left")
    for row in rows:
        table.add_row(*("" if v is None else f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)
                        for v in row.values()))
    out.print(table)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Event files: .xes(.gz|.zip), .csv(.gz), .parquet, OCEL.")],
    workspace: WorkspaceOpt = None,
    process: Annotated[str | None, typer.Option(help="Process (object type) name; default: file stem.")] = None,
    case: Annotated[str | None, typer.Option(help="Case id column.")] = None,
    activity: Annotated[str | None, typer.Option(help="Activity column.")] = None,
    timestamp: Annotated[str | None, typer.Option(help="(Completion) timestamp column.")] = None,
    start_timestamp: Annotated[str | None, typer.Option(help="Start timestamp column.")] = None,
    resource: Annotated[str | None, typer.Option(help="Resource column.")] = None,
    group: Annotated[str | None, typer.Option(help="Group/department column.")] = None,
    lifecycle: Annotated[str | None, typer.Option(help="Lifecycle transition column.")] = None,
    timezone: Annotated[str, typer.Option(help="Zone of timestamps without offset (IANA name).")] = "UTC",
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter (detected when omitted).")] = None,
    format: FormatOpt = Format.table,
) -> None:
    """Read event files into the workspace (one transaction per file)."""
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def progress(path: str, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(Path(path).name, total=total)
            bar.update(tasks[path], completed=done)

        report = api.ingest(files, workspace=workspace, process=process, case=case, activity=activity,
                            timestamp=timestamp, start_timestamp=start_timestamp, resource=resource,
                            group=group, lifecycle=lifecycle, timezone=timezone, delimiter=delimiter,
                            progress=progress)
    data = report.to_dict()
    rows = [{"file": Path(s["path"]).name, "process": s["process"] or "(object-centric)",
             "events": s["events"], "objects": s["objects"], "rejected": s["rejected"],
             "status": "unchanged (already ingested)" if s["skipped"] else "ingested"}
            for s in data["sources"]]
    _emit(data, format, rows)
    if format is Format.table:
        for s in report.sources:
            for note in s.notes:
                err.print(f"[dim]{Path(s.path).name}:[/dim] {note}", highlight=False)


@app.command()
def info(workspace: WorkspaceOpt = None, format: FormatOpt = Format.table) -> None:
    """What the workspace holds: events, objects, processes, sources, rejects."""
    result = api.info(workspace=workspace)
    data = result.to_dict()
    if format is Format.table:
        span = f"{data['first']} .. {data['last']}" if data["first"] else "empty"
        out.print(f"[bold]{data['workspace']}[/bold]: {data['events']:,} events, {data['objects']:,} objects, "
                  f"{data['activities']:,} activities, {data['rejected']:,} rejected rows; {span}",
                  highlight=False)
    _emit(data, format, [dict(p) for p in data["processes"]], title="processes")


@app.command()
def rejects(workspace: WorkspaceOpt = None, format: FormatOpt = Format.table,
            source: Annotated[int | None, typer.Option(help="Only this source id.")] = None,
            limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100) -> None:
    """Rows that could not be stored, with file, line/row and reason."""
    rows = api.rejects(workspace=workspace, source=source, limit=limit)
    _emit({"rejects": rows}, format, rows)


@app.command()
def export(
    to: Annotated[Path, typer.Option("--to", help="Target: .xes, .xes.gz, .csv, .parquet; OCEL 2.0 .json/.sqlite.")],
    process: Annotated[str | None, typer.Option(help="Process to export (case-centric formats).")] = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Write a process, or the whole workspace as OCEL 2.0, to a file."""
    result = api.export(workspace=workspace, process=process, to=to)
    _emit(result, format)


def _fail(message: str, code: int) -> None:
    """One unwrapped line on stderr, then exit (rich would wrap long paths)."""
    print(" ".join(message.split()), file=sys.stderr)
    sys.exit(code)


def main() -> None:
    """Entry point: user mistakes are one line and exit 2; bugs exit 1 (traceback with PROCATLAS_DEBUG=1)."""
    try:
        app(standalone_mode=False)
    except AtlasError as exc:
        _fail(f"error: {exc}", exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except (typer.BadParameter, typer.Abort) as exc:  # pragma: no cover - click formats these
        _fail(f"error: {exc}", 2)
    except KeyboardInterrupt:
        _fail("interrupted; the workspace is unchanged by the unfinished step", 130)
    except Exception as exc:  # noqa: BLE001 - last line of defence
        import click
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("PROCATLAS_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set PROCATLAS_DEBUG=1 for the traceback)", 1)


if __name__ == "__main__":
    main()

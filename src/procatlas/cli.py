"""The `procatlas` command: parse options, call procatlas.api, format the result."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from procatlas import api
from procatlas.clikit import (EngineOpt, Format, FormatOpt, SparkDataOpt, SparkMasterOpt, WorkspaceOpt, emit,
                              engine_options, err, out)
from procatlas.commands import register_all
from procatlas.errors import AtlasError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Map how an organisation really works from its event data.")


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
    timestamp_format: Annotated[str | None, typer.Option(
        help="strptime format of text timestamps, e.g. '%d/%m/%Y %H:%M' (detected when omitted).")] = None,
    as_: Annotated[str | None, typer.Option("--as", help="What the file holds: events|messages|people|posts (detected when omitted).")] = None,
    case_pattern: Annotated[list[str] | None, typer.Option(help="Regex finding case references in message subjects/text (repeatable).")] = None,
    format: FormatOpt = Format.table,
) -> None:
    """Read event files (or messages, people, posts with --as) into the workspace (one transaction per file)."""
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def progress(path: str, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(Path(path).name, total=total)
            bar.update(tasks[path], completed=done)

        report = api.ingest(files, workspace=workspace, process=process, case=case, activity=activity,
                            timestamp=timestamp, start_timestamp=start_timestamp, resource=resource,
                            group=group, lifecycle=lifecycle, timezone=timezone, delimiter=delimiter,
                            timestamp_format=timestamp_format, as_=as_, case_patterns=tuple(case_pattern or ()),
                            progress=progress)
    data = report.to_dict()
    from procatlas.io.readers import MESSAGE_FORMATS, PEOPLE_FORMATS
    rows = [{"file": Path(s["path"]).name,
             "process": s["process"] or ("(messages)" if s["format"] in MESSAGE_FORMATS else
                                         "(people)" if s["format"] in PEOPLE_FORMATS else "(object-centric)"),
             "events": s["events"], "objects": s["objects"], "rejected": s["rejected"],
             "status": "unchanged (already ingested)" if s["skipped"] else "ingested"}
            for s in data["sources"]]
    emit(data, format, rows)
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
    emit(data, format, [dict(p) for p in data["processes"]], title="processes")


@app.command()
def rejects(workspace: WorkspaceOpt = None, format: FormatOpt = Format.table,
            source: Annotated[int | None, typer.Option(help="Only this source id.")] = None,
            limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100) -> None:
    """Rows that could not be stored, with file, line/row and reason."""
    rows = api.rejects(workspace=workspace, source=source, limit=limit)
    emit({"rejects": rows}, format, rows)


@app.command()
def export(
    to: Annotated[Path | None, typer.Option("--to", help="Target: .xes, .xes.gz, .csv, .parquet; OCEL 2.0 .json/.sqlite.")] = None,
    process: Annotated[str | None, typer.Option(help="Process to export (case-centric formats).")] = None,
    parquet_dir: Annotated[Path | None, typer.Option(
        "--parquet-dir", help="Write the workspace's tables as Parquet (by process and month) for Spark.")] = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Write a process, or the whole workspace as OCEL 2.0, to a file (or as Parquet tables for Spark)."""
    result = api.export(workspace=workspace, process=process, to=to, parquet_dir=parquet_dir)
    emit(result, format, [{k: (", ".join(v) if isinstance(v, list) else v) for k, v in result.items()}])


class View(str, Enum):
    frequency = "frequency"
    performance = "performance"


def _attr_filters(specs: list[str] | None, what: str) -> dict[str, list[str]]:
    """``KEY=V1,V2`` (repeatable) -> {KEY: [V1, V2]}."""
    from procatlas.errors import InputError
    found: dict[str, list[str]] = {}
    for spec in specs or []:
        key, sep, values = spec.partition("=")
        if not sep or not key:
            raise InputError(f"{what} filter must look like NAME=VALUE[,VALUE...], not {spec!r}")
        found.setdefault(key, []).extend(v for v in values.split(","))
    return found


def _duration(text: str | None) -> float | None:
    """'90', '90s', '15m', '4h', '2d' -> seconds."""
    from procatlas.errors import InputError
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    t = text.strip().lower()
    try:
        return float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        raise InputError(f"not a duration: {text!r} (use seconds or 15m, 4h, 2d)") from None


@app.command()
def discover(
    process: Annotated[str, typer.Option("--process", "-p", help="Process (object type) to discover.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for map.svg, model.bpmn/.pnml/.svg, variants.csv, dfg.csv.")] = None,
    activities: Annotated[float, typer.Option(help="Percent of activities kept on the map (0-100).")] = 100.0,
    paths: Annotated[float, typer.Option(help="Percent of paths kept on the map (0-100).")] = 100.0,
    view: Annotated[View, typer.Option(help="Map view.")] = View.frequency,
    measure: Annotated[str | None, typer.Option(help="absolute|case (frequency), mean|median|p90|max (performance).")] = None,
    noise: Annotated[float, typer.Option(help="Noise threshold of the Inductive Miner infrequent.")] = 0.2,
    start: Annotated[str | None, typer.Option(help="Time window start (ISO date/time, UTC if naive).")] = None,
    end: Annotated[str | None, typer.Option(help="Time window end (ISO date/time, UTC if naive).")] = None,
    time_mode: Annotated[str, typer.Option(help="intersecting|contained|started|completed|trim.")] = "intersecting",
    case_attr: Annotated[list[str] | None, typer.Option(help="Keep cases with NAME=V1,V2 (repeatable).")] = None,
    event_attr: Annotated[list[str] | None, typer.Option(help="Keep events with NAME=V1,V2 (repeatable).")] = None,
    with_activity: Annotated[list[str] | None, typer.Option(help="Keep cases containing this activity (repeatable: any).")] = None,
    without_activity: Annotated[list[str] | None, typer.Option(help="Drop cases containing this activity (repeatable).")] = None,
    min_duration: Annotated[str | None, typer.Option(help="Minimum case duration (seconds or 15m, 4h, 2d).")] = None,
    max_duration: Annotated[str | None, typer.Option(help="Maximum case duration.")] = None,
    top_variants: Annotated[int | None, typer.Option(help="Keep the cases of the k most frequent variants.")] = None,
    min_variant_share: Annotated[float | None, typer.Option(help="Keep variants with at least this share of cases (0-1).")] = None,
    workspace: WorkspaceOpt = None,
    engine: EngineOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_data: SparkDataOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Discover a process: map, variants, DFG and process models (IMf), optionally filtered."""
    from procatlas.errors import InputError
    for name, pct in (("--activities", activities), ("--paths", paths)):
        if not 0 <= pct <= 100:
            raise InputError(f"{name} is a percentage between 0 and 100, not {pct:g}")
    result, files = api.discover(
        process=process, workspace=workspace, out=out_dir, activities=activities / 100, paths=paths / 100,
        view=view.value, measure=measure, noise=noise, start=start, end=end, time_mode=time_mode,
        case_attributes=_attr_filters(case_attr, "case attribute"),
        event_attributes=_attr_filters(event_attr, "event attribute"),
        with_activities=with_activity or (), without_activities=without_activity or (),
        min_duration=_duration(min_duration), max_duration=_duration(max_duration),
        top_variants=top_variants, min_variant_share=min_variant_share,
        **engine_options(engine, spark_master, spark_data))
    data = result.to_dict(files)
    if format is Format.table:
        out.print(
            f"[bold]{data['process']}[/bold]: {data['cases']:,} cases, {data['events']:,} events, "
            f"{data['variants']:,} variants, {len(data['activities'])} activities, {len(data['dfg'])} paths",
            highlight=False)
    rows = [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()} for r in data["dfg"]]
    emit(data, format, rows, title="directly-follows paths")
    if format is Format.table:
        for name, path in files.items():
            if name == "missing":
                err.print(f"not written (model writer not available yet): {', '.join(path)}", highlight=False)
            else:
                err.print(f"wrote {path}", highlight=False)


@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the company's records into.")],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 7,
    cases: Annotated[int, typer.Option(help="Top-level cases (requisitions, sales orders, complaints).")] = 2000,
    start: Annotated[str, typer.Option(help="First day (YYYY-MM-DD).")] = "2025-01-06",
    months: Annotated[int, typer.Option(help="Months simulated.")] = 6,
    parquet: Annotated[bool, typer.Option(help="Also write events.parquet.")] = False,
    format: FormatOpt = Format.table,
) -> None:
    """Simulate the demo company: OCEL 2.0, CSV per process, messages, posts, people, ground truth."""
    import datetime as dt

    from procatlas.errors import InputError
    from procatlas.simulate import simulate as run
    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        raise InputError(f"--start must be a date like 2025-01-06, not {start!r}") from None
    formats = ("ocel-json", "csv", "parquet") if parquet else ("ocel-json", "csv")
    with err.status("simulating the company"):
        report = run(out_dir, seed=seed, cases=cases, start=first, months=months, formats=formats)
    data = report.to_dict()
    rows = [{"file": name, "path": path} for name, path in data["files"].items()]
    emit(data, format, rows, title=f"{data['events']:,} events, {data['messages']:,} messages, "
                                    f"{data['posts']:,} posts, {data['people']} people")


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo's data, workspace and results.")] = Path("demo-out"),
    seed: Annotated[int, typer.Option(help="Random seed of the simulated company.")] = 7,
    cases: Annotated[int, typer.Option(help="Top-level cases to simulate.")] = 2000,
    format: FormatOpt = Format.table,
) -> None:
    """Simulate the demo company, ingest it and run every analysis; print where the results are."""
    from procatlas.demo import run_demo
    with err.status("demo") as status:
        report = run_demo(out_dir, seed=seed, cases=cases, stage=lambda name: status.update(name))
    data = report.to_dict()
    if format is not Format.table:
        emit(data, format, [{"process": p, **{k: v for k, v in d.items() if k != "files"}}
                             for p, d in data["discovery"].items()])
        return
    sim, info = data["simulation"], data["info"]
    out.print(f"[bold]Demo company[/bold]: {sim['events']:,} events, {sim['messages']:,} messages, "
              f"{sim['posts']:,} social posts, {sim['people']} people -> {data['data']}", highlight=False)
    out.print(f"[bold]Workspace[/bold] {data['workspace']}: {info['events']:,} events, {info['objects']:,} objects, "
              f"{len(info['processes'])} processes, {info['rejected']} rejected rows", highlight=False)
    rows = [{"process": p, "cases": d["cases"], "events": d["events"], "variants": d["variants"]}
            for p, d in data["discovery"].items()]
    emit(data, format, rows, title="discovered processes")
    if data["discovery"]:
        out.print(f"Maps, models (BPMN, PNML, SVG), variants and DFG per process: {Path(data['out']) / 'discovery'}",
                  highlight=False)
    if data.get("atlas"):
        out.print(f"[bold]Atlas[/bold] (open in a browser, works offline): {data['atlas']}", highlight=False)
    out.print(f"Ground truth of what was planted: {Path(data['data']) / 'ground_truth.json'}", highlight=False)
    out.print(f"Query the workspace: duckdb {data['workspace']}", highlight=False)


register_all(app)


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
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors, as typer raises them
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("PROCATLAS_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set PROCATLAS_DEBUG=1 for the traceback)", 1)


if __name__ == "__main__":
    main()

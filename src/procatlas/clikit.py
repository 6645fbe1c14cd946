"""What every CLI command shares: output formats, common options, printing, consoles."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


WorkspaceOpt = Annotated[Path | None, typer.Option("--workspace", "-w", envvar="PROCATLAS_WORKSPACE",
                                                    help="Workspace file (default ./atlas.duckdb).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


class EngineName(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


EngineOpt = Annotated[EngineName | None, typer.Option(
    "--engine", envvar="PROCATLAS_ENGINE", help="Query engine: duckdb (default) or spark (docs/scale.md).")]
SparkMasterOpt = Annotated[str | None, typer.Option(
    "--spark-master", envvar="PROCATLAS_SPARK_MASTER", help="Spark master: local[*] (default) or spark://host:port.")]
SparkDataOpt = Annotated[str | None, typer.Option(
    "--spark-data", envvar="PROCATLAS_SPARK_DATA",
    help="Spark input: a folder of `export --parquet-dir`, or catalog:DATABASE (default: export the workspace).")]


def engine_options(engine: EngineName | None, master: str | None, data: str | None) -> dict:
    """The api keywords of the --engine options."""
    return {"engine": engine.value if engine else None, "spark_master": master, "spark_data": data}


def emit(data: Any, fmt: Format, rows: list[dict] | None = None, title: str | None = None) -> None:
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

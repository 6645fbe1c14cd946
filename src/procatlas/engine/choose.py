"""Choosing the engine of an analysis: DuckDB (the workspace itself) or Spark (its Parquet export)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from procatlas.errors import InputError
from procatlas.workspace.core import Workspace

ENV_ENGINE = "PROCATLAS_ENGINE"
ENV_SPARK_DATA = "PROCATLAS_SPARK_DATA"
ENGINES = ("duckdb", "spark")
MANIFEST = "_procatlas.json"
# bumped when the export's layout changes, so exports written before are rewritten
# (2: an empty events table is an empty Parquet file, not an empty folder Spark cannot read)
EXPORT_LAYOUT = 2


def engine_name(engine: str | None = None) -> str:
    """``engine``, else ``$PROCATLAS_ENGINE``, else ``duckdb``; checked."""
    name = (engine or os.environ.get(ENV_ENGINE) or "duckdb").strip().lower()
    if name not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
    return name


def workspace_fingerprint(ws: Workspace) -> str:
    """Changes whenever a source is ingested or removed (and with the schema version and export layout)."""
    rows = ws.rows("SELECT source_id, sha256 FROM source ORDER BY source_id")
    text = json.dumps([ws.schema_version, EXPORT_LAYOUT, [list(r) for r in rows]])
    return hashlib.sha256(text.encode()).hexdigest()


def export_for_spark(ws: Workspace, folder: Path) -> dict:
    """Write the Parquet tables of ``ws`` under ``folder`` with a manifest (fingerprint, counts)."""
    from procatlas.workspace.export import export_parquet_dir
    result = export_parquet_dir(ws, folder)
    (Path(folder) / MANIFEST).write_text(json.dumps({"fingerprint": workspace_fingerprint(ws),
                                                     "workspace": str(ws.path), **result}, indent=1))
    return result


def parquet_for(ws: Workspace) -> Path:
    """The Parquet export of ``ws`` beside it (``atlas.duckdb`` -> ``atlas.duckdb.parquet/``),
    written when missing or older than the workspace's sources."""
    folder = (Path(tempfile.gettempdir()) / f"procatlas-{os.getpid()}-{id(ws)}.parquet"
              if str(ws.path) == ":memory:" else Path(str(ws.path) + ".parquet"))
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            if json.loads(manifest.read_text()).get("fingerprint") == workspace_fingerprint(ws):
                return folder
        except (OSError, ValueError):
            pass
    export_for_spark(ws, folder)
    return folder


def open_spark(workspace: Workspace | None, *, data: str | os.PathLike | None = None, master: str | None = None,
               process: str | None = None):
    """A :class:`~procatlas.engine.spark.SparkWorkspace` on ``data`` (a Parquet export folder or
    ``catalog:DATABASE``; default ``$PROCATLAS_SPARK_DATA``, else the export of ``workspace``)."""
    from procatlas.engine.spark import SparkWorkspace, require_pyspark
    require_pyspark()
    data = data or os.environ.get(ENV_SPARK_DATA)
    if data is None:
        if workspace is None:
            raise InputError("the Spark engine needs a workspace or a Parquet folder (--spark-data)")
        data = parquet_for(workspace)
    return SparkWorkspace(data, master=master, process=process)

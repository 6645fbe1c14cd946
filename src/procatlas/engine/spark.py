"""The Spark engine: the workspace's SQL choke point (execute/arrow/rows/scalar) on Apache Spark.

:class:`SparkWorkspace` reads the event tables that ``procatlas export --parquet-dir`` wrote (or
tables of a Spark catalogue database) and runs the same DuckDB-dialect statements as the
DuckDB workspace, translated by :mod:`procatlas.engine.dialect`.  Because it has the
workspace's interface, the analysis packages (discovery, exception detectors, KPI catalog,
handover networks) run on it unchanged:

- ``CREATE TEMP TABLE t AS SELECT ...`` becomes a temporary view of its result, computed at once and stored
  with its lineage cut (:func:`_materialised`);
- ``CREATE TEMP TABLE t (columns)`` an empty view with that schema;
- ``INSERT INTO t SELECT ...`` and ``DELETE FROM t WHERE ...`` replace the view of a temporary
  table by its union with the new rows / by the rows kept (temporary tables only);
- ``?`` parameters are bound by ``spark.sql(sql, args=[...])``; Arrow tables passed as
  ``register=`` become temporary views for the statement;
- ``SET ...`` (DuckDB session settings) and transactions are no-ops: Spark tables are read-only.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from procatlas.engine.duck import DuckDBEngine
from procatlas.errors import EngineError
from procatlas.workspace.core import SqlRows

ENV_MASTER = "PROCATLAS_SPARK_MASTER"
INSTALL_HINT = "pip install 'procatlas[spark]'"
# the tables of an export folder (procatlas.workspace.export.export_parquet_dir)
SMALL_TABLES = ("object_object", "object_change", "person", "message", "attribute_type", "source")
EVENT_COLUMNS = ("eid", "id", "source_id", "position", "activity", "timestamp", "lifecycle", "resource", "`group`",
                 "start_timestamp", "attributes")


class EngineMissing(EngineError):
    """The Spark engine was chosen but pyspark or Java is not installed (a setup mistake, exit 2)."""

    exit_code = 2


def require_pyspark():
    """The pyspark module, or a one-line error saying how to install it."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise EngineMissing(f"the Spark engine needs pyspark and sqlglot: {INSTALL_HINT}") from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineMissing("the Spark engine needs Java 17 or newer (e.g. apt-get install openjdk-17-jre-headless)")
    import pyspark
    return pyspark


_sessions: dict[str, Any] = {}
_session_lock = threading.Lock()


def spark_session(master: str | None = None):
    """A SparkSession for ``master`` (default ``$PROCATLAS_SPARK_MASTER``, else ``local[*]``), created once.

    Local sessions get few shuffle partitions (the summaries are small) and no web UI; on a
    cluster the cluster's own settings apply (spark-defaults.conf, ``--conf`` of spark-submit).
    """
    require_pyspark()
    from pyspark.sql import SparkSession
    master = master or os.environ.get(ENV_MASTER) or "local[*]"
    with _session_lock:
        if master in _sessions:
            return _sessions[master]
        builder = (SparkSession.builder.master(master).appName("procatlas")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                   .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
                   # the exception detectors fill one table by a dozen INSERTs (a union of as many
                   # parts, each with the plan of its query): inferring constraints through that
                   # union took minutes of planning, or the whole driver heap, for a few thousand rows
                   .config("spark.sql.constraintPropagation.enabled", "false"))
        if master.startswith("local"):
            cores = os.cpu_count() or 2
            builder = (builder.config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", str(max(2, 2 * cores)))
                       .config("spark.driver.memory", os.environ.get("PROCATLAS_SPARK_DRIVER_MEMORY", "4g")))
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - the JVM's many failure types
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EngineError(f"cannot start Spark ({master}): {first}") from None
        session.sparkContext.setLogLevel("ERROR")
        _sessions[master] = session
        return session


class _Result:
    """What :meth:`SparkWorkspace.execute` returns: the DataFrame of a query (None for commands)."""

    def __init__(self, df):
        self.df = df

    def fetchall(self) -> list[tuple]:
        return [tuple(r) for r in self.df.collect()] if self.df is not None else []

    def fetchone(self) -> tuple | None:
        if self.df is None:
            return None
        rows = self.df.take(1)
        return tuple(rows[0]) if rows else None


class SparkWorkspace(SqlRows):
    """A read-only workspace on Spark, with the :class:`~procatlas.workspace.core.Workspace` SQL interface.

    ``data``: a folder written by ``procatlas export --parquet-dir`` (local path, hdfs://, s3a://
    ...), or ``catalog:DATABASE`` for tables ``events``, ``objects``, ``person`` ... of a Spark
    catalogue.  ``process`` restricts the event views to that process's partitions.

    >>> ws = SparkWorkspace("atlas-parquet", master="local[2]")  # doctest: +SKIP
    >>> ws.process("bpic2012").dfg().table  # doctest: +SKIP
    """

    read_only = True

    def __init__(self, data: str | os.PathLike, *, master: str | None = None, process: str | None = None,
                 session=None):
        root = session or spark_session(master)
        # a session of its own: temporary views do not collide with other workspaces
        self.spark = root.newSession()
        self.data = str(data)
        self.path = Path(self.data) if not self.data.startswith("catalog:") else self.data
        self.process_filter = process
        self._lock = threading.RLock()
        self._temp: dict[str, Any] = {}
        self._trace = os.environ.get("PROCATLAS_TRACE_SQL", "") not in ("", "0")
        self._register_tables()

    # -- tables -------------------------------------------------------------------------------
    def _read(self, name: str):
        if self.data.startswith("catalog:"):
            return self.spark.table(f"{self.data.removeprefix('catalog:')}.{name}")
        path = f"{self.data.rstrip('/')}/{name}"
        if not self.data.startswith(("hdfs:", "s3a:", "s3:", "gs:", "abfs:", "file:")) and not Path(path).exists():
            raise EngineError(f"{self.data}: no table '{name}' here; write the folder with "
                              "`procatlas export --parquet-dir DIR`")
        reader = self.spark.read.option("basePath", path) if name == "events" else self.spark.read
        return reader.parquet(path)

    def _register_tables(self) -> None:
        events = self._read("events")
        objects = self._read("objects")
        if self.process_filter is not None:
            from pyspark.sql import functions as F
            events = events.where(F.col("process") == self.process_filter)
            objects = objects.where(F.col("type") == self.process_filter)
            first = "first_in_process"
        else:
            first = "first_link"
        events.createOrReplaceTempView("pa_events")
        objects.createOrReplaceTempView("object")
        self.spark.sql(f"SELECT {', '.join(EVENT_COLUMNS)} FROM pa_events WHERE {first}").createOrReplaceTempView("event")
        self.spark.sql("SELECT eid, oid, qualifier FROM pa_events WHERE oid IS NOT NULL").createOrReplaceTempView(
            "event_object")
        for name in SMALL_TABLES:
            self._read(name).createOrReplaceTempView(name)

    # -- the choke point ----------------------------------------------------------------------
    def execute(self, sql: str, params: list | tuple | None = None, register: dict[str, Any] | None = None) -> _Result:
        """Run one DuckDB-dialect statement on Spark (translated); queries return a lazy result."""
        from procatlas.engine import dialect
        from sqlglot import exp

        with self._lock:
            started = time.perf_counter()
            for name, table in (register or {}).items():
                self.spark.createDataFrame(_arrow_of(table)).createOrReplaceTempView(name)
            try:
                tree = dialect.parse(sql)
                return _Result(self._run(tree, list(params or []), exp, dialect))
            except EngineError:
                raise
            except Exception as exc:  # noqa: BLE001 - Spark's analysis and execution errors
                if type(exc).__module__.startswith(("pyspark", "py4j")):
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    raise EngineError(f"Spark failed: {first}") from exc
                raise
            finally:
                for name in register or {}:
                    self.spark.catalog.dropTempView(name)
                if self._trace:
                    ms = (time.perf_counter() - started) * 1000
                    print(f"[spark {ms:8.1f} ms] {' '.join(sql.split())[:400]}", file=sys.stderr)

    def _sql(self, tree, params: list, dialect):
        text = dialect.spark_sql(tree)
        return self.spark.sql(text, args=params) if params else self.spark.sql(text)

    def _run(self, tree, params: list, exp, dialect):
        if isinstance(tree, (exp.Set, exp.Transaction, exp.Commit, exp.Rollback)):
            return None
        if isinstance(tree, exp.Drop):
            for table in tree.args.get("tables") or [tree.this]:
                self._drop(table.name)
            return None
        if isinstance(tree, exp.Create):
            target = tree.this
            name = (target.this if isinstance(target, exp.Schema) else target).name
            if not _temporary(tree, exp):
                raise EngineError("the Spark engine is read-only: only temporary tables can be created")
            if tree.expression is not None:
                df = self._sql(tree.expression, params, dialect)
            else:
                schema = ", ".join(c.sql(dialect="spark") for c in target.expressions)
                df = self.spark.createDataFrame([], schema=schema)
            self._store(name, df)
            return None
        if isinstance(tree, exp.Insert):
            name = tree.this.name if not isinstance(tree.this, exp.Schema) else tree.this.this.name
            old = self._temporary_table(name)
            new = self._sql(tree.expression, params, dialect)
            renamed = new.toDF(*old.columns)
            rows = renamed.select(*[renamed[c].cast(t) for c, t in zip(old.columns, _types(old))])
            self._append(name, old, rows)
            return None
        if isinstance(tree, exp.Delete):
            name = tree.this.name
            old = self._temporary_table(name)
            cond = tree.args["where"].this
            keep = exp.select("*").from_(name).where(exp.Not(this=exp.Coalesce(
                this=exp.Paren(this=cond), expressions=[exp.false()])))
            self._store(name, self._sql(keep, params, dialect))
            return None
        if isinstance(tree, (exp.Query,)):
            return self._sql(tree, params, dialect)
        raise EngineError(f"the Spark engine does not run {type(tree).__name__} statements")

    def _temporary_table(self, name: str):
        if name not in self._temp:
            raise EngineError(f"the Spark engine is read-only: '{name}' is not a temporary table")
        return self._temp[name]

    def _store(self, name: str, df) -> None:
        df = _materialised(df)
        df.createOrReplaceTempView(name)
        self._temp[name] = df

    def _append(self, name: str, old, rows) -> None:
        """The table with the inserted rows, stored anew (its lineage cut, see :func:`_materialised`)."""
        self._store(name, old.unionAll(rows))

    def _drop(self, name: str) -> None:
        # a checkpoint's blocks are freed by Spark's cleaner once nothing refers to the DataFrame
        self._temp.pop(name, None)
        self.spark.catalog.dropTempView(name)

    def arrow(self, sql: str, params: list | tuple | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        with self._lock:
            df = self.execute(sql, params).df
            return df.toArrow() if df is not None else pa.table({})


    # -- the same facade as Workspace ----------------------------------------------------------
    def process(self, name: str):
        """The process ``name`` with the Spark engine (:class:`procatlas.process.Process`)."""
        from procatlas.process import Process
        return Process(self, name, engine=SparkEngine(self))

    def people(self, process: str | None = None, *, level: str = "person", missing: str = "skip"):
        from procatlas.people import people_report
        return people_report(self, process, level=level, missing=missing)

    def close(self) -> None:
        with self._lock:
            for name in list(self._temp):
                self._drop(name)

    def __enter__(self) -> "SparkWorkspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SparkEngine(DuckDBEngine):
    """Discovery summaries computed by Spark: the queries of :mod:`procatlas.engine.queries`,
    run through a :class:`SparkWorkspace` (same statements, translated)."""

    def __init__(self, workspace: SparkWorkspace):
        super().__init__(workspace)


def _materialised(df):
    """``df`` computed now (later statements read it several times and must see one result), with
    its lineage cut: a temporary table read by the next statement is a scan of stored blocks, not
    the plan of every statement that built it.  Persisting alone keeps that plan, and a table filled
    by a dozen INSERTs (the exception detectors) then made Spark's planner and broadcast estimates
    work on the plans of all of them: minutes, or an exhausted driver heap, for a few thousand rows."""
    from pyspark import StorageLevel
    return df.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)


def _temporary(tree, exp) -> bool:
    props = tree.args.get("properties")
    return bool(props and any(isinstance(p, exp.TemporaryProperty) for p in props.expressions))


def _types(df) -> list[str]:
    return [f.dataType.simpleString() for f in df.schema.fields]


def _arrow_of(table) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    return pa.Table.from_pandas(table)

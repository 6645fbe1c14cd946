"""Opening a workspace, migrating its schema, and the one SQL choke point."""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from procatlas.errors import WorkspaceError

DEFAULT_PATH = "atlas.duckdb"
ENV_PATH = "PROCATLAS_WORKSPACE"
ENV_TRACE = "PROCATLAS_TRACE_SQL"


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """``path``, else ``$PROCATLAS_WORKSPACE``, else ``./atlas.duckdb``."""
    return Path(path or os.environ.get(ENV_PATH) or DEFAULT_PATH)


def memory_limit() -> str:
    """DuckDB's memory budget: ``$PROCATLAS_MEMORY_LIMIT``, else a quarter of RAM capped at 3 GB.

    DuckDB would take 80 % of RAM; above the budget it spills to disk next to the workspace,
    so a 10-million-event import stays within a laptop's memory.
    """
    configured = os.environ.get("PROCATLAS_MEMORY_LIMIT")
    if configured:
        return configured.replace("'", "")
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "3GB"
    return f"{max(256, min(3 * 1024, ram // 4 // 2**20))}MB"


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("procatlas.workspace") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(n for n, _, _ in _migrations())


class SqlRows:
    """Row and scalar reads over ``execute`` (shared by the workspace and the Spark runner)."""

    def rows(self, sql: str, params: list | tuple | None = None) -> list[tuple]:
        with self._lock:
            return self.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: list | tuple | None = None) -> Any:
        with self._lock:
            row = self.execute(sql, params).fetchone()
            return row[0] if row else None


class Workspace(SqlRows):
    """A procatlas workspace file.

    >>> ws = Workspace(":memory:")
    >>> ws.scalar("SELECT count(*) FROM event")
    0
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False):
        self.path = resolve_path(path) if str(path) != ":memory:" else Path(":memory:")
        self.read_only = read_only
        self._lock = threading.RLock()
        self._trace = os.environ.get(ENV_TRACE, "") not in ("", "0")
        memory = str(self.path) == ":memory:"
        if read_only and not memory and not self.path.exists():
            raise WorkspaceError(f"{self.path}: no workspace here; run `procatlas ingest FILE` first")
        if not memory and self.path.exists() and self.path.is_dir():
            raise WorkspaceError(f"{self.path}: is a directory, not a workspace file")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            first = str(exc).splitlines()[0]
            raise WorkspaceError(f"{self.path}: cannot open workspace ({first})") from None
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise WorkspaceError(f"{self.path}: not a procatlas workspace ({first})") from None
        self._configure()
        self._migrate()

    # -- the choke point -------------------------------------------------------------------
    def execute(self, sql: str, params: list | tuple | None = None,
                register: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Run one statement; every query of procatlas passes here (traceable, serialised)."""
        with self._lock:
            for name, obj in (register or {}).items():
                self.con.register(name, obj)
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return self.con.execute(sql, params or [])
            finally:
                for name in register or {}:
                    self.con.unregister(name)
                if self._trace:
                    # CPU time (all threads of the process) too: on a shared machine wall time
                    # mostly measures the neighbours
                    ms = (time.perf_counter() - started) * 1000
                    cpu_ms = (time.process_time() - cpu) * 1000
                    one_line = " ".join(sql.split())
                    print(f"[sql {ms:8.1f} ms, cpu {cpu_ms:8.1f} ms] {one_line[:400]}", file=sys.stderr)

    def arrow(self, sql: str, params: list | tuple | None = None) -> pa.Table:
        """Run a query and return its result as an Arrow table."""
        with self._lock:
            result = self.execute(sql, params)
            # DuckDB 2 renamed fetch_arrow_table() to to_arrow_table() and warns about a copy
            # that is harmless for the small summaries read this way
            fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return fetch()


    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: anything raised inside (even Ctrl-C) rolls everything back."""
        with self._lock:
            self.execute("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")

    def process(self, name: str) -> "Process":  # noqa: F821 - lazy import keeps layers light
        """The process ``name`` (an object type used as case notion): summaries, maps, models."""
        from procatlas.process import Process
        return Process(self, name)

    def people(self, process: str | None = None, *, level: str = "person", missing: str = "skip"):
        """People (or groups) at work: statistics, matrix, workload, roles, handover networks
        (:func:`procatlas.people.people_report`); ``process=None`` takes every process."""
        from procatlas.people import people_report
        return people_report(self, process, level=level, missing=missing)

    def watering_holes(self, *, top: int | None = None, **criteria: Any):
        """Ranked informal cross-group venues and brokers (:func:`procatlas.people.watering_holes`)."""
        from procatlas.people import Criteria, watering_holes
        return watering_holes(self, top=top, criteria=Criteria(**criteria) if criteria else None)

    # -- schema ----------------------------------------------------------------------------
    def _migrate(self) -> None:
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'procatlas_meta'")
        version = 0
        if exists:
            version = int(self.scalar("SELECT value FROM procatlas_meta WHERE key = 'schema_version'") or 0)
        elif self.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"):
            raise WorkspaceError(f"{self.path}: a DuckDB file, but not a procatlas workspace")
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path}: workspace schema v{version} is newer than this procatlas (v{SCHEMA_VERSION}); "
                "upgrade procatlas")
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            self._migrate_then_reopen_read_only(version)
            return
        with self.transaction():
            if not exists:
                self.execute("CREATE TABLE procatlas_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
                self.execute("INSERT INTO procatlas_meta VALUES ('schema_version', '0')")
            for number, _name, sql in _migrations():
                if number > version:
                    for statement in _statements(sql):
                        self.execute(statement)
            self.execute("UPDATE procatlas_meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])

    def _configure(self) -> None:
        """Session settings every connection gets: UTC and the memory budget."""
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{memory_limit()}'")

    def _migrate_then_reopen_read_only(self, version: int) -> None:
        """An older workspace opened read-only: migrate it once with a short writable
        connection, then continue read-only (fails clearly if another process is writing)."""
        self.con.close()
        try:
            Workspace(self.path).close()
        except WorkspaceError as exc:
            raise WorkspaceError(f"{self.path}: workspace schema v{version} needs migrating, and it cannot be "
                                 f"opened for writing now ({exc})") from None
        self.con = duckdb.connect(str(self.path), read_only=True)
        self._configure()

    @property
    def schema_version(self) -> int:
        return int(self.scalar("SELECT value FROM procatlas_meta WHERE key = 'schema_version'"))

    def close(self) -> None:
        with self._lock:
            self.con.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (no semicolons inside our DDL literals)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

"""Schema versioning and opening errors."""

from __future__ import annotations

import duckdb
import pytest

from procatlas.errors import WorkspaceError
from procatlas.workspace import Workspace
from procatlas.workspace.core import SCHEMA_VERSION


def test_new_workspace_has_current_schema(tmp_path):
    ws = Workspace(tmp_path / "w.duckdb")
    assert ws.schema_version == SCHEMA_VERSION
    tables = {r[0] for r in ws.rows("SELECT table_name FROM information_schema.tables")}
    assert {"event", "object", "event_object", "object_object", "object_change", "person", "message",
            "source", "reject", "attribute_type"} <= tables


def test_reopening_keeps_data(tmp_path):
    path = tmp_path / "w.duckdb"
    with Workspace(path) as ws:
        ws.execute("INSERT INTO person (id, name) VALUES ('p1', 'Ann')")
    with Workspace(path, read_only=True) as ws:
        assert ws.rows("SELECT id, name FROM person") == [("p1", "Ann")]


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    Workspace(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE procatlas_meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(WorkspaceError, match="newer than this procatlas"):
        Workspace(path)


def test_foreign_duckdb_file_is_refused(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    with pytest.raises(WorkspaceError, match="not a procatlas workspace"):
        Workspace(path)


def test_garbage_file_is_refused(tmp_path):
    path = tmp_path / "junk.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError, match="junk.duckdb"):
        Workspace(path)


def test_read_only_missing_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace here"):
        Workspace(tmp_path / "missing.duckdb", read_only=True)


def test_trace_sql(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PROCATLAS_TRACE_SQL", "1")
    ws = Workspace(tmp_path / "w.duckdb")
    ws.scalar("SELECT 42")
    assert "SELECT 42" in capsys.readouterr().err


def test_older_workspace_opened_read_only_is_migrated_first(tmp_path):
    path = tmp_path / "old.duckdb"
    Workspace(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE procatlas_meta SET value = '1' WHERE key = 'schema_version'")
    # undo what migrations after v1 created, as a v1 workspace would look
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    for t in tables - {"procatlas_meta", "source", "event", "object", "object_change", "event_object",
                       "object_object", "person", "message", "reject", "attribute_type"}:
        con.execute(f"DROP TABLE {t}")
    con.close()
    with Workspace(path, read_only=True) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.read_only

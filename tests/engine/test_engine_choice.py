"""Choosing an engine: names, the actionable error without pyspark, and the DuckDB -> Spark SQL rewrites."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procatlas.engine.choose import engine_name
from procatlas.errors import InputError


def test_engine_name_default_env_and_unknown(monkeypatch):
    monkeypatch.delenv("PROCATLAS_ENGINE", raising=False)
    assert engine_name() == "duckdb"
    monkeypatch.setenv("PROCATLAS_ENGINE", "Spark")
    assert engine_name() == "spark"
    assert engine_name("duckdb") == "duckdb"
    with pytest.raises(InputError, match="engine must be one of duckdb, spark"):
        engine_name("polars")


def test_without_pyspark_the_cli_says_how_to_install_and_exits_2(monkeypatch, capsys, tmp_path):
    from procatlas import cli
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    monkeypatch.setattr(sys, "argv", ["procatlas", "discover", "-p", "x", "-w", str(tmp_path / "a.duckdb"),
                                      "--engine", "spark"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: the Spark engine needs pyspark and sqlglot: pip install 'procatlas[spark]'"
    assert not (tmp_path / "a.duckdb.parquet").exists()  # nothing exported before the check


@pytest.mark.parametrize("command", ["processes", "catalog", "triggers", "dependencies", "watering-holes"])
def test_workspace_commands_take_engine_spark_and_say_how_to_install(monkeypatch, capsys, tmp_path, command):
    """The workspace-wide analyses take --engine too; without pyspark, the same one line (exit 2)."""
    from procatlas import cli
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setattr(sys, "argv", ["procatlas", command, "-w", str(tmp_path / "a.duckdb"), "--engine", "spark",
                                      "--spark-master", "local[2]"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: the Spark engine needs pyspark and sqlglot: pip install 'procatlas[spark]'")
    assert not (tmp_path / "a.duckdb.parquet").exists()


def test_env_engine_does_not_touch_ingest(monkeypatch, tmp_path):
    """$PROCATLAS_ENGINE=spark concerns analyses; ingest and info stay on the DuckDB workspace."""
    from procatlas import api
    monkeypatch.setenv("PROCATLAS_ENGINE", "spark")
    monkeypatch.setitem(sys.modules, "pyspark", None)
    log = tmp_path / "log.csv"
    log.write_text("case,activity,timestamp\n1,a,2024-01-01 10:00\n1,b,2024-01-01 11:00\n")
    api.ingest([log], workspace=tmp_path / "w.duckdb", process="p")
    assert api.info(workspace=tmp_path / "w.duckdb").events == 2


sqlglot = pytest.importorskip("sqlglot", reason="sqlglot not installed: pip install 'procatlas[spark]'")


def _spark(sql: str) -> str:
    from procatlas.engine.dialect import to_spark
    return to_spark(sql)


def test_ordered_list_keeps_its_order():
    out = _spark("SELECT list(code ORDER BY ts, eid) AS trace FROM ev GROUP BY cid")
    assert "COLLECT_LIST(STRUCT(ts AS k0, eid AS k1, code AS v))" in out
    assert "ARRAY_SORT(" in out and "pa_s -> pa_s.v" in out


def test_list_indexes_become_zero_based():
    out = _spark("SELECT t[1] AS a, t[i] AS b, t[i + 1] AS c, t[array_length(t)] AS d FROM x, range(1, 3) r(i)")
    assert "t[0] AS a" in out and "t[(i) - 1] AS b" in out and "t[(i + 1) - 1] AS c" in out
    assert "t[SIZE(t) + -1] AS d" in out
    steps = _spark("SELECT v.trace[i] AS s FROM v, unnest(range(1, array_length(v.trace))) r(i)")
    assert "LATERAL VIEW EXPLODE(" in steps and "r AS i" in steps


def test_exact_quantiles_not_approximate():
    out = _spark("SELECT median(d) AS m, quantile_cont(d, 0.9) AS p FROM x")
    assert "PERCENTILE(d, 0.5) AS m" in out and "PERCENTILE(d, 0.9) AS p" in out
    assert "APPROX" not in out.upper()
    several = _spark("SELECT quantile_cont(d, [0.25, 0.75])[2] - quantile_cont(d, [0.25, 0.75])[1] AS iqr FROM x")
    assert "PERCENTILE(d, ARRAY(0.25, 0.75))[1] - PERCENTILE(d, ARRAY(0.25, 0.75))[0] AS iqr" in several


def test_list_select_regex_flag_min_n_and_decimal_literals():
    assert "TRANSFORM(codes, pa_c -> names[pa_c - 1])" in _spark("SELECT list_select(names, codes) FROM x")
    assert "RLIKE CONCAT('(?i)', ?)" in _spark("SELECT * FROM x WHERE regexp_matches(a, ?, 'i')")
    assert "SLICE(ARRAY_SORT(COLLECT_LIST(s)), 1, 2)" in _spark("SELECT min(s, 2) FROM x GROUP BY g")
    assert "CAST(1000.0 AS DOUBLE)" in _spark("SELECT d / 1000.0 FROM x")


def test_having_and_order_by_the_same_aggregate():
    out = _spark("SELECT a, list(d) AS s FROM x GROUP BY a HAVING count(*) >= ? ORDER BY count(*) DESC, a LIMIT ?")
    assert out.startswith("SELECT a, s FROM (SELECT a, COLLECT_LIST(d) AS s, COUNT(*) AS pa_o0")
    assert "ORDER BY pa_o0 DESC" in out


def test_parquet_export_is_partitioned_by_process_and_month(tmp_path):
    """`export --parquet-dir`: hive folders process=/month=, one first_link row per event, and a
    fingerprint that makes the Spark engine re-export only after an ingest."""
    import duckdb

    from procatlas import api
    from procatlas.engine.choose import parquet_for
    from procatlas.workspace import Workspace
    log = tmp_path / "log.csv"
    log.write_text("case,activity,timestamp\n1,a,2024-01-31 10:00\n1,b,2024-02-01 11:00\n2,a,2024-02-03 09:00\n")
    api.ingest([log], workspace=tmp_path / "w.duckdb", process="p")
    result = api.export(workspace=tmp_path / "w.duckdb", parquet_dir=tmp_path / "pq")
    assert result["events"] == 3 and result["processes"] == ["p"]
    months = sorted(p.name for p in (tmp_path / "pq" / "events" / "process=p").iterdir())
    assert months == ["month=2024-01", "month=2024-02"]
    rows = duckdb.sql(f"""SELECT month, count(*), count(*) FILTER (WHERE first_link) FROM
                          read_parquet('{tmp_path / "pq" / "events"}/**/*.parquet', hive_partitioning = true)
                          GROUP BY month ORDER BY month""").fetchall()
    assert rows == [("2024-01", 1, 1), ("2024-02", 2, 2)]
    with Workspace(tmp_path / "w.duckdb") as ws:
        folder = parquet_for(ws)
        stamp = (folder / "_procatlas.json").stat().st_mtime_ns
        assert parquet_for(ws) == folder and (folder / "_procatlas.json").stat().st_mtime_ns == stamp


def test_parquet_export_of_a_workspace_without_events_is_readable(tmp_path):
    """Messages only (e-mail data): the events folder still holds a Parquet file, empty, with the
    columns of a partitioned export (process and month among them), so Spark can read it; an
    export written before this layout is not reused."""
    import json

    import duckdb
    import pyarrow.parquet as pq

    from procatlas import api
    from procatlas.engine.choose import MANIFEST, parquet_for
    from procatlas.workspace import Workspace
    log = tmp_path / "log.csv"
    log.write_text("case,activity,timestamp\n1,a,2024-01-31 10:00\n")
    api.ingest([log], workspace=tmp_path / "full.duckdb", process="p")
    api.export(workspace=tmp_path / "full.duckdb", parquet_dir=tmp_path / "full")
    mail = tmp_path / "mail.jsonl"
    mail.write_text('{"id": "m1", "timestamp": "2024-02-01T10:00:00Z", "from": "ann", "to": ["bob"]}\n')
    api.ingest([mail], workspace=tmp_path / "mail.duckdb", as_="messages")
    result = api.export(workspace=tmp_path / "mail.duckdb", parquet_dir=tmp_path / "mail")
    assert result["events"] == 0
    files = list((tmp_path / "mail" / "events").rglob("*.parquet"))
    assert len(files) == 1 and pq.read_metadata(files[0]).num_rows == 0
    full = duckdb.sql(f"""DESCRIBE SELECT * FROM read_parquet('{tmp_path / "full" / "events"}/**/*.parquet',
                          hive_partitioning = true)""").fetchall()
    empty = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{files[0]}')").fetchall()
    assert dict(r[:2] for r in empty) == dict(r[:2] for r in full)  # names and types (Spark selects by name)
    assert dict(r[:2] for r in empty)["process"] == "VARCHAR" and len(empty) == 17
    with Workspace(tmp_path / "mail.duckdb") as ws:
        folder = parquet_for(ws)
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["fingerprint"] = "an export of an earlier layout"
        (folder / MANIFEST).write_text(json.dumps(manifest))
        parquet_for(ws)
        assert json.loads((folder / MANIFEST).read_text())["fingerprint"] != manifest["fingerprint"]


def test_desc_list_order_distinct_lists_and_slices():
    out = _spark("SELECT list(a ORDER BY n DESC, a)[1:3] AS top FROM x GROUP BY g")
    assert "SLICE(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(n AS k0, a AS k1, a AS v)), (pa_l, pa_r) ->" in out
    assert "WHEN pa_l.k0 < pa_r.k0 THEN 1 WHEN pa_l.k0 > pa_r.k0 THEN -1" in out  # DESC
    assert "WHEN pa_l.k1 < pa_r.k1 THEN -1 WHEN pa_l.k1 > pa_r.k1 THEN 1" in out  # ASC
    assert "WHEN pa_l.k0 IS NULL THEN 1" in out  # NULLs last, as DuckDB
    assert out.endswith(", 1, (3) - (1) + 1) AS top FROM x GROUP BY g")
    out = _spark("SELECT list(DISTINCT t ORDER BY t) AS ts FROM x GROUP BY g")
    assert "TRANSFORM(ARRAY_SORT(COLLECT_SET(STRUCT(t AS k0, t AS v))), pa_s -> pa_s.v) AS ts" in out


def test_month_arithmetic_is_add_months_on_spark():
    from procatlas.engine.dialect import to_spark
    assert to_spark("SELECT m - to_months(o), m + to_months(2) FROM c") == \
        "SELECT ADD_MONTHS(m, -(o)), ADD_MONTHS(m, 2) FROM c"


def test_mode_ordered_by_its_value_is_spark_deterministic_mode():
    assert _spark("SELECT mode(s.grp ORDER BY s.grp) AS g FROM t AS s GROUP BY r") == \
        "SELECT MODE(s.grp, TRUE) AS g FROM t AS s GROUP BY r"
    with pytest.raises(Exception, match="no Spark form"):
        _spark("SELECT mode(grp ORDER BY ts) FROM t GROUP BY r")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["EMPTY", "Group 1", "Group 2", "b", "a"]), min_size=1, max_size=40))
def test_duckdb_mode_ordered_by_value_takes_the_smallest_tie(values):
    """What Spark's mode(x, true) computes (most frequent, smallest on ties) is what the shared SQL's
    mode(x ORDER BY x) computes on DuckDB (people: a person's group)."""
    import duckdb
    from collections import Counter
    counts = Counter(values)
    top = max(counts.values())
    want = min(v for v, n in counts.items() if n == top)
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    assert con.execute("SELECT mode(x ORDER BY x) FROM t").fetchone()[0] == want

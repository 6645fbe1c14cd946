"""User KPIs from TOML: evaluated values, and one-line errors naming line and field."""

from __future__ import annotations


import pytest

from procatlas import api
from procatlas.errors import InputError
from procatlas.metrics.kpifile import load_kpis
from tests.metrics.helpers import write_log

GOOD = """
[[kpi]]
name = "register_to_close"
process = "claims"
measure = { type = "duration", from = "register", to = "close" }
aggregation = "median"
unit = "hours"
direction = "lower"

[[kpi]]
name = "fixed_share"
process = "claims"
measure = "share"
filter = { activity = ["fix"] }
direction = "lower"

[[kpi]]
name = "fixed_count"
process = "claims"
measure = "count"
filter = { activity = "fix", from = "2024-07-01" }
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    d = tmp_path_factory.mktemp("kpis")
    w = d / "w.duckdb"
    api.ingest([write_log(d / "log.csv", cases=300)], workspace=w, process="claims")
    return w


def test_user_kpis_equal_catalog_and_python(ws, tmp_path):
    f = tmp_path / "k.toml"
    f.write_text(GOOD)
    m = api.metrics(workspace=ws, process="claims", kpis=f, exceptions=False)
    assert m["register_to_close"].value == pytest.approx(m["cycle_time_median"].value)
    assert m["fixed_share"].value == pytest.approx(m["rework_rate"].value)  # only fix loops repeat
    assert 0 < m["fixed_count"].value < m["fixed_share"].value * m["cases"].value
    assert m["register_to_close"].definition.startswith("user KPI")


@pytest.mark.parametrize("text,line,field", [
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = { type = "speed" }\n', 4, "measure.type"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = "count"\n\n[[kpi]]\nname = "b"\nprocess = "p"\n'
     'measure = "duration"\n', 9, "measure.from"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = "count"\ndirection = "up"\n', 5, "direction"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = "count"\nsql = "DROP TABLE event"\n', 5, "sql"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = "share"\nfilter = { attribute = { name = "x" } }\n', 5,
     "filter.attribute"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = { type = "duration", from = "x", to = "y" }\nunit = "weeks"\n',
     5, "unit"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\n', 1, "measure"),
    ('[[kpi]]\nname = "a"\nprocess = "p"\nmeasure = "count"\ntarget = "soon"\n', 5, "target"),
])
def test_errors_name_line_and_field(tmp_path, text, line, field):
    f = tmp_path / "k.toml"
    f.write_text(text)
    with pytest.raises(InputError) as exc:
        load_kpis(f)
    msg = str(exc.value)
    assert "\n" not in msg
    assert f"{f}:{line}:" in msg and f"'{field}'" in msg, msg


def test_toml_syntax_error_names_line(tmp_path):
    f = tmp_path / "k.toml"
    f.write_text('[[kpi]]\nname = "a"\nprocess = \n')
    with pytest.raises(InputError, match=r"k\.toml:3: not valid TOML"):
        load_kpis(f)

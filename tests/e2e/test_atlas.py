"""`procatlas atlas`: files -> atlas.html and artifacts; the file renders offline in chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.browser import browser, shot, watch  # noqa: F401 - fixture

PROCESS_FILES = ("map.svg", "model.bpmn", "model.pnml", "model.svg", "variants.csv", "dfg.csv", "heatmap.svg")


@pytest.fixture(scope="module")
def atlas_dir(tmp_path_factory):
    from procatlas.simulate import simulate
    root = tmp_path_factory.mktemp("atlas")
    simulate(root / "data", seed=3, cases=150, formats=("ocel-json",))
    files = [str(root / "data" / n) for n in ("company.jsonocel", "people.csv", "messages.jsonl", "posts.jsonl")]
    cmd = [sys.executable, "-m", "procatlas.cli", "atlas", *files, "--workspace", str(root / "ws.duckdb"),
           "--out", str(root / "out"), "--format", "json"]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    return root, json.loads(first.stdout), json.loads(again.stdout)


def test_atlas_writes_every_artifact(atlas_dir):
    root, data, _ = atlas_dir
    out = root / "out"
    assert (out / "atlas.html").exists() and (out / "catalog.md").exists()
    assert all("metrics" in n for n in data["notes"]), data["notes"]  # nothing else skipped
    assert {"complaint", "sales_order", "purchase_order"} <= set(data["processes"])
    for name, proc in data["processes"].items():
        assert proc["cases"] > 0 and proc["variants"] >= 1
        folder = out / "discovery" / name
        for f in PROCESS_FILES:
            assert (folder / f).stat().st_size > 0, (name, f)


def test_rerun_reuses_the_workspace(atlas_dir):
    _, first, again = atlas_dir
    assert not any(s["skipped"] for s in first["ingest"]["sources"])
    assert all(s["skipped"] for s in again["ingest"]["sources"])
    assert again["info"]["events"] == first["info"]["events"]
    assert again["processes"].keys() == first["processes"].keys()


def test_html_is_self_contained(atlas_dir):
    root, _, _ = atlas_dir
    html = (root / "out" / "atlas.html").read_text()
    # no external resource is referenced by any tag; plotly is inlined exactly once
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html, re.I)
    assert html.count("plotly.js v") <= 2 and "Plotly" in html
    for section in ("overview", "people", "dependencies", "metrics", "social"):
        assert f'id="{section}"' in html
    assert "Where social can help" in html and "KPI:" in html


def test_atlas_renders_offline_in_chromium(atlas_dir, browser):  # noqa: F811
    root, data, _ = atlas_dir
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    requested: list[str] = []

    def block(route):
        requested.append(route.request.url)
        route.abort()
    page.route(re.compile(r"^(?!file:).*"), block)
    errors = watch(page)
    page.goto((root / "out" / "atlas.html").as_uri())
    page.wait_for_selector(".mapview svg", state="visible")
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    assert page.locator(".js-plotly-plot").count() >= 3
    shot(page, "atlas-overview.png")
    # the first map's sliders and toggle switch between precomputed maps
    widget = page.locator(".mapwidget").first
    before = widget.locator(".mapview").get_attribute("data-key")
    widget.locator("input[value=performance]").check()
    after = widget.locator(".mapview").get_attribute("data-key")
    assert before.endswith("frequency") and after.endswith("performance")
    widget.locator("input.paths").fill("0")
    assert widget.locator(".mapview").get_attribute("data-key").startswith("a100-p20")
    widget.scroll_into_view_if_needed()
    shot(page, "atlas-process-map.png")
    assert requested == [] and errors == []


def test_progress_advances_within_each_process(tmp_path):
    """The bar moves during each process's section (minutes each with --engine spark), not only
    between processes: every step of every process is reported once, in order."""
    from procatlas.atlas import SECTION_STEPS, build_atlas
    from tests.conftest import data_file
    ticks: list[tuple[str, int, int]] = []
    build_atlas([data_file("pm4py__pm4py-core/running-example.xes")], workspace=tmp_path / "w.duckdb",
                out=tmp_path / "out", progress=lambda *t: ticks.append(t))
    done = [d for stage, d, total in ticks if stage == "processes"]
    totals = {total for stage, _d, total in ticks if stage == "processes"}
    assert totals == {SECTION_STEPS} and done == list(range(SECTION_STEPS + 1))
    assert [s for s, _d, _t in ticks][-1] == "report"

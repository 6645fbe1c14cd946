"""`procatlas serve` in a real browser: each page, sliders, a filter, drill-down; no console errors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser import browser, shot, watch  # noqa: F401 - fixture


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from procatlas import api
    from procatlas.simulate import simulate
    root = tmp_path_factory.mktemp("serve")
    simulate(root / "data", seed=5, cases=120, formats=("ocel-json",))
    ws = root / "ws.duckdb"
    api.ingest([root / "data" / "company.jsonocel"], workspace=ws)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "procatlas.cli", "serve", "--workspace", str(ws),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/overview", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read().decode())
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def test_pages_sliders_filters_and_drill_down(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = watch(page)
    page.goto(server + "/")
    assert page.locator("#processes tr").count() > 3
    shot(page, "serve-overview.png")

    page.click("#processes a:text-is('sales_order')")
    page.wait_for_selector("#map svg")
    shot(page, "serve-process.png")
    svg0, cases0 = page.inner_html("#map"), page.inner_text("#n-cases")

    def changed(before: str) -> None:
        page.wait_for_function("b => document.querySelector('#map').innerHTML !== b", arg=before)
        page.wait_for_function("() => document.querySelector('#status').textContent === ''")

    page.fill("#paths", "20")
    changed(svg0)
    svg1 = page.inner_html("#map")
    page.fill("#activities", "40")
    changed(svg1)
    svg2 = page.inner_html("#map")
    assert svg2.count("<g") < svg0.count("<g")
    page.check("input[name=view][value=performance]")
    changed(svg2)
    svg3 = page.inner_html("#map")
    assert page.inner_text("#n-cases") == cases0  # sliders and view leave the cases alone
    page.select_option("#variant", "1")  # a filter: numbers change
    changed(svg3)
    assert int(page.inner_text("#n-cases").replace(",", "")) < int(cases0.replace(",", ""))
    # Read the count before the date changes: fill() itself fires the change that refreshes the page,
    # and on a fast server the new count can be in place before a read taken after it.
    before = page.inner_text("#n-cases")
    page.fill("#end", "2025-02-01")
    page.dispatch_event("#end", "change")
    page.wait_for_function("c => document.querySelector('#n-cases').textContent !== c", arg=before)
    page.wait_for_function("() => document.querySelector('#status').textContent === ''")
    shot(page, "serve-process-filtered.png")

    page.click("#n-cases-link")  # drill down from the number to its cases ...
    page.wait_for_selector("#cases")
    n = int(page.inner_text("#n-cases").replace(",", ""))
    assert n >= 1 and page.locator("#cases tr").count() == min(n, 100) + 1
    shot(page, "serve-cases.png")
    page.click("#cases tr:nth-child(2) a")  # ... and from a case to its timeline
    page.wait_for_selector("#timeline")
    assert page.locator("#timeline tr").count() > 2
    shot(page, "serve-case.png")
    assert errors == []


def test_people_exceptions_and_dependencies_pages(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = watch(page)
    page.goto(server + "/")
    page.click("#nav a[href='/people']")
    page.wait_for_selector("#handover svg")
    assert page.locator("#persons tr").count() > 2
    shot(page, "serve-people.png")
    page.goto(server + "/process/complaint")
    page.click("#exceptions-link")
    page.wait_for_selector("#heatmap svg")
    assert int(page.inner_text("#n-exceptions").replace(",", "")) >= 0
    shot(page, "serve-exceptions.png")
    page.goto(server + "/dependencies")
    page.wait_for_selector("#ocdfg svg")
    assert page.locator("#dependencies tr").count() > 1
    shot(page, "serve-dependencies.png")
    assert errors == []

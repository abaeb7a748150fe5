"""The HTML page as a person sees it, in headless Chromium: no console errors, evidence opens, filters hide
rows, injected markup stays text; it also saves a screenshot (REPORT_SCREENSHOT=path keeps it there)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from report.legend import label
from report.upgrade import changes

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module: starting it takes about a second, a fresh page far less."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` (Debian) "
            "or point CHROMIUM at a Chromium binary"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: install requirements/tools.txt (`tox -e selftest` does)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("profile")),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser, built_report):
    """The report in a page of its own, its console errors collected in `page.errors`."""
    page = browser.new_page()
    try:
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto((built_report / "report.html").as_uri())
        # The page's script draws the chart last: once it is there, every click handler is in place. (Circles, as a
        # line between releases that did not run may be a single point, which has no size to be visible.)
        page.wait_for_selector("#score-chart circle", state="attached")
        yield page
    finally:
        page.close()


def shows(page, selector: str, text: str) -> str:
    """The text of `selector` once it contains `text`: a click fills the evidence panel on the hashchange that follows
    it, which may come after click() returns."""
    page.wait_for_function("([s, t]) => document.querySelector(s).innerText.includes(t)", arg=[selector, text])
    return page.inner_text(selector)


def test_page_loads_without_console_errors(page):
    page.wait_for_selector("#score-chart circle", state="attached")
    assert page.errors == []
    assert page.locator("#roadmap-table tbody tr").count() > 0


def test_cell_opens_its_evidence_with_reproduce_command(page):
    page.click('[id="5.2/asgi.entrypoint@uvicorn"] a')
    shows(page, "#evidence-title", "asgi.entrypoint@uvicorn on Django 5.2")
    panel = page.locator("#evidence")
    assert panel.is_visible()
    assert 'tox -e dj52 -- -k "test_x and uvicorn"' in panel.inner_text()
    assert page.evaluate("location.hash") == "#5.2/asgi.entrypoint@uvicorn"


def test_permalink_opens_the_cell(page, built_report):
    page.goto((built_report / "report.html").as_uri() + "#3.0/asgi.entrypoint@daphne")
    shows(page, "#evidence-body", "not-run")
    assert page.locator("#evidence").is_visible()


def test_roadmap_cell_lists_its_deciding_cells(page):
    page.click('[id="6.1/async-request-stack"] a')
    body = shows(page, "#evidence-body", "asgi.request-stack@uvicorn")
    assert "asgi.request-stack@daphne" in body


def test_filters_hide_rows(page):
    rows = page.locator("#probe-table tbody tr")
    total = rows.count()
    page.select_option("#filter-state", "native")
    visible = page.locator("#probe-table tbody tr:not(.hidden)").count()
    assert 0 < visible < total
    page.select_option("#filter-state", "")
    page.select_option("#filter-area", "websocket")
    assert page.locator("#probe-table tbody tr:not(.hidden)").count() < total
    assert all(
        "websocket" in row.get_attribute("data-area")
        for row in page.locator("#probe-table tbody tr:not(.hidden)").all()
    )


def test_injected_markup_stays_text(page):
    page.click('[id="5.2/asgi.entrypoint@uvicorn"] a')
    shows(page, "#evidence-body", "<script>window.injected = true</script>")
    assert page.evaluate("window.injected") is None
    assert page.locator("#evidence img").count() == 0


def test_upgrade_view_shows_only_changes(page):
    page.select_option("#upgrade-from", "5.2")
    page.select_option("#upgrade-to", "6.1")
    text = page.inner_text("#upgrade-table tbody")
    assert "roadmap: async-request-stack" in text and "asgi.entrypoint@uvicorn" in text
    page.select_option("#upgrade-to", "5.2")
    assert "No difference" in page.inner_text("#upgrade-table tbody")


def test_upgrade_view_shows_what_upgrade_py_computes_for_every_pair(page, built_report):
    data = json.loads((built_report / "results.json").read_text(encoding="utf-8"))
    versions = [release["version"] for release in data["releases"]]
    shown = page.evaluate(
        """(versions) => {
          const from = document.getElementById("upgrade-from"), to = document.getElementById("upgrade-to");
          const found = {};
          for (const before of versions) {
            for (const after of versions) {
              from.value = before; to.value = after; to.dispatchEvent(new Event("change"));
              found[before + " " + after] = [...document.querySelectorAll("#upgrade-table tbody tr")]
                .filter((tr) => tr.querySelector("a"))
                .map((tr) => [tr.querySelector("a").getAttribute("href"), ...[...tr.children].map((c) => c.textContent)]);
            }
          }
          return found;
        }""",
        versions,
    )
    for before in versions:
        for after in versions:
            expected = [
                ["#" + c.anchor, c.what, label(c.before["state"]), label(c.after["state"]), c.after["reason"]]
                for c in changes(data, before, after)
            ]
            assert shown[f"{before} {after}"] == expected, (before, after)
    assert any(shown.values())


def test_screenshot(page, tmp_path):
    target = Path(os.environ.get("REPORT_SCREENSHOT", tmp_path / "report.png"))
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size > 10_000
    assert page.errors == []


def test_chart_leaves_releases_that_did_not_run_as_gaps(page):
    # Only 5.2 and 6.1 ran: every other release is a gap in both lines, never a "0% works" point.
    tips = page.locator("#score-chart circle title").all_text_contents()
    assert sorted({tip.split(" ")[0] for tip in tips}) == ["5.2", "6.1"]
    assert len(tips) == 4  # two releases, two lines

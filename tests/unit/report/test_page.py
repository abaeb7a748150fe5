"""The HTML page as a person sees it, in headless Chromium: no console errors, evidence opens, filters hide
rows, injected markup stays text; it also saves a screenshot (REPORT_SCREENSHOT=path keeps it there).

The whole committed page and the whole built report are opened once each; every other test opens a slice of a run
(tests/unit/report/sample.py, a tenth of the page), loaded anew in the module's one tab per size."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from contract.matrix import ROOT
from report.legend import label
from report.screenshots import ARGS, INSTALL, default_chromium
from report.upgrade import changes
from tests.unit.report.sample import cut, rendered, sample

CHROMIUM = default_chromium()
DESKTOP, PHONE = {"width": 1400, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module: starting it takes about a second, a fresh page far less."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with {INSTALL} (Debian) "
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
            viewport=DESKTOP,
        )
        try:
            yield context
        finally:
            context.close()


def tab(browser, viewport: dict[str, int]):
    """A fresh tab at `viewport`, its console errors collected in `page.errors`."""
    page = browser.new_page()
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(15_000)
    page.set_viewport_size(viewport)
    return page


def reopen(page, url: str) -> None:
    """Load `url` as a fresh visit (a link someone sent: a new document, never a same-document jump to a fragment)
    and wait until the page's script has run."""
    if "#" in url and page.url.split("#")[0] == url.split("#")[0]:
        page.goto("about:blank")  # going to `url` from its own document would only jump to the fragment
    page.goto(url)
    # The page's script draws the chart last: once it is there, every click handler is in place. (Circles, as a line
    # between releases that did not run may be a single point, which has no size to be visible.)
    page.wait_for_selector("#score-chart circle", state="attached")


def visit(page, url: str):
    """`page` showing `url` as a fresh visit, with no console errors counted yet: nothing the last test did there
    (filters, an open panel, the URL's state; the page keeps no other) is left."""
    page.bring_to_front()  # a tab behind another gets no animation frames, which clicks and waits poll on
    page.errors.clear()
    reopen(page, url)
    return page


@pytest.fixture(scope="module")
def tabs(browser):
    """`tabs(viewport)`: one tab per viewport for the module, each test visiting its page anew there (a new tab per
    test costs a renderer process's start, as much CPU as loading the page)."""
    made: dict[tuple[int, int], Any] = {}

    def at(viewport: dict[str, int]):
        key = (viewport["width"], viewport["height"])
        if key not in made:
            made[key] = tab(browser, viewport)
        return made[key]

    yield at
    for page in made.values():
        page.close()


# The probes of the report conftest.py builds that the tests below open or filter by.
BUILT_PROBES = frozenset({"asgi.entrypoint", "asgi.request-stack", "websocket.django"})


@pytest.fixture(scope="module")
def built_page(built_report, tmp_path_factory) -> tuple[Path, dict]:
    """The report conftest.py builds, cut down to BUILT_PROBES (tests/unit/report/sample.py), rendered: its page
    and its data. test_page_loads_without_console_errors opens the whole page."""
    data = json.loads((built_report / "results.json").read_text(encoding="utf-8"))
    return rendered(tmp_path_factory.mktemp("built"), cut(data, BUILT_PROBES))


@pytest.fixture
def page(tabs, built_page):
    """The built report, freshly loaded, its console errors collected in `page.errors`."""
    return visit(tabs(DESKTOP), built_page[0].as_uri())


def shows(page, selector: str, text: str) -> str:
    """The text of `selector` once it contains `text`: a click fills the evidence panel on the hashchange that follows
    it, which may come after click() returns."""
    page.wait_for_function("([s, t]) => document.querySelector(s).innerText.includes(t)", arg=[selector, text])
    return page.inner_text(selector)


def test_page_loads_without_console_errors(tabs, built_report):
    page = visit(tabs(DESKTOP), (built_report / "report.html").as_uri())
    assert page.errors == []
    assert page.locator("#roadmap-table tbody tr").count() > 0


@pytest.fixture(scope="class")
def opened(tabs, built_page):
    """The built report with the cell 5.2/asgi.entrypoint@uvicorn clicked open, once for the class using it."""
    page = visit(tabs(DESKTOP), built_page[0].as_uri())
    page.click('[id="5.2/asgi.entrypoint@uvicorn"] a')
    shows(page, "#evidence-title", "asgi.entrypoint@uvicorn on Django 5.2")
    shows(page, "#evidence-body", "server_exception")
    return page


class TestAnOpenedCell:
    """What a click on a cell shows, each test reading the one opening (none of them changes the page)."""

    def test_opens_its_evidence_with_reproduce_command(self, opened):
        panel = opened.locator("#evidence")
        assert panel.is_visible()
        assert 'tox -e dj52 -- -k "test_x and uvicorn"' in panel.inner_text()
        assert opened.evaluate("location.hash") == "#5.2/asgi.entrypoint@uvicorn"

    def test_injected_markup_stays_text(self, opened):
        assert "<script>window.injected = true</script>" in opened.inner_text("#evidence-body")
        assert opened.evaluate("window.injected") is None
        assert opened.locator("#evidence img").count() == 0

    def test_facts_read_as_a_list_and_the_json_folds_out(self, opened):
        facts = opened.locator("#evidence dl.facts").first
        assert facts.locator("dt").first.inner_text() == "server_exception"
        assert "<script>window.injected = true</script>" in facts.locator("dd").first.inner_text()
        fold = opened.locator("#evidence details").first
        assert not fold.evaluate("(d) => d.open")
        assert '"server_exception"' in fold.evaluate("(d) => d.textContent")
        assert opened.evaluate("window.injected") is None
        assert opened.errors == []


def test_permalink_opens_the_cell(page, built_page):
    page.goto(built_page[0].as_uri() + "#3.0/asgi.entrypoint@daphne")
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


def test_upgrade_view_shows_only_changes(page):
    page.select_option("#upgrade-from", "5.2")
    page.select_option("#upgrade-to", "6.1")
    text = page.inner_text("#upgrade-table tbody")
    assert "roadmap: async-request-stack" in text and "asgi.entrypoint@uvicorn" in text
    page.select_option("#upgrade-to", "5.2")
    assert "No difference" in page.inner_text("#upgrade-table tbody")


def test_upgrade_view_shows_what_upgrade_py_computes_for_every_pair(page, built_page):
    data = built_page[1]
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


@pytest.fixture(scope="class")
def fresh(tabs, built_page):
    """The built report freshly loaded, once for the class using it."""
    return visit(tabs(DESKTOP), built_page[0].as_uri())


class TestAFreshPage:
    """The page as it opens, each test reading the one load (none of them changes the page)."""

    def test_screenshot(self, fresh, tmp_path):
        target = Path(os.environ.get("REPORT_SCREENSHOT", tmp_path / "report.png"))
        fresh.screenshot(path=str(target), full_page=False)
        assert target.stat().st_size > 10_000
        assert fresh.errors == []

    def test_chart_leaves_releases_that_did_not_run_as_gaps(self, fresh):
        # Only 5.2 and 6.1 ran: every other release is a gap in both lines, never a "0% works" point.
        tips = fresh.locator("#score-chart circle title").all_text_contents()
        assert sorted({tip.split(" ")[0] for tip in tips}) == ["5.2", "6.1"]
        assert len(tips) == 4  # two releases, two lines


# --- The answer at a glance (issue 21): the real page on a laptop and on a phone, the rest on the sample page. ---

COMMITTED = ROOT / "report" / "out" / "report.html"


def test_the_committed_page_has_no_console_errors_fits_1400_px_and_a_phone(browser):
    """The real page (every release, every probe): its width depends on what it holds, so it is measured here. The
    phone's width is taken by resizing the laptop's page: the layout is CSS alone (no script reads the width)."""
    page = visit(tab(browser, DESKTOP), COMMITTED.as_uri())
    try:
        assert page.errors == []
        rights = page.eval_on_selector_all(
            "#roadmap-table thead th.release", "(ths) => ths.map((th) => th.getBoundingClientRect().right)"
        )
        assert len(rights) == 12
        assert max(rights) <= 1400, rights
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.errors == []
    finally:
        page.close()


# The sample's probes the tests below open, search or filter by: the roadmap item async-auth whole, #34139 on
# orm.related-managers (a known issue and a bisected cause of an axes' difference), sessions.file's workaround. Each
# probe left out makes every load of the page cheaper (Chromium's time per load grows with the page).
PAGE_PROBES = frozenset({"auth.async-api", "auth.password-check", "orm.related-managers", "sessions.file"})


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> tuple[Path, dict]:
    """The page rendered from tests/unit/report/sample.py's slice of the committed run cut down to PAGE_PROBES, and
    that slice."""
    return rendered(tmp_path_factory.mktemp("sample"), cut(sample(), PAGE_PROBES))


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1400x900", "390x844"])
def sized(request, tabs):
    """The module's tab at each size, for a test to visit a page in."""
    return tabs(request.param)


@pytest.fixture
def full_page(sized, sample_report):
    """The sample page at both sizes, freshly loaded, its console errors collected in `page.errors`."""
    return visit(sized, sample_report[0].as_uri())


@pytest.fixture
def sample_page(tabs, sample_report):
    """The sample page on a laptop, freshly loaded: for controls whose behaviour does not depend on the width (the
    layout is CSS alone). test_filters_order_open_cell_and_upgrade_pair_survive_a_reload works them on a phone."""
    return visit(tabs(DESKTOP), sample_report[0].as_uri())


def in_viewport(page, selector: str) -> bool:
    """Whether the element is wholly inside the viewport (not clipped at any edge)."""
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
          return r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; }""",
        selector,
    )


def test_evidence_panel_and_close_button_are_in_the_viewport_from_a_permalink_and_a_click(sized, sample_report):
    page = visit(sized, sample_report[0].as_uri() + "#5.2/auth.password-check")
    shows(page, "#evidence-title", "auth.password-check on Django 5.2")
    assert in_viewport(page, "#evidence")
    assert in_viewport(page, "#evidence-close")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.click("#evidence-close")
    assert not page.locator("#evidence").is_visible()
    page.click('[id="6.1/auth.password-check"] a')
    shows(page, "#evidence-title", "auth.password-check on Django 6.1")
    assert in_viewport(page, "#evidence")
    assert in_viewport(page, "#evidence-close")
    page.click("#evidence-close")
    assert not page.locator("#evidence").is_visible()


SHOWN_ROWS = """() => [...document.querySelectorAll("table.searchable tbody tr")]
  .filter((tr) => getComputedStyle(tr).display !== "none").map((tr) => tr.id || tr.dataset.search)"""


def test_search_shows_only_the_rows_of_what_was_typed_and_the_url_reopens_it(sample_page):
    total = sample_page.locator("table.searchable tbody tr").count()
    sample_page.fill("#search", "aauthenticate")
    shown = sample_page.evaluate(SHOWN_ROWS)
    assert 0 < len(shown) < total
    apis = sample_page.locator("#api-table tbody tr:not(.hidden) th").all_inner_texts()
    assert apis and all("aauthenticate" in name for name in apis), apis
    assert all(
        "aauthenticate" in row.get_attribute("data-search").lower()
        for row in sample_page.locator("table.searchable tbody tr:not(.hidden)").all()
    )
    assert "q=aauthenticate" in sample_page.url
    reopen(sample_page, sample_page.url)
    assert sample_page.input_value("#search") == "aauthenticate"
    assert sample_page.evaluate(SHOWN_ROWS) == shown


def test_filters_order_open_cell_and_upgrade_pair_survive_a_reload(full_page):
    full_page.select_option("#filter-state", "blocking")
    full_page.select_option("#filter-area", "auth")
    full_page.check("#newest-first")
    full_page.select_option("#upgrade-from", "4.1")
    full_page.select_option("#upgrade-to", "5.0")
    full_page.click('[id="5.1/async-auth"] a')
    shows(full_page, "#evidence-title", "on Django 5.1")
    url = full_page.url
    reopen(full_page, url)
    assert full_page.url == url
    assert full_page.input_value("#filter-state") == "blocking"
    assert full_page.input_value("#filter-area") == "auth"
    assert full_page.is_checked("#newest-first")
    assert (full_page.input_value("#upgrade-from"), full_page.input_value("#upgrade-to")) == ("4.1", "5.0")
    assert "on Django 5.1" in shows(full_page, "#evidence-title", "on Django 5.1")
    assert full_page.locator("#evidence").is_visible()


def test_newest_first_puts_the_latest_release_in_the_first_column(page):
    first = "() => [...document.querySelectorAll('#roadmap-table thead th.release')].map((th) => th.dataset.release)"
    oldest = page.evaluate(first)
    page.check("#newest-first")
    assert page.evaluate(first) == oldest[::-1]
    cells = page.eval_on_selector_all(
        "#roadmap-table tbody tr:first-child td.cell", "(tds) => tds.map((td) => td.id.split('/')[0])"
    )
    assert cells == oldest[::-1]


def test_as_shipped_cells_open_their_evidence(page):
    page.click('[id="shipped/5.2/asgi.entrypoint@uvicorn"] a')
    body = shows(page, "#evidence-title", "asgi.entrypoint@uvicorn on Django 5.2.0 as shipped")
    assert body
    assert "tox -e dj52-shipped" in page.inner_text("#evidence-body")


# --- Known issues per cell (issue 21, item 3) and the upgrade view's X.Y.0 -> latest patch pair (item 4). ---


def test_the_panel_of_a_cell_with_a_known_issue_links_its_ticket_and_fix(tabs, sample_report):
    page = visit(tabs(DESKTOP), sample_report[0].as_uri())
    assert page.locator('[id="shipped/4.1/orm.related-managers"] .issue-mark').count() == 1
    page.click('[id="shipped/4.1/orm.related-managers"] a')
    shows(page, "#evidence-body", "Known issues")
    ticket = page.locator('#evidence a[href="https://code.djangoproject.com/ticket/34139"]')
    assert ticket.inner_text() == "#34139"
    notes = page.locator('#evidence a[href="https://docs.djangoproject.com/en/stable/releases/4.1.4/"]')
    assert notes.count() == 2  # the fix of the known issue, and the bisected cause of the axes' difference
    assert "broken in 4.1.0-4.1.3, threaded from 4.1.4" in page.inner_text("#evidence-body")
    page.click("#evidence-close")
    page.click('[id="5.2/sessions.file"] a')
    body = shows(page, "#evidence-body", "Workaround")
    assert "use the db or cache session backend" in body


def test_upgrade_view_compares_a_release_as_shipped_with_its_latest_patch(sample_page, sample_report):
    from report.upgrade import shipped_changes

    data = sample_report[1]
    sample_page.select_option("#upgrade-shipped", "4.1")
    rows = sample_page.eval_on_selector_all(
        "#upgrade-table tbody tr",
        "(trs) => trs.map((tr) => [tr.querySelector('a').getAttribute('href'), ...[...tr.children].map((c) => c.textContent)])",
    )
    expected = [
        ["#" + c.anchor, c.what, label(c.before["state"]), label(c.after["state"]), c.after["reason"]]
        for c in shipped_changes(data, "4.1")
    ]
    assert rows == expected and any(row[1] == "orm.related-managers" for row in rows)
    assert "4.1.0 → 4.1.13" in sample_page.inner_text("#upgrade-caption")
    assert "shipped=4.1" in sample_page.url
    reopen(sample_page, sample_page.url)
    assert sample_page.input_value("#upgrade-shipped") == "4.1"
    assert sample_page.eval_on_selector_all("#upgrade-table tbody tr", "(trs) => trs.length") == len(expected)
    sample_page.select_option("#upgrade-shipped", "")
    assert "shipped=" not in sample_page.url
    assert "4.1.0" not in sample_page.inner_text("#upgrade-caption")

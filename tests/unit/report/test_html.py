"""The page's markup, rendered from the committed run (or, where a test renders its own, from a slice of it):
unique permalinks, searchable rows, escaped evidence."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from contract.states import STATES
from report import html
from tests.unit.report.sample import sample

COMMITTED = Path(__file__).resolve().parents[3] / "report" / "out" / "results.json"
HOSTILE = "<script>window.injected = true</script>"


class Tags(HTMLParser):
    """Every start tag's attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page(data) -> str:
    return html.render(data)


@pytest.fixture(scope="module")
def page_tags(page) -> list[tuple[str, dict[str, str | None]]]:
    """The committed page's start tags, parsed once for the module (a second or so of CPU each time)."""
    return tags(page)


@pytest.mark.parametrize(
    ("background", "text"),
    [("#000000", "#ffffff"), ("#ffffff", "#000000"), ("#0072b2", "#ffffff"), ("#e69f00", "#000000")],
)
def test_text_on_a_state_colour_is_whichever_of_black_and_white_reads_better(background, text):
    assert html.text_on(background) == text


def test_every_state_colour_has_a_text_colour_in_both_schemes(page):
    for name, state in STATES.items():
        assert f"--{name}: {state.colour}; --on-{name}: {html.text_on(state.colour)};" in page
        assert f"--{name}: {state.dark_colour}; --on-{name}: {html.text_on(state.dark_colour)};" in page


def test_every_id_is_unique_so_every_permalink_opens_one_cell(page_tags):
    ids = Counter(attrs["id"] for _, attrs in page_tags if attrs.get("id"))
    assert [anchor for anchor, n in ids.items() if n > 1] == []
    assert "5.2/auth.password-check" in ids and "shipped/5.2/auth.password-check" in ids


def test_the_roadmap_shows_only_release_columns_beside_the_item(page, data):
    roadmap = page[page.index('id="roadmap-table"') : page.index('id="api-table"')]
    assert roadmap.count('<th class="release"') == len(data["releases"])
    assert "<dt>Planned</dt>" in roadmap and "<dt>Delay</dt>" in roadmap  # in each item's fold-out, not a column


def test_rows_are_found_by_the_apis_their_probes_call(page_tags):
    rows = [attrs for tag, attrs in page_tags if tag == "tr" and attrs.get("data-search")]
    assert "aauthenticate" in next(row["data-search"] or "" for row in rows if row.get("id") == "item-async-auth")
    found = [row for row in rows if "aauthenticate" in (row["data-search"] or "")]
    assert len(found) >= 5  # the item, both auth probes, and the API rows


def test_as_shipped_cells_link_to_their_evidence_and_differences_are_escaped():
    hostile = sample()
    hostile["axes"]["differences"] = [
        {
            "release": "5.2",
            "subject": "auth.password-check",
            "shipped": "blocking",
            "latest": "threaded",
            "versions": {"django": ["5.2", "5.2.9"]},
            "cause": HOSTILE,
            "link": None,
        }
    ]
    page = html.render(hostile)
    assert HOSTILE not in page
    assert "&lt;script&gt;window.injected" in page
    differing = [attrs for tag, attrs in tags(page) if tag == "td" and "axis-differs" in (attrs.get("class") or "")]
    assert len(differing) == 2  # both sub-columns of the differing cell
    assert 'href="#shipped/5.2/auth.password-check"' in page


def with_issues() -> dict[str, Any]:
    """tests/unit/report/sample.py's slice of the committed run with matrix.yaml's known issues, one note hostile."""
    data = sample()
    hostile = {"probe": "sessions.db", "releases": ["5.2"], "note": HOSTILE, "workaround": HOSTILE}
    return {**data, "known_issues": [*data["known_issues"], hostile]}


def test_cells_with_a_known_issue_carry_a_marker_and_their_panel_data():
    page = html.render(with_issues())
    marked = {attrs.get("id") for tag, attrs in tags(page) if tag == "td" and "has-issue" in (attrs.get("class") or "")}
    # 4.1.0 as shipped has #34139, fixed in 4.1.4: the latest 4.1 patch has not.
    assert "shipped/4.1/orm.related-managers" in marked and "4.1/orm.related-managers" not in marked
    assert {"5.2/sessions.file", "shipped/5.2/sessions.file", "5.2/streaming.sync-iterator@uvicorn"} <= marked
    assert "4.1/sessions.file" not in marked
    notes = json.loads(page.split('<script type="application/json" id="cell-notes">')[1].split("</script>")[0])
    (issue,) = notes["shipped/4.1/orm.related-managers"]["issues"]
    assert issue["ticket_url"] == "https://code.djangoproject.com/ticket/34139"
    assert issue["fixed_in_url"] == "https://docs.djangoproject.com/en/stable/releases/4.1.4/"


def test_known_issue_text_stays_text():
    page = html.render(with_issues())
    assert HOSTILE not in page
    assert "5.2/sessions.db" in page.split('id="cell-notes">')[1].split("</script>")[0]

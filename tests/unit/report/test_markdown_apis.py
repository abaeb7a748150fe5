"""The Markdown report's API sections from cells built in code: a table per area, each probe's verdicts, and the
known issues with their links; probe-originated text stays text."""

from __future__ import annotations

from typing import Any

from contract.matrix import load_matrix
from report import markdown, twoaxis
from report.model import ReportData
from report.view import Report
from tests.unit.report.test_markdown import HOSTILE, TEXT, _lines, measured_data


def test_the_api_section_follows_the_roadmap_table_with_a_table_per_area():
    sections = [line for line in TEXT.splitlines() if line.startswith("## ")]
    assert sections[:2] == ["## Roadmap items", "## Async APIs, one row per API"]
    assert "### auth" in TEXT and "### sessions" in TEXT


def test_an_api_row_gives_state_and_stall_per_release_and_safe_from():
    (row,) = _lines("`aauthenticate (known user)` · auth.password-check")
    cells = [text.strip() for text in row.strip("|").split("|")]
    versions = [r.version for r in load_matrix().releases]
    by_release = dict(zip(versions, cells[1:]))
    assert by_release["5.2"] == "◒ blocking 193 ms"
    assert by_release["6.1"] == "◐ threaded 0 ms"
    assert by_release["5.1"] == "○ absent"
    assert cells[-1] == "safe from 6.1"


def test_each_probe_says_on_which_releases_its_apis_are_safe():
    (db,) = _lines("- `sessions.db`", "not there on")
    assert "safe on 5.2, 6.0, 6.1" in db
    (file,) = _lines("- `sessions.file`", "not there on")
    assert "stalls or fails on 5.2, 6.0, 6.1 (aload)" in file and "safe on" not in file
    (check,) = _lines("- `auth.password-check`", "not there on")
    assert "stalls or fails on 5.2, 6.0 (aauthenticate (known user))" in check and "safe on 6.1" in check


def test_probe_originated_text_is_neutralised():
    assert HOSTILE not in TEXT and "<img" not in TEXT
    (row,) = _lines("· sessions.signed-cookies", "onerror")
    assert row.count(" | ") == len(load_matrix().releases) + 1  # the name's pipe cannot add a column


# --- Known issues and workarounds (issue 21, item 3): from matrix.yaml, with ticket and release-note links. ---

HOSTILE_ISSUE = {
    "probe": "sessions.db",
    "releases": ["5.2"],
    "note": HOSTILE,
    "ticket": None,
    "fixed_in": None,
    "workaround": "a | b <b>bold</b>",
}


def with_issues(data: ReportData) -> Any:  # ReportData with a hostile known issue
    """`data` with matrix.yaml's known issues, one of them hostile, and a bisected cause of an axes' difference."""
    both = twoaxis.attach(data, data, [], {})
    both["axes"]["differences"] = [
        {
            "release": "4.1",
            "subject": "orm.related-managers",
            "shipped": "broken",
            "latest": "threaded",
            "versions": {"django": ["4.1", "4.1.13"]},
            "cause": "broken in 4.1.0-4.1.3, threaded from 4.1.4",
            "link": "https://docs.djangoproject.com/en/stable/releases/4.1.4/",
        }
    ]
    issues = [issue.to_data() for issue in load_matrix().known_issues]
    return {**both, "known_issues": [*issues, HOSTILE_ISSUE]}


ISSUES = markdown.render(Report(with_issues(measured_data())))


def _issue_lines(*words: str) -> list[str]:
    section = ISSUES[ISSUES.index("## Known issues and workarounds") :]
    section = section[: section.index("\n## ")]
    return [line for line in section.splitlines() if all(word in line for word in words)]


def test_known_issues_follow_the_api_view():
    sections = [line for line in ISSUES.splitlines() if line.startswith("## ")]
    assert sections[sections.index("## Async APIs, one row per API") + 1] == "## Known issues and workarounds"
    bare = {**measured_data(), "known_issues": []}
    assert "## Known issues" not in markdown.render(
        Report(bare)
    )  # data without known issues or causes has no such section


def test_a_known_issue_links_its_ticket_and_the_release_notes_of_its_fix():
    (line,) = _issue_lines("- `orm.related-managers` on")
    assert line.startswith("- `orm.related-managers` on 4.1 before 4.1.4:")
    assert "[#34139](https://code.djangoproject.com/ticket/34139)" in line
    assert "fixed in [4.1.4](https://docs.djangoproject.com/en/stable/releases/4.1.4/)" in line


def test_a_known_issue_gives_its_releases_as_a_range_and_its_workaround():
    (line,) = _issue_lines("`sessions.file`")
    assert line.startswith("- `sessions.file` on 5.1-6.1:")
    assert line.endswith("Workaround: use the db or cache session backend (their async methods run off the loop).")
    assert "code.djangoproject.com" not in line  # no ticket was verified, so none is named


def test_bisected_causes_show_beside_the_known_issues_with_their_release_notes():
    (line,) = _issue_lines("4.1 `orm.related-managers`", "as shipped")
    assert "broken in 4.1.0-4.1.3, threaded from 4.1.4" in line
    assert "([release notes](https://docs.djangoproject.com/en/stable/releases/4.1.4/))" in line


def test_known_issue_text_is_neutralised():
    assert HOSTILE not in ISSUES and "<b>" not in ISSUES
    (line,) = _issue_lines("`sessions.db`")
    assert "&lt;img" in line and "a \\| b" in line
    assert "[a](" not in line and "\\[a\\](" in line and "\\`x\\`" in line  # neither a link nor a code span

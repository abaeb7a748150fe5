"""The Markdown report from cells built in code: the API section, the roadmap's parts and its axis labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contract.matrix import load_matrix
from contract.rows import Cell, Row, cell
from report import markdown, twoaxis
from report.export import to_data
from report.model import ReportData
from report.results import EnvRun, Merged, servers_of
from report.roadmap import evaluate
from report.view import Report

HOSTILE = "aget | <img src=x onerror=alert(1)> `x` [a](javascript:alert(1))"
# Per probe: release -> (cell state, {API: (state, stall ms)}); every other cell is absent with no API.
MEASURED: dict[str, dict[str, tuple[str, dict[str, tuple[str, float]]]]] = {
    "auth.password-check": {
        "5.2": ("blocking", {"aauthenticate (known user)": ("blocking", 192.584)}),
        "6.0": ("blocking", {"aauthenticate (known user)": ("blocking", 190.1)}),
        "6.1": ("threaded", {"aauthenticate (known user)": ("threaded", 0.4)}),
    },
    "auth.async-api": {
        version: ("threaded", {"aauthenticate": ("threaded", 0.5)}) for version in ("5.2", "6.0", "6.1")
    },
    "sessions.db": {version: ("threaded", {"aload": ("threaded", 0.9)}) for version in ("5.2", "6.0", "6.1")},
    "sessions.file": {version: ("blocking", {"aload": ("blocking", 201.4)}) for version in ("5.2", "6.0", "6.1")},
    "sessions.signed-cookies": {
        version: ("native", {"aload": ("native", 0.0), HOSTILE: ("native", 0.0)}) for version in ("5.2", "6.0", "6.1")
    },
}


def _cell(version: str, probe: str, server: str | None) -> Cell:
    state, apis = MEASURED.get(probe, {}).get(version, ("absent", {}))
    facts = {"found": list(apis), "missing": [], "apis": {name: {"state": s} for name, (s, _) in apis.items()}}
    row: Row = {
        "id": probe,
        "server": server,
        "state": state,
        "reason": "made up",
        "facts": facts if apis else {},
        "measurements": {"stall_ms": {name: ms for name, (_, ms) in apis.items()}} if apis else {},
        "duration": 0.1,
        "source_hash": "abc",
        "reproduce": "tox",
    }
    return cell(version, row)


def measured_data() -> ReportData:
    matrix = load_matrix()
    started = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    runs = tuple(
        EnvRun(r, "complete", versions={"django": r.django, "asgiref": "3.9"}, started=started, duration=1.0)
        for r in matrix.releases
    )
    cells = {
        (r.version, p.id, server): _cell(r.version, p.id, server)
        for r in matrix.releases
        for p in matrix.probes
        for server in servers_of(p)
    }
    merged = Merged(matrix, runs, cells)
    return to_data(merged, evaluate(merged), started, {"os": "Linux", "arch": "x86_64", "cpus": 2, "python": "3.13.0"})


TEXT = markdown.render(Report(measured_data()))


def _lines(*words: str) -> list[str]:
    return [line for line in TEXT.splitlines() if all(word in line for word in words)]


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


def test_a_roadmap_cell_whose_probes_differ_names_its_parts():
    (line,) = _lines("- `async-sessions` in")
    assert (
        "5.2, 6.0, 6.1: absent: sessions.cache, sessions.cached-db; blocking: sessions.file; threaded: sessions.db; "
        "native: sessions.signed-cookies"
    ) in line
    (auth,) = _lines("- `async-auth` in 5.2, 6.0:")
    assert "blocking: auth.password-check; threaded: auth.async-api" in auth


def test_the_roadmap_header_names_the_axis_of_its_cells_and_of_first_shipped():
    (header,) = _lines("| Item (cells: latest patch, today's dependencies) |")
    assert "First native (latest patch)" in header
    both = twoaxis.attach(measured_data(), measured_data(), [], {})
    (header,) = [
        line for line in markdown.render(Report(both)).splitlines() if line.startswith("| Item (cells: latest")
    ]
    assert "First shipped (as shipped: X.Y.0 on its day's deps)" in header


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

"""The Markdown report from cells built in code: the roadmap's parts and its axis labels (the API sections:
test_markdown_apis.py)."""

from __future__ import annotations

import datetime as dt

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

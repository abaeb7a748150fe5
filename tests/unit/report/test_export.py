"""The merged data: roadmap parts (text and states wherever an item's deciding probes differ), known issues, and
version regressions with both sides' reasons."""

from __future__ import annotations

import datetime as dt

from contract.matrix import load_matrix
from report.export import to_data
from report.results import EnvRun, Merged, servers_of
from report.roadmap import evaluate
from tests.unit.report.test_markdown import _cell, measured_data


def test_roadmap_items_carry_their_parts_as_text_and_by_state():
    auth = next(item for item in measured_data()["roadmap"] if item["id"] == "async-auth")
    assert auth["states"]["5.2"] == "blocking"
    assert auth["parts"]["5.2"] == "blocking: auth.password-check; threaded: auth.async-api"
    assert auth["parts_by_state"]["5.2"] == {"blocking": ["auth.password-check"], "threaded": ["auth.async-api"]}
    assert "4.2" not in auth["parts"]  # both absent there: nothing differs


def test_the_known_issues_of_matrix_yaml_reach_the_merged_data():
    issues = measured_data()["known_issues"]
    related = next(issue for issue in issues if issue["probe"] == "orm.related-managers")
    assert related["ticket"] == 34139
    assert related["ticket_url"] == "https://code.djangoproject.com/ticket/34139"
    assert related["fixed_in"] == "4.1.4"


def test_a_probes_version_regression_carries_both_sides_reasons():
    matrix = load_matrix()
    started = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    runs = tuple(EnvRun(r, "complete", versions={"django": r.django}, started=started) for r in matrix.releases)
    cells = {
        (r.version, p.id, server): _cell(r.version, p.id, server)
        for r in matrix.releases
        for p in matrix.probes
        for server in servers_of(p)
    }
    key = next(key for key in cells if key[:2] == ("6.0", "sessions.db"))
    cells[key] = {**cells[key], "state": "blocking", "reason": "now blocks"}
    merged = Merged(matrix, runs, cells)
    data = to_data(merged, evaluate(merged), started, {"os": "Linux", "arch": "x86_64", "cpus": 2, "python": "3.13.0"})
    (found,) = [r for r in data["regressions"]["probes"] if r["subject"].startswith("sessions.db")]
    assert (found["before_release"], found["before"], found["after_release"], found["after"]) == (
        "5.2",
        "threaded",
        "6.0",
        "blocking",
    )
    assert (found["before_reason"], found["after_reason"]) == ("made up", "now blocks")

"""Run-to-run comparison: every kind of change, what else changed, and which files can be compared."""

from __future__ import annotations

import json
from typing import Any

import pytest

from report.baseline import change_data, compare, load
from report.inputs import IncompatibleResults

VERSIONS = {"django": "5.2.19", "python": "3.13.0", "asgiref": "3.13.0", "uvicorn": "0.54.0"}


def _cell(subject: str = "views.async@uvicorn", state: str = "native", **extra: Any) -> dict[str, Any]:
    probe, _, server = subject.partition("@")
    return {
        "release": "5.2",
        "probe": probe,
        "server": server or None,
        "subject": subject,
        "anchor": f"5.2/{subject}",
        "state": state,
        "reason": f"it is {state}",
        "facts": {},
        "measurements": {"loop_thread": 1},
        "source_hash": "aaaaaaaaaaaa",
        "reproduce": "tox -e dj52",
        "duration": 0.1,
        **extra,
    }


def _run(*cells: dict[str, Any], versions: dict[str, str] | None = None, **extra: Any) -> Any:  # partial ReportData
    release = {"version": "5.2", "env": "dj52", "status": "complete", "problem": None, "versions": versions or VERSIONS}
    host = {"os": "Debian", "arch": "x86_64", "cpus": 2, "python": "3.11.7"}
    return {
        "schema": 1,
        "matrix_hash": "m1",
        "run": {"host": host},
        "releases": [release],
        "cells": list(cells),
        **extra,
    }


def _one(before: dict[str, Any] | None, after: dict[str, Any] | None, **after_run: Any):
    comparison = compare(_run(*[before] if before else []), _run(*[after] if after else [], **after_run), "a", "b")
    assert len(comparison.changes) <= 1
    return comparison.changes[0] if comparison.changes else None


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("native", "threaded", "regression"),
        ("threaded", "absent", "regression"),
        ("native", "broken", "regression"),
        ("blocking", "native", "improvement"),
        ("absent", "threaded", "improvement"),
        ("absent", "broken", "sideways"),
        ("native", "not-run", "not-run"),
        ("not-run", "absent", "not-run"),
        ("native", "undecided", "undecided"),
        ("undecided", "threaded", "undecided"),
    ],
)
def test_state_changes_are_classified(before, after, kind):
    change = _one(_cell(state=before), _cell(state=after))
    assert change.kind == kind
    assert (change.before["state"], change.after["state"]) == (before, after)


def test_same_state_with_other_facts_is_evidence_only():
    change = _one(_cell(facts={"error": "ValueError: a"}), _cell(facts={"error": "ValueError: b"}))
    assert change.kind == "evidence"
    assert change_data(change)["after"]["facts"] == {"error": "ValueError: b"}


def test_measurements_and_reasons_alone_are_no_change():
    assert _one(_cell(), _cell(measurements={"loop_thread": 2}, reason="other words")) is None


def test_new_and_removed_cells():
    assert _one(None, _cell()).kind == "new"
    removed = _one(_cell(), None)
    assert removed.kind == "removed" and removed.after is None and removed.anchor == "5.2/views.async@uvicorn"


def test_change_names_what_else_changed_between_the_runs():
    change = _one(
        _cell(),
        _cell(state="threaded", source_hash="bbbbbbbbbbbb"),
        versions={**VERSIONS, "django": "5.2.20", "asgiref": "3.14.0"},
    )
    assert change.context == (
        "asgiref 3.13.0 → 3.14.0",
        "django 5.2.19 → 5.2.20",
        "probe source aaaaaaaaaaaa → bbbbbbbbbbbb",
    )


def test_change_with_nothing_else_changed_says_so():
    assert "nothing recorded changed" in _one(_cell(), _cell(state="threaded")).context[0]


def test_regressions_come_first_and_are_counted():
    before = _run(_cell("a@uvicorn"), _cell("b@uvicorn"), _cell("c@uvicorn"))
    after = _run(_cell("a@uvicorn", state="not-run"), _cell("b@uvicorn", state="threaded"), _cell("c@uvicorn"))
    comparison = compare(before, after, "a", "b")
    assert [c.subject for c in comparison.changes] == ["b@uvicorn", "a@uvicorn"]
    assert comparison.counts() == {"regression": 1, "not-run": 1}
    assert [c.subject for c in comparison.regressions] == ["b@uvicorn"]


def test_other_matrix_and_machine_are_noted():
    after = _run(matrix_hash="m2")
    after["run"]["host"] = {**after["run"]["host"], "cpus": 8}
    notes = compare(_run(), after, "a", "b").notes
    assert notes == ("matrix.yaml's releases or probes changed (hash m1 → m2)", "another machine: cpus 2 → 8")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({**_run(), "schema": 2}, "schema 2, but this report reads schema 1"),
        ({"schema": 1, "env": "dj52", "probes": []}, "not a merged results file"),
        ("{half", "cannot read it as JSON"),
    ],
)
def test_load_rejects_files_it_cannot_compare(tmp_path, content, problem):
    path = tmp_path / "baseline.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    with pytest.raises(IncompatibleResults, match=problem):
        load(path)

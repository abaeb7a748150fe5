"""The Markdown report's sections about the runs: both axes side by side with each difference's cause, the
changes since the baseline with both sides' evidence."""

from __future__ import annotations

from report import markdown
from report.markdown_runs import axes_section, since_baseline
from report.view import Report
from tests.unit.report.test_twoaxis import SUBJECT, _data


def test_markdown_marks_the_differing_cell_with_its_cause_and_what_differed():
    cause = {
        "sentence": "broken in 3.0.0-3.0.2, native from 3.0.3",
        "link": "https://docs.djangoproject.com/en/stable/releases/3.0.3/",
    }
    text = "\n".join(axes_section(Report(_data(cause=cause))))
    assert "| Probe | 3.0.0, 2019-12 deps | 3.0.14, today |" in text
    assert f"| `{SUBJECT}` | **✗ broken ≠** | **● native ≠** |" in text
    notes = "([release notes](https://docs.djangoproject.com/en/stable/releases/3.0.3/))"
    assert f"Cause: broken in 3.0.0-3.0.2, native from 3.0.3 {notes}. Differs" in text
    assert "Differs: django 3.0 → 3.0.14." in text
    assert markdown._first_shipped(_data()) == "First shipped (as shipped: X.Y.0 on its day's deps)"


def test_a_difference_not_bisected_yet_says_how_to_bisect():
    assert "not bisected yet (`tox -e bisect -- --all`)" in "\n".join(axes_section(Report(_data())))


def test_no_axes_no_section():
    assert axes_section(Report({"releases": []})) == []


def test_no_baseline_says_how_to_make_one():
    assert since_baseline(None) == [
        "No baseline yet: nothing to compare this run with. `python -m report --accept` makes it the baseline."
    ]


def test_a_change_since_the_baseline_shows_both_sides_evidence_and_what_else_changed():
    side = {
        "state": "native",
        "reason": "on the loop",
        "facts": {"thread": "loop"},
        "source_hash": "a",
        "reproduce": "",
    }
    change = {
        "kind": "regression",
        "release": "5.2",
        "subject": SUBJECT,
        "anchor": f"5.2/{SUBJECT}",
        "before": side,
        "after": {**side, "state": "threaded", "reason": "a | worker", "facts": {}},
        "context": ["asgiref 3.8 → 3.9"],
    }
    comparison = {
        "before": "baseline.json",
        "after": "this run",
        "counts": {"regression": 1},
        "changes": [change],
        "notes": [],
    }
    lines = since_baseline(comparison)
    assert lines[:3] == ["Compared with baseline.json.", "", "1 changed cells: **1 regression**."]
    assert lines[-1].splitlines()[-1] == (
        f"| **regression** | `5.2/{SUBJECT}` | ● native: on the loop (thread=loop) | ◐ threaded: a \\| worker "
        "| asgiref 3.8 → 3.9 |"
    )

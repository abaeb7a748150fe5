"""The two-axis report: both axes side by side and never merged, first shipped read from the shipped axis (and
saying so), a differing cell marked with what differed and its bisected cause, hostile text kept inert."""

from __future__ import annotations

import json
from typing import Any

import pytest

import report.__main__ as report_main
from report import twoaxis
from report.axes import AxisDifference
from report.model import ReportData

SUBJECT = "views.async-function@uvicorn"


def _axis(django: str, state: str, first_shipped: str | None, subject: str = SUBJECT) -> Any:  # partial ReportData
    return {
        "releases": [
            {
                "version": "3.0",
                "env": "dj30",
                "django": django,
                "python": "3.7",
                "status": "complete",
                "problem": None,
                "released": "2019-12-02",
                "versions": {"django": django, "asgiref": "3.2.3"},
                "duration": 2.0,
                "timings": {},
            }
        ],
        "cells": [
            {
                "release": "3.0",
                "probe": subject.split("@")[0],
                "server": "uvicorn",
                "state": state,
                "reason": "r",
                "reproduce": "tox -e dj30",
                "subject": subject,
                "ran_on": {"django": django, "asgiref": "3.2.3"},
                "facts": {"found": ["aget"]},
                "measurements": {"stall_ms": {"aget": 1.5}},
                "duration": 0.5,
            }
        ],
        "roadmap": [
            {
                "id": "async-views",
                "states": {"3.0": state},
                "first_shipped": first_shipped,
                "first_shipped_text": f"{first_shipped} ({state})" if first_shipped else "never",
                "shipped_delay": None,
            }
        ],
    }


def _data(subject: str = SUBJECT, cause: Any = None) -> ReportData:
    latest, shipped = _axis("3.0.14", "native", "3.0", subject), _axis("3.0", "broken", None, subject)
    probe, server = subject.split("@")
    found = [
        AxisDifference("3.0", probe, server, shipped="broken", latest="native", versions={"django": ("3.0", "3.0.14")})
    ]
    causes = {("3.0", subject): cause} if cause else {}
    return twoaxis.attach(latest, shipped, found, causes)


def test_first_shipped_comes_from_the_shipped_axis_and_says_so():
    (item,) = _data()["roadmap"]
    assert item["first_shipped"] is None  # broken as shipped: 3.0.0 did not ship it, whatever 3.0.14 does
    assert item["first_shipped_axis"] == "shipped"
    assert item["first_shipped_latest"] == "3.0"
    assert item["states_shipped"] == {"3.0": "broken"}


def test_the_shipped_axis_keeps_its_env_timings():
    (row,) = _data()["axes"]["shipped"]["timings"]
    assert (row["env"], row["duration"], row["probes"]) == ("dj30", 2.0, 0.5)
    assert row["slowest"] == f"{SUBJECT} 0.50 s"


def test_the_axes_stay_apart_with_their_own_versions():
    data = _data()
    assert data["cells"][0]["state"] == "native"
    assert data["axes"]["shipped"]["cells"][0]["state"] == "broken"
    assert data["axes"]["shipped"]["cells"][0]["ran_on"] == {"django": "3.0", "asgiref": "3.2.3"}
    # The evidence of an as-shipped cell opens like a latest one's, and feeds the API view of that axis.
    assert data["axes"]["shipped"]["cells"][0]["facts"] == {"found": ["aget"]}
    assert data["axes"]["shipped"]["cells"][0]["measurements"] == {"stall_ms": {"aget": 1.5}}
    assert twoaxis.headers(data) == [("3.0.0, 2019-12 deps", "3.0.14, today")]


GOOD_CAUSES = {"causes": [{"release": "3.0", "subject": SUBJECT, "sentence": "changed with asgiref", "link": None}]}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "not valid JSON (Expecting value: line 1 column 1 (char 0))"),
        (json.dumps(GOOD_CAUSES)[:40], "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ("folder", "cannot be read (Is a directory)"),
        ("[]", "(top level): [] is not of type 'object'"),
        ('{"causes": {}}', "causes: {} is not of type 'array'"),
        ('{"causes": [{"release": "3.0"}]}', "causes[0]: 'subject' is a required property"),
    ],
    ids=["empty", "truncated", "binary", "folder", "list", "causes-not-a-list", "cause-without-subject"],
)
def test_an_unusable_bisections_json_names_the_file_and_the_fix(tmp_path, content, expected):
    path = tmp_path / "bisections.json"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(twoaxis.CausesError) as raised:
        twoaxis.load_causes(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and expected in message, message
    assert message.endswith("Fix: rerun `tox -e bisect -- --all` (it replaces the file) or delete it")


def test_bisections_json_is_read_by_cell_and_may_be_missing(tmp_path):
    path = tmp_path / "bisections.json"
    assert twoaxis.load_causes(path) == {}
    path.write_text(json.dumps(GOOD_CAUSES), encoding="utf-8")
    assert twoaxis.load_causes(path) == {("3.0", SUBJECT): GOOD_CAUSES["causes"][0]}


def test_the_report_exits_2_with_one_line_on_a_truncated_bisections_json(tmp_path, monkeypatch, capsys):
    path = tmp_path / "bisections.json"
    path.write_text('{"causes": [{"release": "3.0", "sub', encoding="utf-8")
    monkeypatch.setattr(report_main, "BISECTIONS_PATH", path)
    (tmp_path / "results").mkdir()
    code = report_main.main(["--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert (code, error.count("\n")) == (2, 1), error
    assert error.startswith(f"report: {path}: not valid JSON")
    assert not (tmp_path / "out").exists()

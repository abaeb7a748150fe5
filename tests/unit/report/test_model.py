"""The declared shape of results.json is the shape export writes: every key a renderer may read is declared."""

from __future__ import annotations

import json
from pathlib import Path

from report import model

COMMITTED = Path(__file__).resolve().parents[3] / "report" / "out" / "results.json"


def _keys(declared: type) -> set[str]:
    return set(declared.__required_keys__) | set(declared.__optional_keys__)  # type: ignore[attr-defined]


def test_the_committed_results_have_exactly_the_declared_keys():
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert set(data) == _keys(model.ReportData)
    assert set(data["run"]) == _keys(model.RunData)
    assert set(data["run"]["host"]) == _keys(model.Host)
    assert {key for release in data["releases"] for key in release} == _keys(model.ReleaseData)
    assert {key for cell in data["cells"] for key in cell} == _keys(model.CellData)
    assert {key for probe in data["probes"] for key in probe} == _keys(model.ProbeData)
    assert {key for item in data["roadmap"] for key in item} == _keys(model.RoadmapData)
    assert {key for score in data["scores"] for key in score} == _keys(model.ScoreData)
    assert {key for issue in data["known_issues"] for key in issue} <= _keys(model.KnownIssueData)
    shipped = data["axes"]["shipped"]
    assert set(data["axes"]) == _keys(model.AxesData) and set(shipped) == _keys(model.ShippedAxis)
    assert {key for release in shipped["releases"] for key in release} == _keys(model.ShippedRelease)
    assert {key for cell in shipped["cells"] for key in cell} == _keys(model.ShippedCell)
    assert {key for row in shipped["timings"] for key in row} == _keys(model.TimingRow)
    assert {key for difference in data["axes"]["differences"] for key in difference} == _keys(model.DifferenceData)
    regressions = data["regressions"]["roadmap"] + data["regressions"]["probes"]
    assert {key for regression in regressions for key in regression} <= _keys(model.RegressionData)

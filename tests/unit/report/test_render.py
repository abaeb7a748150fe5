"""The written outputs: every file is there, results.json is plain data, and injected markup stays text."""

from __future__ import annotations

import json

from report.__main__ import main
from tests.unit.report.conftest import INJECTED


def test_outputs_are_written(built_report):
    assert {p.name for p in built_report.iterdir()} == {
        "results.json",
        "results.csv",
        "report.md",
        "report.html",
        "history.jsonl",
    }
    lines = (built_report / "results.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "axis,release,django,asgiref,probe,server,api,state,stall_ms,reason"
    assert any(line.startswith("latest,5.2,") for line in lines) and any(line.startswith("shipped,") for line in lines)


def test_results_json_has_every_release_and_a_not_run_reason(built_report):
    data = json.loads((built_report / "results.json").read_text(encoding="utf-8"))
    assert [r["version"] for r in data["releases"]][:2] == ["2.2", "3.0"]
    missing = next(c for c in data["cells"] if c["anchor"] == "3.0/asgi.entrypoint@uvicorn")
    assert missing["state"] == "not-run" and missing["reason"]
    assert next(i for i in data["roadmap"] if i["id"] == "async-request-stack")["states"]["6.1"] == "absent"
    assert data["regressions"]["roadmap"][0]["after_release"] == "6.1"


def test_html_escapes_results(built_report):
    page = (built_report / "report.html").read_text(encoding="utf-8")
    assert "<script>window.injected" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;window.injected" in page  # in the cell's title attribute, as text


def test_markdown_escapes_results_and_reads_without_colour(built_report):
    text = (built_report / "report.md").read_text(encoding="utf-8")
    assert INJECTED not in text
    assert "● native" in text and "– not-run" in text and "○ absent" in text
    assert "## Legend" in text and "## Versions of each env" in text


def test_diff_command_prints_changes(built_report, capsys):
    assert main(["--results", str(built_report.parent / "results"), "diff", "5.2", "6.1"]) == 0
    out = capsys.readouterr().out
    assert "Upgrading 5.2 → 6.1" in out and "async-request-stack" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_diff_rejects_unknown_release(built_report, capsys):
    assert main(["--results", str(built_report.parent / "results"), "diff", "5.2", "9.9"]) == 2
    assert "release '9.9' is not in matrix.yaml" in capsys.readouterr().err

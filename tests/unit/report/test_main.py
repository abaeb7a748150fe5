"""The regression workflow end to end: no baseline yet, accept, a regression fails the run, compare, history."""

from __future__ import annotations

import json
from pathlib import Path

from report.__main__ import main
from tests.unit.report.test_inputs import REAL, _write


def _printed(capsys) -> str:
    """What the command printed, with rich's line wrapping undone."""
    return " ".join(capsys.readouterr().out.split())


def _run(tmp_path: Path, matrix: Path, *extra: str) -> int:
    """The report of `tmp_path`/results on `matrix` (the small one, conftest.py) into `tmp_path`/out."""
    return main(
        ["--matrix", str(matrix), "--results", str(tmp_path / "results"), "--out", str(tmp_path / "out"), *extra]
    )


def _regress_dj52(tmp_path: Path) -> str:
    """Turn dj52's first native row threaded, as a new asgiref might; return its anchor."""
    rows = [dict(row) for row in REAL["dj52"]["probes"]]
    first = next(row for row in rows if row["state"] == "native")
    first.update(state="threaded", reason="ran on a worker thread", facts={"on_loop_thread": False})
    _write(tmp_path / "results", "dj52", probes=rows, versions={**REAL["dj52"]["versions"], "asgiref": "9.9.9"})
    return f"5.2/{first['id']}@{first['server']}" if first["server"] else f"5.2/{first['id']}"


def test_regression_workflow(tmp_path, capsys, small_matrix):
    _write(tmp_path / "results", "dj52")
    _write(tmp_path / "results", "dj61")

    assert _run(tmp_path, small_matrix) == 0  # the first run: nothing to compare with, never a failure
    assert "No baseline yet" in _printed(capsys)
    assert "No baseline yet" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")

    assert _run(tmp_path, small_matrix, "--accept") == 0
    assert "is the first baseline" in _printed(capsys)
    baseline = json.loads((tmp_path / "out" / "baseline.json").read_text(encoding="utf-8"))
    assert baseline["cells"] == json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["cells"]

    assert _run(tmp_path, small_matrix) == 0  # an unchanged tree stays green
    assert "No cell changed." in _printed(capsys)

    anchor = _regress_dj52(tmp_path)
    (tmp_path / "results" / "dj61.json").unlink()  # and an env that crashed: loud, but not a regression
    assert _run(tmp_path, small_matrix) == 1
    out = _printed(capsys)
    assert f"REGRESSION {anchor}: ● native → ◐ threaded" in out
    assert "asgiref 3.13.0 → 9.9.9" in out and "exit status 1" in out
    assert "NOT-RUN 6.1/" in out
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert (
        f"| **regression** | `{anchor}` | ● native: " in markdown and "◐ threaded: ran on a worker thread" in markdown
    )
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'changed k-regression" id="' + anchor + '"' in page and 'id="baseline-table"' in page

    assert _run(tmp_path, small_matrix, "--accept") == 0
    out = _printed(capsys)
    assert "now holds this run" in out and f"{anchor}: ● native → ◐ threaded (regression)" in out
    assert _run(tmp_path, small_matrix) == 0

    assert main(["--out", str(tmp_path / "out"), "history"]) == 0
    out = _printed(capsys)
    assert "Run history" in out and f"{anchor}: native → threaded (regression)" in out
    # 6 renders of 2 runs, 2 lines: a render, the --accept of the same results and a render after it are one run
    assert len((tmp_path / "out" / "history.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    assert main(["--out", str(tmp_path / "out"), "prune", "--keep", "1"]) == 0
    assert "dropped 1 run(s)" in _printed(capsys)
    (line,) = (tmp_path / "out" / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert f"{anchor}: native → threaded (regression)" in line


def test_compare_two_result_files(tmp_path, capsys):
    old = _write(tmp_path / "old", "dj52")
    anchor = _regress_dj52(tmp_path)
    assert main(["compare", str(old), str(tmp_path / "results" / "dj52.json")]) == 1
    assert f"REGRESSION {anchor}" in _printed(capsys)
    assert main(["compare", str(old), str(old)]) == 0
    assert "No cell changed." in _printed(capsys)


def test_an_unreadable_baseline_is_an_error_unless_accepting(tmp_path, capsys, small_matrix):
    _write(tmp_path / "results", "dj52")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "baseline.json").write_text('{"schema": 0, "cells": []}', encoding="utf-8")
    assert _run(tmp_path, small_matrix) == 2
    assert "schema 0, but this report reads schema 1" in capsys.readouterr().err
    assert _run(tmp_path, small_matrix, "--accept") == 0
    assert json.loads((tmp_path / "out" / "baseline.json").read_text(encoding="utf-8"))["schema"] == 1


def test_version_regressions_carry_both_evidences(built_report):
    data = json.loads((built_report / "results.json").read_text(encoding="utf-8"))
    regression = next(r for r in data["regressions"]["probes"] if r["subject"] == "asgi.entrypoint@uvicorn")
    assert (regression["before_release"], regression["after_release"], regression["after_reason"]) == (
        "5.2",
        "6.1",
        "gone",
    )
    assert "(before: &lt;script&gt;" in (built_report / "report.md").read_text(encoding="utf-8")

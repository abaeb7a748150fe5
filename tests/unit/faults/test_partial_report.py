"""Partial runs in the report: accepting one keeps the baseline's other cells; "first shipped" never skips a release
that did not run."""

from __future__ import annotations

import json
from pathlib import Path

from contract.matrix import load_matrix
from report.__main__ import main
from report.results import load_results
from report.roadmap import evaluate
from tests.unit.faults.test_report_inputs import _row, results_file

MATRIX = load_matrix()


def _rows(env: str, item_id: str, state: str) -> list[dict]:
    """Rows that decide roadmap item `item_id` as `state`, under every server its probes run under."""
    item = next(item for item in MATRIX.roadmap if item.id == item_id)
    probes = {probe.id: probe for probe in MATRIX.probes}
    return [
        _row(env, ref.probe, server, state)
        for ref in item.probes
        for server in (("uvicorn", "daphne") if probes[ref.probe].servers else (None,))
    ]


def _item(folder: Path, item_id: str):
    merged = load_results(MATRIX, folder, interpreter=lambda version: True)
    return next(result for result in evaluate(merged).items if result.item.id == item_id)


def test_accept_after_a_partial_run_keeps_the_baselines_cells_that_did_not_run(tmp_path, capsys, small_matrix):
    results, out = tmp_path / "results", tmp_path / "out"
    args = ["--matrix", str(small_matrix), "--results", str(results), "--out", str(out)]
    for version in ("5.2", "6.1"):
        results_file(results, version, probes=_rows(MATRIX.release(version).env, "async-views", "native"))
    assert main([*args, "--accept"]) == 0
    (results / "dj52.json").unlink()  # the next run is partial: only 6.1 ran
    capsys.readouterr()
    assert main([*args, "--accept"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "kept 6 cells of the previous baseline that did not run now" in printed
    baseline = json.loads((out / "baseline.json").read_text(encoding="utf-8"))
    kept = {cell["subject"]: cell["state"] for cell in baseline["cells"] if cell["release"] == "5.2"}
    assert kept["views.async-function@uvicorn"] == "native"
    # So a real regression in 5.2 later still fails the run.
    results_file(results, "5.2", probes=_rows("dj52", "async-views", "threaded"))
    assert main(args) == 1


def test_first_shipped_is_unknown_when_an_earlier_release_did_not_run(tmp_path):
    results_file(tmp_path, "6.1", probes=_rows("dj61", "async-views", "native"))
    item = _item(tmp_path, "async-views")
    assert item.first_shipped is None and item.first_native is None
    assert item.shipped_text == "unknown (2.2 … 6.0 did not run)"
    assert str(item.shipped_delay).startswith("unknown")


def test_first_shipped_names_the_one_release_that_did_not_run(tmp_path):
    for version, state in (("2.2", "absent"), ("3.0", "absent"), ("3.2", "threaded")):
        results_file(tmp_path, version, probes=_rows(MATRIX.release(version).env, "async-views", state))
    item = _item(tmp_path, "async-views")
    assert item.first_shipped is None
    assert item.shipped_text == "unknown (3.1 did not run)"


def test_first_shipped_is_known_when_every_earlier_release_ran(tmp_path):
    for version, state in (("2.2", "absent"), ("3.0", "absent"), ("3.1", "threaded")):
        results_file(tmp_path, version, probes=_rows(MATRIX.release(version).env, "async-views", state))
    item = _item(tmp_path, "async-views")
    assert (item.first_shipped, item.shipped_text) == ("3.1", "3.1 (threaded)")
    assert item.native_text == "unknown (3.2 … 6.1 did not run)"

"""Results from many folders, machines and runs: one source per env, clashes and other matrices refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contract.matrix import ROOT, load_matrix
from report.__main__ import main
from report.inputs import IncompatibleResults, env_results, gather, matrix_hash
from tests.unit.report.sample import cut_env

MATRIX = load_matrix()
# Two envs' results as two CI jobs would upload them, taken from the committed report's real run: the rows of the
# small matrix's probes (conftest.py), which the reports below are built on.
REAL: dict[str, Any] = {
    env: cut_env(data)
    for env, data in env_results(
        json.loads((ROOT / "report" / "out" / "results.json").read_text(encoding="utf-8"))
    ).items()
}


def _write(folder: Path, env: str, **changes: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{env}.json"
    path.write_text(json.dumps({**REAL[env], **changes}), encoding="utf-8")
    return path


def _build(tmp_path: Path, name: str, matrix: Path, *sources: Path) -> dict[str, Any]:
    out = tmp_path / name
    args = [arg for source in sources for arg in ("--results", str(source))]
    assert main(["--matrix", str(matrix), *args, "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    del data["generated"]  # the only field that depends on when the report ran
    return data


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory, small_matrix: Path) -> dict[str, Any]:
    """The report of dj52 and dj61 from one machine's results folder, built once for the module's comparisons."""
    folder = tmp_path_factory.mktemp("one-machine")
    for env in ("dj52", "dj61"):
        _write(folder / "results", env)
    return _build(folder, "out-one", small_matrix, folder / "results")


def test_two_jobs_folders_merge_to_the_same_report_as_one_folder(tmp_path, one, small_matrix):
    for env in ("dj52", "dj61"):
        _write(tmp_path / f"job-{env}", env)
    jobs = _build(tmp_path, "out-jobs", small_matrix, tmp_path / "job-dj52", tmp_path / "job-dj61" / "dj61.json")
    assert jobs == one
    statuses = {r["env"]: r["status"] for r in one["releases"]}
    assert statuses["dj52"] == statuses["dj61"] == "complete" and statuses["dj22"] == "missing"


def test_a_merged_file_from_another_machine_is_an_input_too(tmp_path, one, small_matrix):
    _write(tmp_path / "a", "dj52")
    _write(tmp_path / "b", "dj61")
    # Machine A ran dj52 and built its report; machine B only uploaded dj61.json.
    _build(tmp_path, "machine-a", small_matrix, tmp_path / "a")
    both = _build(tmp_path, "out-both", small_matrix, tmp_path / "machine-a" / "results.json", tmp_path / "b")
    assert both == one


def test_two_results_for_one_env_are_an_error_naming_both(tmp_path):
    first, second = _write(tmp_path / "a", "dj52"), _write(tmp_path / "b", "dj52")
    with pytest.raises(IncompatibleResults, match=r"two results for dj52: .*a/dj52.json .* and .*b/dj52.json"):
        gather(MATRIX, [first, second])


def test_the_cli_refuses_a_clash_with_status_2(tmp_path, capsys):
    args = ["--results", str(_write(tmp_path / "a", "dj52")), "--results", str(_write(tmp_path / "b", "dj52"))]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert "--prefer newest" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("prefer", "winner"), [("newest", "a"), ("last", "b")])
def test_prefer_says_which_result_wins(tmp_path, prefer, winner):
    newer = _write(tmp_path / "a", "dj52", started="2030-01-01T00:00:00+00:00")
    older = _write(tmp_path / "b", "dj52", started="2020-01-01T00:00:00+00:00")
    assert gather(MATRIX, [newer, older], prefer)["dj52"].path.parent.name == winner


def test_a_missing_source_is_an_error(tmp_path):
    with pytest.raises(IncompatibleResults, match="no such file or folder"):
        gather(MATRIX, [tmp_path / "nowhere"])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"schema": 2}, "schema 2, but this report reads schema 1"),
        ({"matrix_hash": "000000000000"}, "built from another matrix.yaml"),
        ({"matrix_hash": None}, "built from another matrix.yaml"),
    ],
)
def test_a_merged_file_of_another_schema_or_matrix_is_refused(tmp_path, change, problem):
    merged = tmp_path / "results.json"
    merged.write_text(json.dumps({"schema": 1, "matrix_hash": matrix_hash(MATRIX), "cells": [], **change}))
    with pytest.raises(IncompatibleResults, match=problem):
        gather(MATRIX, [merged])


def test_a_merged_file_of_the_wrong_shape_names_the_field(tmp_path):
    data = json.loads((ROOT / "report" / "out" / "results.json").read_text(encoding="utf-8"))
    data["cells"][3]["state"] = "fast"
    data["matrix_hash"] = matrix_hash(MATRIX)  # the shape is under test, not whether the committed report is current
    merged = tmp_path / "results.json"
    merged.write_text(json.dumps(data))
    with pytest.raises(IncompatibleResults, match=r"cells\[3\]\.state: 'fast' is not one of .*merged\.schema\.json"):
        gather(MATRIX, [merged])


def test_matrix_hash_follows_releases_and_probes_only():
    assert len(matrix_hash(MATRIX)) == 12 and matrix_hash(MATRIX) == matrix_hash(MATRIX.__class__(**vars(MATRIX)))
    fewer = MATRIX.__class__(MATRIX.path, MATRIX.releases, MATRIX.tools_python, MATRIX.tools_pins, MATRIX.probes[1:])
    assert matrix_hash(fewer) != matrix_hash(MATRIX)
    no_roadmap = MATRIX.__class__(MATRIX.path, MATRIX.releases, "3.12", {}, MATRIX.probes, ())
    assert matrix_hash(no_roadmap) == matrix_hash(MATRIX)


def test_one_folder_named_twice_is_one_source(tmp_path, monkeypatch, small_matrix):
    _write(tmp_path / "a", "dj52")
    monkeypatch.chdir(tmp_path)
    same = [Path("a"), tmp_path / "a", Path("a/../a/"), Path("a/dj52.json")]
    assert gather(MATRIX, same)["dj52"].path.resolve() == tmp_path / "a" / "dj52.json"
    assert (
        main(["--matrix", str(small_matrix), "--results", "a", "--results", "a", "--out", str(tmp_path / "out")]) == 0
    )

"""Bad, stale and partial inputs to the report: a clear line and exit 2, never a traceback, never a silent pass.

Exit status contract (report/__main__.py): 0 fine, 1 a regression, 2 an input the report cannot trust.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import report.__main__ as entry
from contract.matrix import LATEST, MATRIX_PATH, SHIPPED, MatrixError, load_matrix
from report import history
from report.results import load_results

MATRIX = load_matrix()
ESC = "\x1b"


def _row(env: str, probe: str = "asgi.entrypoint", server: str | None = "uvicorn", state: str = "native") -> dict:
    return {
        "id": probe,
        "server": server,
        "state": state,
        "reason": "served on the loop",
        "facts": {},
        "measurements": {},
        "duration": 0.1,
        "source_hash": "abc123def456",
        "reproduce": f'tox -e {env} -- -k "test_entrypoint and {server}"',
    }


def results_file(folder: Path, version: str, axis: str = LATEST, **changes: Any) -> Path:
    """A valid results/<env>.json for `version` on `axis`, recorded on exactly what matrix.yaml pins, with `changes`."""
    release = MATRIX.on_axis(axis).release(version)
    data = {
        "schema": 1,
        "env": release.env,
        "release": release.version,
        "versions": {"python": f"{release.python}.1", "django": release.django},
        "started": "2026-11-25T08:16:30+00:00",
        "duration": 1.0,
        "complete": True,
        "probes": [_row(release.env, server=server) for server in ("uvicorn", "daphne")],
        **changes,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{release.env}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def report(capsys, small_matrix):
    """`python -m report` with `args`, on the small matrix (conftest.py) unless they name one: its exit code, what it
    printed on one line, and its errors."""

    def run(*args: str) -> tuple[int, str, str]:
        matrix = [] if "--matrix" in args else ["--matrix", str(small_matrix)]
        code = entry.main([*matrix, *args])
        captured = capsys.readouterr()
        return code, " ".join(captured.out.split()), captured.err

    return run


def _matrix_with(tmp_path: Path, old: str, new: str) -> Path:
    text = MATRIX_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "matrix.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# 6. Crashes are exit 2 with one clear line; the outputs stay consistent.


def test_an_impossible_date_in_matrix_yaml_names_line_key_and_value(tmp_path, report):
    matrix = _matrix_with(tmp_path, "released: 2019-04-01", "released: 2019-02-30")
    code, _, err = report("--matrix", str(matrix), "--out", str(tmp_path / "out"))
    assert code == 2
    line = _one_line(err)
    assert "matrix.yaml:" in line and "releases[0].released" in line and "2019-02-30" in line and "Fix:" in line


def test_a_latin1_matrix_yaml_says_it_is_not_utf8(tmp_path, report):
    matrix = tmp_path / "matrix.yaml"
    matrix.write_bytes(MATRIX_PATH.read_bytes() + "# café\n".encode("latin-1"))
    code, _, err = report("--matrix", str(matrix), "--out", str(tmp_path / "out"))
    assert code == 2
    line = _one_line(err)
    assert "not UTF-8" in line and f":{MATRIX_PATH.read_text().count(chr(10)) + 1}:" in line and "Fix:" in line


@pytest.mark.parametrize("started", ["2026-02-30T08:00:00+00:00", "yesterday", "2026-11-25 08:16"])
def test_a_started_that_is_not_a_time_makes_that_env_invalid(tmp_path, started, report):
    results_file(tmp_path / "results", "5.2", started=started)
    results_file(tmp_path / "results", "6.1")
    code, out, err = report("--results", str(tmp_path / "results"), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "dj52.json: started:" in err and "Traceback" not in err
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    states = {(c["release"], c["server"]): c["state"] for c in data["cells"] if c["probe"] == "asgi.entrypoint"}
    assert states[("5.2", "uvicorn")] == "not-run" and states[("6.1", "uvicorn")] == "native"


def test_an_unwritable_output_folder_is_one_line_and_exit_2(tmp_path, report):
    results_file(tmp_path / "results", "6.1")
    # As root no permission bit stops a write; sysfs refuses new folders to anyone.
    code, _, err = report("--results", str(tmp_path / "results"), "--out", "/sys/probe-report-out")
    assert code == 2
    assert "cannot write" in _one_line(err)


def test_report_html_being_a_folder_writes_nothing_at_all(tmp_path, report):
    results_file(tmp_path / "results", "6.1")
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    code, _, err = report("--results", str(tmp_path / "results"), "--out", str(out))
    assert code == 2
    assert "report.html" in _one_line(err) and "folder" in err
    assert sorted(path.name for path in out.iterdir()) == ["report.html"]  # no results.json without its report


# 7. Stale, mismatched and unreadable results are not-run with the reason, and fail the run.


def _cell(merged, version: str, server: str = "uvicorn"):
    return merged.cell(version, "asgi.entrypoint", server)


def test_a_file_recorded_on_another_django_patch_is_mismatched(tmp_path):
    pinned = MATRIX.release("4.1").django
    results_file(tmp_path, "4.1", versions={"python": "3.11.7", "django": "4.1.2"})
    merged = load_results(MATRIX, tmp_path, interpreter=lambda version: True)
    cell = _cell(merged, "4.1")
    assert cell["state"] == "not-run"
    assert "Django 4.1.2" in cell["reason"] and pinned in cell["reason"] and "tox -e dj41" in cell["reason"]


def test_a_file_recorded_on_another_python_is_mismatched(tmp_path):
    results_file(tmp_path, "5.2", versions={"python": "3.12.1", "django": MATRIX.release("5.2").django})
    cell = _cell(load_results(MATRIX, tmp_path, interpreter=lambda version: True), "5.2")
    assert cell["state"] == "not-run" and "Python 3.12.1" in cell["reason"] and "3.13" in cell["reason"]


def test_a_row_kept_from_an_earlier_run_on_another_django_is_mismatched_alone(tmp_path):
    release = MATRIX.release("5.2")
    old = _row("dj52", server="daphne")
    old["earlier"] = {"started": "2026-01-01T00:00:00+00:00", "versions": {"python": "3.13.0", "django": "5.2.1"}}
    results_file(tmp_path, "5.2", partial=True, probes=[_row("dj52"), old])
    merged = load_results(MATRIX, tmp_path, interpreter=lambda version: True)
    assert _cell(merged, "5.2")["state"] == "native"
    kept = _cell(merged, "5.2", "daphne")
    assert kept["state"] == "not-run" and "5.2.1" in kept["reason"] and release.django in kept["reason"]


def test_a_local_file_whose_python_is_not_installed_is_stale(tmp_path, monkeypatch, report):
    # tox skipped dj52 for its missing interpreter, so results/dj52.json is left from an earlier run.
    results_file(tmp_path / "results", "5.2")
    monkeypatch.setattr(entry, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr("report.results.python_available", lambda version: version != "3.13")
    code, out, err = report("--out", str(tmp_path / "out"))
    assert code == 2
    assert "stale" in err and "Python 3.13" in err and "dj52" in err
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert {c["state"] for c in data["cells"] if c["release"] == "5.2"} == {"not-run"}


def test_a_truncated_results_file_fails_the_report_and_compare(tmp_path, report):
    good = results_file(tmp_path / "old", "6.1")
    truncated = tmp_path / "new" / "dj61.json"
    truncated.parent.mkdir()
    truncated.write_text(good.read_text(encoding="utf-8")[:50], encoding="utf-8")
    code, _, err = report("--results", str(tmp_path / "new"), "--out", str(tmp_path / "out"))
    assert code == 2 and "dj61.json: not valid JSON" in err
    code, _, err = report("compare", str(good), str(truncated))
    assert code == 2 and "dj61.json: not valid JSON" in err


def test_require_all_fails_when_an_expected_env_has_no_results(tmp_path, report):
    results_file(tmp_path / "results", "6.1")
    common = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")]
    assert report(*common)[0] == 0
    code, _, err = report(*common, "--require-all")
    assert code == 2
    missing = _one_line(err).split("no results for ")[1].removesuffix(" (--require-all)").split(", ")
    assert "dj22" in missing and "dj61" not in missing and "dj61-shipped" in missing


def test_require_all_names_a_missing_as_shipped_env_too(tmp_path, report):
    for release in MATRIX.releases:
        results_file(tmp_path / "results", release.version)
        if release.version != "3.1":
            results_file(tmp_path / "results", release.version, SHIPPED)
    common = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")]
    code, _, err = report(*common, "--require-all")
    assert code == 2
    assert _one_line(err).endswith("no results for dj31-shipped (--require-all)")


def _rewrite(path: Path, **changes: Any) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **changes}), encoding="utf-8")


# The as-shipped axis's files are checked, and fail the report, as the latest axis's are: one check for both.
BAD_FILES = {
    "another Django": (
        lambda path: _rewrite(path, versions={"python": "3.7.17", "django": "3.1.5"}),
        "mismatched: recorded on Django 3.1.5",
    ),
    "truncated": (lambda path: path.write_text(path.read_text(encoding="utf-8")[:500]), "not valid JSON"),
    "an unknown state": (
        lambda path: _rewrite(path, probes=[_row("dj31", state="bogus")]),
        "probes[0].state: 'bogus' is not one of",
    ),
}


@pytest.mark.parametrize("axis", [LATEST, SHIPPED])
@pytest.mark.parametrize("bad", BAD_FILES)
def test_a_bad_file_fails_the_report_on_either_axis(tmp_path, axis, bad, report):
    spoil, problem = BAD_FILES[bad]
    for each in (LATEST, SHIPPED):
        results_file(tmp_path / "results", "3.1", each)
    env = MATRIX.on_axis(axis).release("3.1").env
    spoil(tmp_path / "results" / f"{env}.json")
    code, _, err = report("--results", str(tmp_path / "results"), "--out", str(tmp_path / "out"))
    assert code == 2, err
    line = _one_line(err)
    assert f"{env}.json: {problem}" in line and line.endswith("; its cells count as not-run")


def test_an_as_shipped_file_is_named_for_its_env(tmp_path):
    # Its name, not the `env` inside, says whose file it is: a copy of dj31.json renamed is not dj31's.
    path = results_file(tmp_path, "3.1", SHIPPED, env="dj31")
    merged = load_results(MATRIX.on_axis(SHIPPED), tmp_path, interpreter=lambda version: True)
    run = next(run for run in merged.runs if run.release.version == "3.1")
    assert run.status == "invalid"
    assert str(run.problem) == f"{path}: env: says 'dj31', but this file belongs to 'dj31-shipped'"


def test_the_ci_workflow_requires_every_env():
    workflow = (MATRIX_PATH.parent / ".github" / "workflows" / "matrix.yml").read_text(encoding="utf-8")
    assert "tox -e report -- --results results --require-all" in workflow


# 8. Nothing from a results file drives the terminal or breaks the Markdown.


def test_escapes_in_recorded_versions_reach_neither_terminal_nor_markdown(tmp_path, report):
    hostile = f"5.2.19{ESC}[2J{ESC}]0;owned\x07\n## Injected heading"
    results_file(tmp_path / "results", "6.1")
    assert report("--results", str(tmp_path / "results"), "--out", str(tmp_path / "out"), "--accept")[0] == 0
    release = MATRIX.release("6.1")
    versions = {"python": f"{release.python}.1", "django": release.django, "asgiref": hostile}
    results_file(tmp_path / "results", "6.1", versions=versions, probes=[_row("dj61", state="threaded")])
    _, out, err = report("--results", str(tmp_path / "results"), "--out", str(tmp_path / "out"))
    assert ESC not in out + err and "\x07" not in out + err
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert ESC not in markdown
    assert not [line for line in markdown.splitlines() if line.startswith("## Injected")]


# 9. Smaller ones.


def test_an_empty_matrix_says_what_to_write(tmp_path):
    path = tmp_path / "matrix.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(MatrixError, match=r"matrix.yaml: the file is empty. Fix: "):
        load_matrix(path)


def test_a_matrix_without_releases_says_what_to_write(tmp_path):
    text = MATRIX_PATH.read_text(encoding="utf-8")
    start = text.index("\nreleases:\n") + 1
    end = text.index("\ntools:\n")
    path = tmp_path / "matrix.yaml"
    path.write_text(text[:start] + "releases: []\n" + text[end:], encoding="utf-8")
    with pytest.raises(MatrixError, match=r"matrix.yaml:\d+: releases: an empty list. Fix: list at least one"):
        load_matrix(path)


def test_a_release_on_a_python_it_does_not_support_is_refused(tmp_path):
    release = MATRIX.release("6.1")
    block = f"django: {release.django}\n"
    text = MATRIX_PATH.read_text(encoding="utf-8")
    start = text.index(block)
    python_line = text.index(f'python: "{release.python}"', start)
    path = tmp_path / "matrix.yaml"
    path.write_text(text[:python_line] + 'python: "3.9"' + text[python_line + len(f'python: "{release.python}"') :])
    with pytest.raises(MatrixError, match=r"releases\[\d+\]\.python: Django 6\.1 does not support Python 3\.9.*Fix:"):
        load_matrix(path)


def test_a_results_file_of_a_newer_schema_says_so(tmp_path):
    results_file(tmp_path, "6.1", schema=2, new_key=True)
    cell = _cell(load_results(MATRIX, tmp_path, interpreter=lambda version: True), "6.1")
    assert cell["state"] == "not-run"
    assert "written by a newer version" in cell["reason"] and "schema 2" in cell["reason"]


def test_no_results_folder_reports_every_env_not_run(tmp_path, monkeypatch, report):
    monkeypatch.setattr(entry, "RESULTS_DIR", tmp_path / "results")
    code, _, err = report("--out", str(tmp_path / "out"))
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert {cell["state"] for cell in data["cells"]} == {"not-run"}


def test_a_broken_history_line_is_reported_and_kept(tmp_path, report):
    path = tmp_path / "history.jsonl"
    path.write_text('{"generated": "a"}\n{"generated": "b", truncated\n{"generated": "c"}\n', encoding="utf-8")
    code, _, err = report("--history", str(path), "history")
    assert code == 0
    assert "history.jsonl:2: not valid JSON" in err
    history.append(path, {"generated": "d"})
    assert path.read_text(encoding="utf-8").splitlines()[1] == '{"generated": "b", truncated'

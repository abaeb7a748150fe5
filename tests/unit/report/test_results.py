"""Merging results files: a missing interpreter, a missing file, a stopped env or a bad file is not-run, never a gap."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from contract.matrix import ROOT, load_matrix
from report.results import load_results, python_available

MATRIX = load_matrix()


def _row(probe: str = "asgi.entrypoint", server: str | None = "uvicorn", state: str = "native", **extra: Any):
    return {
        "id": probe,
        "server": server,
        "state": state,
        "reason": "served",
        "facts": {},
        "measurements": {},
        "duration": 0.1,
        "source_hash": "abc123def456",
        "reproduce": f'tox -e dj52 -- -k "test_entrypoint and {server}"',
        **extra,
    }


def _file(env: str = "dj52", release: str = "5.2", complete: bool = True, rows: list | None = None) -> dict:
    return {
        "schema": 1,
        "env": env,
        "release": release,
        # what matrix.yaml pins: other versions make the file mismatched
        "versions": {"python": f"{MATRIX.release(release).python}.1", "django": MATRIX.release(release).django},
        "started": "2026-11-25T08:16:30+00:00",
        "duration": 4.2,
        "complete": complete,
        "probes": [_row()] if rows is None else rows,
    }


def _merge(tmp_path: Path, files: dict[str, Any], python_found: bool = True):
    for env, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (tmp_path / f"{env}.json").write_text(text, encoding="utf-8")
    return load_results(MATRIX, tmp_path, interpreter=lambda version: python_found)


def test_every_release_probe_and_server_gets_a_cell(tmp_path):
    merged = _merge(tmp_path, {"dj52": _file()})
    expected = sum(len(MATRIX.releases) * (2 if p.servers else 1) for p in MATRIX.probes)
    assert len(merged.cells) == expected
    assert merged.cell("5.2", "asgi.entrypoint", "uvicorn")["state"] == "native"


def test_missing_file_with_interpreter_says_env_crashed_or_not_run(tmp_path):
    cell = _merge(tmp_path, {}).cell("3.0", "asgi.entrypoint", "daphne")
    assert cell["state"] == "not-run"
    assert cell["reason"] == "no results file: the env crashed or was not run (see `tox -e dj30`)"


def test_missing_file_without_interpreter_says_how_to_install(tmp_path):
    cell = _merge(tmp_path, {}, python_found=False).cell("3.0", "asgi.entrypoint", "uvicorn")
    assert cell["state"] == "not-run"
    assert cell["reason"] == "Python 3.9 not found: install it with `pyenv install 3.9` or `uv python install 3.9`"


def test_incomplete_file_keeps_its_rows_and_marks_the_rest(tmp_path):
    merged = _merge(tmp_path, {"dj52": _file(complete=False)})
    assert merged.cell("5.2", "asgi.entrypoint", "uvicorn")["state"] == "native"
    rest = merged.cell("5.2", "asgi.entrypoint", "daphne")
    assert (rest["state"], rest["reason"]) == ("not-run", "the env stopped before this probe")


def test_complete_file_without_a_row_is_not_run(tmp_path):
    cell = _merge(tmp_path, {"dj52": _file()}).cell("5.2", "websocket.django", "uvicorn")
    assert cell["state"] == "not-run"
    assert "without a row for this probe" in cell["reason"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "results/dj52.json: not valid JSON (line 1, column 2"),
        (json.dumps(_file())[:-40], "results/dj52.json: not valid JSON"),
        ({**_file(), "schema": 0}, "results/dj52.json: schema: 1 was expected"),
        ({**_file(), "schema": 2}, "results/dj52.json: written by a newer version of this project (schema 2;"),
        ({**_file(), "complete": "yes"}, "results/dj52.json: complete: 'yes' is not of type 'boolean'"),
        (_file(rows=[_row(state="nativ")]), "results/dj52.json: probes[0].state: 'nativ' is not one of"),
        (
            _file(rows=[{k: v for k, v in _row().items() if k != "reason"}]),
            "probes[0]: 'reason' is a required property",
        ),
        (_file(env="dj51"), "results/dj52.json: env: says 'dj51', but this file belongs to 'dj52'"),
        (_file(release="5.1"), "results/dj52.json: release: says '5.1', but dj52 runs Django 5.2"),
    ],
)
def test_bad_file_names_file_and_field_and_keeps_other_envs(tmp_path, content, problem):
    merged = _merge(tmp_path, {"dj52": content, "dj61": _file(env="dj61", release="6.1")})
    run = next(run for run in merged.runs if run.release.env == "dj52")
    assert run.status == "invalid"
    assert problem in str(run.problem).replace(str(tmp_path), "results")
    cell = merged.cell("5.2", "asgi.entrypoint", "uvicorn")
    assert cell["state"] == "not-run" and cell["reason"] == run.problem
    assert merged.cell("6.1", "asgi.entrypoint", "uvicorn")["state"] == "native"


def test_rows_outside_matrix_are_warned_about_and_left_out(tmp_path):
    merged = _merge(tmp_path, {"dj52": _file(rows=[_row(), _row(probe="orm.unknown"), _row()])})
    assert any("'orm.unknown'" in w and "not in matrix.yaml" in w for w in merged.warnings)
    assert any("has two rows" in w for w in merged.warnings)


# Like pyenv's shim: the Python comes from PYENV_VERSION, else from .python-version in the current folder.
FAKE_SHIM = """#!/bin/sh
version="${PYENV_VERSION:-$(cat .python-version 2>/dev/null)}"
case "$version" in *3.9*) exit 0 ;; esac
echo "pyenv: python3.9: command not found" >&2
exit 127
"""


@pytest.fixture
def pyenv_shim(tmp_path, monkeypatch):
    """python3.9 as a pyenv shim; python_available's cache is cleared before and after."""
    shim = tmp_path / "shims" / "python3.9"
    shim.parent.mkdir()
    shim.write_text(FAKE_SHIM, encoding="utf-8")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    python_available.cache_clear()
    yield
    python_available.cache_clear()


def test_an_interpreter_is_found_when_tox_runs_from_another_folder(tmp_path, monkeypatch, pyenv_shim):
    # `cd /tmp && tox -c PROJECT/tox.ini -e report`: tox's own shim exports the Python pyenv picked for /tmp
    # (its global one), and tox passes PYENV_VERSION on (tox.ini); the project's .python-version lists 3.9.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYENV_VERSION", "3.11.7")
    monkeypatch.setenv("PYENV_DIR", str(tmp_path))
    assert "3.9" in (ROOT / ".python-version").read_text(encoding="utf-8").split()
    assert python_available("3.9")

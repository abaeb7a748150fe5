"""Faults during a probe run: a server dies mid-probe, a probe hangs, pytest is SIGKILLed half-way.

Each fault runs in a real pytest subprocess with the recorder, as tox runs a probe env; the outcome is the
row the recorder wrote (not-run with the reason, never a verdict) and no server left behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from contract.evidence import ROOT
from contract.matrix import MATRIX_PATH, load_matrix
from report.__main__ import main
from tests.unit.harness import recorded

# Four probes in one run: the second's server is killed under it, the third hangs, the fourth shows the run went on.
FAULTY_SUITE = """
import os, signal, time
import httpx
import pytest
from harness.processes.servers import run_server
from contract.states import State, Verdict

APP = "tests.unit.harness.asgi_app:app"

def remember(server, name):
    with open(os.path.join(os.environ["PID_DIR"], name), "w") as handle:
        handle.write(str(server.process.pid))

@pytest.mark.probe("faults.before")
def test_before(probe):
    probe.record(Verdict(State.NATIVE, "ran before the faults"))

@pytest.mark.probe("faults.server-dies")
def test_server_dies(probe, tmp_path):
    with run_server("uvicorn", tmp_path, app=APP) as server:
        remember(server, "dies")
        mark = server.log_mark()
        os.kill(server.process.pid, signal.SIGKILL)
        try:  # as tests/probes/conftest.py::get does: a client error is an observation
            seen = str(httpx.get(server.url("/"), timeout=2).status_code)
        except httpx.HTTPError as exc:
            seen = repr(exc)
        probe.record(Verdict(State.BROKEN, f"a dead server taken for a broken feature: {seen} {server.log_since(mark)}"))

@pytest.mark.probe("faults.hangs")
def test_hangs(probe, tmp_path):
    with run_server("uvicorn", tmp_path, app=APP) as server:
        remember(server, "hangs")
        time.sleep(60)

@pytest.mark.probe("faults.after")
def test_after(probe):
    probe.record(Verdict(State.NATIVE, "ran after the faults"))
"""

# pytest is SIGKILLed (as the OOM killer or `kill -9` would) while the second probe holds a server.
KILLED_SUITE = """
import os, signal
import pytest
from harness.processes.servers import run_server
from contract.states import State, Verdict

@pytest.fixture(params=["uvicorn", "daphne"])
def asgi_server(request):
    return request.param

@pytest.mark.probe("asgi.entrypoint")
def test_entrypoint(asgi_server, probe, tmp_path):
    if asgi_server == "uvicorn":
        probe.record(Verdict(State.NATIVE, "finished before the kill"))
        return
    with run_server("uvicorn", tmp_path, app="tests.unit.harness.asgi_app:app") as server:
        with open(os.path.join(os.environ["PID_DIR"], "killed"), "w") as handle:
            handle.write(str(server.process.pid))
        os.kill(os.getpid(), signal.SIGKILL)
"""


def run_suite(folder: Path, suite: str, *options: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `suite` under the recorder as env dj52; return the exit code, the results file and the servers' PIDs."""
    (folder / "test_suite.py").write_text(suite, encoding="utf-8")
    pids, results = folder / "pids", folder / "results" / "dj52.json"
    pids.mkdir()
    command = recorded.command("-q", *options, str(folder / "test_suite.py"))
    environ = recorded.environment(results, PID_DIR=str(pids), PROBE_ENV="dj52", **(env or {}))
    done = subprocess.run(command, cwd=folder, env=environ, capture_output=True, text=True, timeout=60)
    return {
        "returncode": done.returncode,
        "output": done.stdout + done.stderr,
        "data": json.loads(results.read_text(encoding="utf-8")),
        "pids": {path.name: int(path.read_text()) for path in pids.iterdir()},
    }


def is_running(pid: int, grace: float = 5.0) -> bool:
    """Whether `pid` still runs after `grace` seconds; a zombie (dead, not yet reaped by init) does not count."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    run = run_suite(tmp_path_factory.mktemp("faulty"), FAULTY_SUITE, "--timeout=2")
    run["rows"] = {row["id"]: row for row in run["data"]["probes"]}
    return run


def test_server_that_dies_mid_probe_is_not_run_with_its_exit(faulty):
    row = faulty["rows"]["faults.server-dies"]
    assert row["state"] == "not-run", row["reason"]
    assert row["reason"].startswith(
        "the probe crashed in call: ServerDied: uvicorn was killed by SIGKILL during the probe. Log tail:"
    )
    assert not is_running(faulty["pids"]["dies"])


def test_hung_probe_times_out_as_not_run_and_its_server_stops(faulty):
    row = faulty["rows"]["faults.hangs"]
    assert row["state"] == "not-run"
    assert row["reason"] == "the probe crashed in call: Failed: Timeout (>2.0s) from pytest-timeout."
    assert not is_running(faulty["pids"]["hangs"])


def test_run_goes_on_after_the_faults(faulty):
    assert [row["id"] for row in faulty["data"]["probes"]] == [
        "faults.before",
        "faults.server-dies",
        "faults.hangs",
        "faults.after",
    ]
    assert faulty["rows"]["faults.after"]["state"] == "native"
    assert faulty["data"]["complete"] is True
    assert faulty["returncode"] == 1  # the two faults fail their tests: a person reading the log sees them


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dj52's pytest SIGKILLed during its second probe; the tools env has no Django, so a dist-info stands in."""
    folder = tmp_path_factory.mktemp("killed")
    fake = folder / "site" / "Django-5.2.19.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: Django\nVersion: 5.2.19\n", encoding="utf-8")
    return run_suite(folder, KILLED_SUITE, env={"PYTHONPATH": f"{ROOT}{os.pathsep}{folder / 'site'}"})


def test_sigkilled_env_keeps_its_finished_rows(killed):
    assert killed["returncode"] == -9
    data = killed["data"]
    assert (data["release"], data["complete"]) == ("5.2", False)
    assert [(row["id"], row["server"], row["state"]) for row in data["probes"]] == [
        ("asgi.entrypoint", "uvicorn", "native")
    ]


def test_sigkilled_env_leaves_no_server(killed):
    assert not is_running(killed["pids"]["killed"])


@pytest.fixture(scope="module")
def report_of_killed(killed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`python -m report` over the killed dj52 alone, with a matrix.yaml whose 6.1 needs a Python nobody has."""
    folder = tmp_path_factory.mktemp("report")
    text = MATRIX_PATH.read_text(encoding="utf-8")
    release_61 = text.index('  - version: "6.1"')
    python_61 = text.index('python: "3.13"', release_61)
    matrix = folder / "matrix.yaml"
    text = text[:python_61] + 'python: "3.99"' + text[python_61 + len('python: "3.13"') :]
    # matrix.yaml refuses a Python Django does not support: let this 6.1 support the one nobody has.
    text = text.replace('"6.1": ["3.12", "3.13", "3.14"]', '"6.1": ["3.12", "3.13", "3.14", "3.99"]')
    matrix.write_text(text, encoding="utf-8")
    results = folder / "results"
    results.mkdir()
    # The self-tests run on the tools' Python: say dj52's own, or the report rightly calls the file mismatched.
    versions = {**killed["data"]["versions"], "python": f"{load_matrix(matrix).release('5.2').python}.0"}
    (results / "dj52.json").write_text(json.dumps({**killed["data"], "versions": versions}), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--matrix", str(matrix), "--results", str(results), "--out", str(folder / "out")])
    data = json.loads((folder / "out" / "results.json").read_text(encoding="utf-8"))
    return {"code": code, "printed": out.getvalue(), "data": data}


def _cells(report: dict[str, Any], release: str) -> dict[str, dict[str, Any]]:
    return {cell["subject"]: cell for cell in report["data"]["cells"] if cell["release"] == release}


def test_report_marks_the_killed_envs_unfinished_probes_not_run(report_of_killed):
    cells = _cells(report_of_killed, "5.2")
    assert cells.pop("asgi.entrypoint@uvicorn")["state"] == "native"
    assert {(cell["state"], cell["reason"]) for cell in cells.values()} == {
        ("not-run", "the env stopped before this probe")
    }
    release = next(r for r in report_of_killed["data"]["releases"] if r["version"] == "5.2")
    assert (release["status"], release["problem"]) == ("incomplete", "the env stopped before it finished")


def test_report_names_the_missing_python_and_how_to_install_it(report_of_killed):
    expected = "Python 3.99 not found: install it with `pyenv install 3.99` or `uv python install 3.99`"
    assert {(cell["state"], cell["reason"]) for cell in _cells(report_of_killed, "6.1").values()} == {
        ("not-run", expected)
    }
    assert f"6.1: {expected}" in " ".join(report_of_killed["printed"].split())
    assert report_of_killed["code"] == 0

"""Interrupting a probe run (Ctrl-C or tox's SIGTERM) leaves no server behind and keeps finished rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.unit.harness import recorded

HANGING_SUITE = """
import os, time
import pytest
from harness.processes.servers import run_server
from contract.states import State, Verdict

@pytest.mark.probe("done.first")
def test_first(probe):
    probe.record(Verdict(State.NATIVE, "finished before the interrupt"))

@pytest.mark.probe("hangs.second")
def test_second(probe, tmp_path):
    with run_server("uvicorn", tmp_path, app="tests.unit.harness.asgi_app:app") as server:
        with open(os.environ["SERVER_PID_FILE"], "w") as handle:
            handle.write(str(server.process.pid))
        time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_stops_server_and_keeps_rows(tmp_path, signum):
    (tmp_path / "test_hang.py").write_text(HANGING_SUITE)
    pid_file, results = tmp_path / "server.pid", tmp_path / "results.json"
    env = recorded.environment(results, SERVER_PID_FILE=str(pid_file))
    command = recorded.command("-q", str(tmp_path / "test_hang.py"))
    output = tmp_path / "pytest.log"
    with output.open("wb") as log, subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log) as run:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pid_file.exists(), output.read_text()
        server_pid = int(pid_file.read_text())
        run.send_signal(signum)
        run.wait(timeout=20)
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)
    data = json.loads(results.read_text())
    assert data["complete"] is False
    assert [(row["id"], row["state"]) for row in data["probes"]] == [("done.first", "native")]

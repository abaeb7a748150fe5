"""harness/processes/services.py: a service and everything it forks end with the process that started it, folder and all."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contract.evidence import ROOT
from harness.processes import services

# The service forks a grandchild; after SIGKILL it ignores SIGTERM, so only the watchdog's SIGKILL can end it.
OWNER = """
import signal, sys, time
from pathlib import Path
from harness.processes import services
services.STOP_TIMEOUT = 0.5  # the watchdog's grace before its SIGKILL: what is tested is that it comes, not when
folder = services.scratch_dir("probe-test-service-")
trap = "trap '' TERM; " if sys.argv[1] == "SIGKILL" else ""
command = ["sh", "-c", trap + "sleep 120 & echo $! > grandchild; wait"]
service = services.spawn(command, log=folder / "log", folder=folder, cwd=folder)
grandchild = folder / "grandchild"
while not (grandchild.exists() and grandchild.read_text().endswith("\\n")):  # the shell creates it, then writes
    time.sleep(0.01)
print(service.process.pid, grandchild.read_text().strip(), folder, flush=True)
if sys.argv[1] == "stop":
    service.stop()
    print("stopped", flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its reaper has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("how", ["stop", "SIGKILL", "SIGTERM"])
def test_service_group_and_folder_end_with_the_owner(how):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-c", OWNER, how], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    ) as owner:
        try:
            service, grandchild, folder = owner.stdout.readline().split()
            if how == "stop":
                assert owner.stdout.readline() == "stopped\n"
                assert not Path(folder).exists()  # removed by stop() itself, not later
            else:
                owner.send_signal(getattr(signal, how))
        finally:
            owner.kill()
    deadline = time.monotonic() + services.STOP_TIMEOUT + 10
    pids = [int(service), int(grandchild)]
    while (any(map(alive, pids)) or Path(folder).exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if alive(pid)], "a process of the service outlived its owner"
    assert not Path(folder).exists()


def test_user_switch_keeps_the_parent_death_signal():
    if os.geteuid() != 0:
        pytest.skip("switching user needs root")
    script = "import ctypes, os, sys; s = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(s)); "
    script += "print(os.getuid(), s.value)"
    done = subprocess.run(
        ["/usr/bin/python3", "-c", script],  # one `nobody` may run
        cwd="/",
        preexec_fn=services.die_with_parent(signal.SIGINT, "nobody"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(pwd.getpwnam("nobody").pw_uid), str(int(signal.SIGINT))]


def test_a_scratch_folder_is_in_memory_when_it_has_room_and_tmpdir_is_not_set(tmp_path, monkeypatch):
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(services, "MEMORY", memory)
    made = []

    def parent() -> Path:
        made.append(services.scratch_dir("probe-scratch-test-"))
        return made[-1].parent

    try:
        monkeypatch.delenv("TMPDIR", raising=False)
        monkeypatch.setattr(services, "MEMORY_ROOM", 0)
        assert parent() == memory
        monkeypatch.setattr(services, "MEMORY_ROOM", 1 << 60)  # more than any machine has free
        assert parent() != memory
        monkeypatch.setattr(services, "MEMORY_ROOM", 0)
        monkeypatch.setenv("TMPDIR", str(tmp_path))
        assert parent() != memory
        monkeypatch.delenv("TMPDIR")
        monkeypatch.setattr(services, "MEMORY", tmp_path / "missing")
        assert parent() != tmp_path / "missing"
    finally:
        for folder in made:
            folder.rmdir()

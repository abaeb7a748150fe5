"""Scratch folders: gone after the block, after SIGINT, SIGTERM and SIGKILL, and so are the children `run` started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from tools.scratch import run, scratch_folder

ROOT = Path(__file__).resolve().parents[3]
# A tool as a terminal starts it: it makes a scratch folder, starts a child with `run`, says both, and waits.
TOOL = """
import signal, sys, time
from tools.scratch import run, scratch_folder
signal.signal(signal.SIGINT, signal.default_int_handler)
try:
    with scratch_folder("tool-") as folder:
        print(folder, flush=True)
        run([sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"], check=False)
except KeyboardInterrupt as exc:
    print(f"interrupted by {exc}; folder left: {folder.exists()}", flush=True)
    sys.exit(130)
"""


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie nobody reaps yet counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _gone(check, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _start(tmp_path: Path, script: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def test_the_folder_is_removed_when_the_block_ends_or_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with scratch_folder("tool-") as folder:
        (folder / "venv").mkdir()
        (folder / "venv" / "file").write_text("x")
    assert folder.parent == tmp_path and folder.name.startswith("tool-")
    assert not folder.exists()
    with pytest.raises(ValueError, match="boom"), scratch_folder("tool-") as folder:
        raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []


def test_the_old_signal_handlers_are_back_after_the_block(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = [signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
    with scratch_folder("tool-"):
        assert signal.getsignal(signal.SIGTERM) is not before[1]
    assert [signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)] == before


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda n: n.name)
def test_a_signal_to_the_tool_leaves_no_folder_and_no_child(tmp_path, number):
    tool = _start(tmp_path, TOOL)
    assert tool.stdout is not None
    folder = Path(tool.stdout.readline().strip())
    child = int(tool.stdout.readline())
    assert folder.is_dir() and _alive(child)
    tool.send_signal(number)
    output, _ = tool.communicate(timeout=30)
    assert tool.returncode == (-number if number == signal.SIGKILL else 130), output
    if number != signal.SIGKILL:
        assert output == f"interrupted by {number.name}; folder left: False\n"
    assert _gone(lambda: not folder.exists()), f"{folder} left behind"
    assert _gone(lambda: not _alive(child)), f"child {child} still runs"


def test_a_signal_during_the_clean_up_does_not_cut_it_short(tmp_path):
    # tox sends SIGTERM shortly after SIGINT: here it comes while the folder is being removed.
    script = """
import os, shutil, signal, sys, time
from tools.scratch import scratch_folder
real = shutil.rmtree
def interrupted(path, **options):
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)  # the handler runs here
    real(path, **options)
shutil.rmtree = interrupted
try:
    with scratch_folder("tool-") as folder:
        (folder / "file").write_text("x")
        print(folder, flush=True)
except KeyboardInterrupt as exc:
    print(f"interrupted by {exc}; folder left: {folder.exists()}", flush=True)
    sys.exit(130)
"""
    tool = _start(tmp_path, textwrap.dedent(script))
    output, _ = tool.communicate(timeout=30)
    folder = Path(output.splitlines()[0])
    assert (tool.returncode, output.splitlines()[1:]) == (130, ["interrupted by SIGTERM; folder left: False"])
    assert not folder.exists()


def test_run_passes_its_options_through(tmp_path):
    done = run([sys.executable, "-c", "import os; print(os.getcwd())"], cwd=tmp_path, capture_output=True, text=True)
    assert done.stdout.strip() == str(tmp_path)

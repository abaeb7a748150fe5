"""Atomic writes: a writer killed at any moment leaves the old file or the new one, never a torn one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from contract.atomic import write_all_atomically, write_text_atomically
from contract.matrix import ROOT

# Rewrites a large JSON file forever, each time with a different size, until it is killed.
WRITER = """
import json, sys
from pathlib import Path
from contract.atomic import write_all_atomically, write_text_atomically
path = Path(sys.argv[1])
n = 0
while True:
    n += 1
    write_text_atomically(path, json.dumps({"n": n, "rows": ["x" * 100] * (20000 + n % 7)}))
"""


def test_replaces_content_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "deep" / "report.md"
    write_text_atomically(path, "old")
    write_text_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert [p.name for p in path.parent.iterdir()] == ["report.md"]
    # Readable by all, writable only by its owner, whatever the umask made of mkstemp's private 0600.
    assert path.stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "baseline.json"
    write_text_atomically(path, "old")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomically(path, "new")
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]


@pytest.mark.parametrize("delay", [0.15, 0.3, 0.45])
def test_writer_killed_mid_write_leaves_a_whole_file(tmp_path, delay):
    path = tmp_path / "dj52.json"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    assert json.loads(path.read_text(encoding="utf-8"))["n"] >= 1


def test_bytes_and_text_go_together_and_bytes_stay_as_they_are(tmp_path):
    png, stamp = tmp_path / "a.png", tmp_path / "a.json"
    write_all_atomically({png: b"\x89PNG\r\n\x1a\n\x00\xff", stamp: "{}\n"})
    assert png.read_bytes() == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert stamp.read_text(encoding="utf-8") == "{}\n"

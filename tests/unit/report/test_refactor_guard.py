"""Refactor guard: the committed results render to the same report.md, results.json, results.csv and terminal output.

The outputs are too large to keep as golden files, so the test keeps the sha256 of each, normalised: the run's own
`generated` time becomes `<generated>`, and the host (OS, architecture, CPUs, Python) is fixed. It renders the
committed results/ with the committed report/out/baseline.json, bench.json and bisections.json.

When a change of output is intended (new results, a new matrix.yaml, a new report section), regenerate the hashes:

    PYTHONPATH=. GUARD_PRINT=1 .tox/selftest/bin/python -m pytest tests/unit/report/test_refactor_guard.py -q -s

prints the new EXPECTED; paste it below, and say in the commit why the output changed. GUARD_DUMP=<folder> also
writes the normalised outputs there, to diff a render before a change with one after it. GUARD_MATRIX=<file> renders
with another matrix.yaml, e.g. the committed one (`git show HEAD:matrix.yaml`) while the tree's has edits.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
from pathlib import Path

import pytest

from report.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
COMMITTED_OUT = ROOT / "report" / "out"

EXPECTED = {
    "exit": "0",
    "report.md": "53ac7401e6ae36edf5f93f37b69303cce77d3eb7230b26b275c9e61282f93ce9",
    "results.json": "423023da6ab7ded2ec718604914202e26ccbb5e63d7ba0b7f8634162e46e36f3",
    "results.csv": "71f6cf123e1674391b3006fab7d4ae3d1fdbe8bc76e8a9ce46c26f1d03e93c93",
    "terminal": "73c3226d9aed58a16971d35277e564c2c8c04106521cf0cbb80c5cae85d58590",
}


def _render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """Render the committed results into tmp_path/out; each output's normalised text, and the exit status."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("baseline.json", "bench.json"):
        shutil.copyfile(COMMITTED_OUT / name, out / name)
    monkeypatch.chdir(tmp_path)  # `--out out`: paths print the same whatever the temporary folder is called
    monkeypatch.setattr(platform, "freedesktop_os_release", lambda: {"PRETTY_NAME": "Guard OS"})
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(platform, "python_version", lambda: "3.13.0")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    matrix = os.environ.get("GUARD_MATRIX", str(ROOT / "matrix.yaml"))
    status = main(["--matrix", matrix, "--results", str(ROOT / "results"), "--out", "out"])
    printed = capsys.readouterr()
    generated = json.loads((out / "results.json").read_text(encoding="utf-8"))["generated"]
    texts = {name: (out / name).read_text(encoding="utf-8") for name in ("report.md", "results.json", "results.csv")}
    texts["terminal"] = printed.out + printed.err
    return {"exit": str(status)} | {name: text.replace(generated, "<generated>") for name, text in texts.items()}


def test_the_committed_results_render_as_before(tmp_path, monkeypatch, capsys):
    rendered = _render(tmp_path, monkeypatch, capsys)
    found = {
        name: text if name == "exit" else hashlib.sha256(text.encode("utf-8")).hexdigest()
        for name, text in rendered.items()
    }
    if dump := os.environ.get("GUARD_DUMP"):
        for name, text in rendered.items():
            Path(dump, name).write_text(text, encoding="utf-8")
    if os.environ.get("GUARD_PRINT"):
        print(f"\nEXPECTED = {json.dumps(found, indent=4)}")
    assert found == EXPECTED

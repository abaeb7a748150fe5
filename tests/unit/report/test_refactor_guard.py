"""Refactor guard: the committed run renders to the same report.md, results.json, results.csv and terminal output.

results/ is not committed, so the guard renders what is: report/out/results.json (the merged run of both axes),
with report/out/baseline.json, bench.json, bisections.json, catalogue.json and sweep.json. results.json is read as
the last commit holds it (`git show HEAD:...`), since `tox p` writes a new one into the working tree before the
self-tests run (as CI does). Twice:

- `python -m report --results report/out/results.json`: the whole pipeline (merge, evaluate, compare with the
  baseline, write). A merged file brings the latest axis only, so the shipped axis shows as not run there. It fails
  while matrix.yaml has other releases or probes than the committed run: commit a run of the matrix as it is.
- the renderers on the committed results.json as it is (both axes, every difference and cause).

The outputs are too large to keep as golden files, so the test keeps the sha256 of each, normalised: the run's own
`generated` time becomes `<generated>`, and the host (OS, architecture, CPUs, Python) and today's date (the shipped
axis, with nothing run, counts its open delays to today) are fixed: the date is the committed run's `as_of`.

When a change of output is intended (a new committed run, new probes in matrix.yaml, a new report section),
regenerate the hashes:

    PYTHONPATH=. GUARD_PRINT=1 .tox/selftest/bin/python -m pytest tests/unit/report/test_refactor_guard.py -q -s

prints each test's new hashes; paste them below, and say in the commit why the output changed. GUARD_DUMP=<folder>
also writes the normalised outputs there, to diff a render before a change with one after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import types
from pathlib import Path

import pytest
from rich.console import Console

from contract.matrix import load_matrix
from report import csvout, markdown, results, terminal
from report.__main__ import main
from report.baseline import load
from report.inputs import matrix_hash
from report.patches import load_known_bugs
from report.timings import load_bench
from report.view import Report

ROOT = Path(__file__).resolve().parents[3]
COMMITTED_OUT = ROOT / "report" / "out"

PIPELINE = {
    "exit": "0",
    "report.md": "7c2b87b6a40055045ec171d042740991951125868a8a165585edfd0f48e93889",
    "results.json": "2abb429b3ca3cd0dedbe1a8e4fb429e5190318340ea57ce11042d71060c464cb",
    "results.csv": "d64c8f4946cf9e77a5309eb8e3d94b54369dd958b53e859564230fc046705d42",
    "terminal": "a4df68f13f12258e9fb742a736fdd2e3f59ea930bdc52eb115fa51456a502fe6",
}
RENDERERS = {
    "report.md": "47d93f4c820bbdb615560ff276d56e49f29f253869f4d071bb527ada748b2915",
    "results.csv": "01d902845061eef5ffd6e78cced0cde95670e962fa5587ee81f779c0b35fc336",
    "terminal": "fb0fdeaab836ec06b2344783c1a7e05fa19e8cfbb78c2646cb88f3bae153d79f",
}


def _hashes(rendered: dict[str, str], name: str) -> dict[str, str]:
    """Each output's sha256 (the exit status as it is); with GUARD_DUMP/GUARD_PRINT set, the outputs and hashes."""
    if dump := os.environ.get("GUARD_DUMP"):
        Path(dump, name).mkdir(parents=True, exist_ok=True)
        for output, text in rendered.items():
            Path(dump, name, output).write_text(text, encoding="utf-8")
    found = {
        output: text if output == "exit" else hashlib.sha256(text.encode("utf-8")).hexdigest()
        for output, text in rendered.items()
    }
    if os.environ.get("GUARD_PRINT"):
        print(f"\n{name} = {json.dumps(found, indent=4)}")
    return found


@pytest.fixture
def committed_results(tmp_path):
    """report/out/results.json as the last commit holds it, in a file of its own."""
    shown = subprocess.run(
        ["git", "show", "HEAD:report/out/results.json"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    path = tmp_path / "committed" / "results.json"
    path.parent.mkdir()
    path.write_bytes(shown)
    return path


def test_the_committed_run_goes_through_the_pipeline_as_before(tmp_path, monkeypatch, capsys, committed_results):
    built_from = json.loads(committed_results.read_text(encoding="utf-8"))["matrix_hash"]
    assert built_from == matrix_hash(load_matrix()), "matrix.yaml changed since the committed run: commit a new run"
    out = tmp_path / "out"
    out.mkdir()
    for name in ("baseline.json", "bench.json"):
        shutil.copyfile(COMMITTED_OUT / name, out / name)
    monkeypatch.chdir(tmp_path)  # `--out out`: paths print the same whatever the temporary folder is called
    monkeypatch.setattr(platform, "freedesktop_os_release", lambda: {"PRETTY_NAME": "Guard OS"})
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(platform, "python_version", lambda: "3.13.0")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    as_of = json.loads(committed_results.read_text(encoding="utf-8"))["run"]["as_of"]

    class OnTheRunsDay(dt.date):
        @classmethod
        def today(cls) -> OnTheRunsDay:
            return cls.fromisoformat(as_of)

    clock = types.ModuleType("datetime")
    clock.__dict__.update(vars(dt), date=OnTheRunsDay)
    monkeypatch.setattr(results, "dt", clock)
    status = main(["--results", str(committed_results), "--out", "out"])
    printed = capsys.readouterr()
    generated = json.loads((out / "results.json").read_text(encoding="utf-8"))["generated"]
    texts = {name: (out / name).read_text(encoding="utf-8") for name in ("report.md", "results.json", "results.csv")}
    texts["terminal"] = printed.out + printed.err
    rendered = {"exit": str(status)} | {name: text.replace(generated, "<generated>") for name, text in texts.items()}
    assert _hashes(rendered, "PIPELINE") == PIPELINE


def test_the_renderers_format_the_committed_run_as_before(committed_results):
    data = load(committed_results)
    bench, _ = load_bench(COMMITTED_OUT / "bench.json")
    printed = io.StringIO()
    terminal.summary(data, Console(file=printed, width=terminal.WIDTH, highlight=False, markup=False))
    report = Report(data, None, bench, load_known_bugs())
    rendered = {
        "report.md": markdown.render(report),
        "results.csv": csvout.render(report),
        "terminal": printed.getvalue(),
    }
    assert _hashes(rendered, "RENDERERS") == RENDERERS


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch):
    """The same bytes on a terminal and in CI."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)

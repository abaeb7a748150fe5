"""Nothing from matrix.yaml or results reaches a shell: every subprocess is started with an argument list."""

from __future__ import annotations

import re
from pathlib import Path

from contract.evidence import ROOT

# Calls that hand a string to /bin/sh.
SHELL_CALLS = re.compile(r"shell\s*=\s*True|os\.system\(|os\.popen\(|subprocess\.getoutput\(|getstatusoutput\(")
SOURCES = sorted(
    path
    for folder in ("contract", "harness", "project", "tools", "tests", "report", "bench", "requirements")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts and path != Path(__file__).resolve()
)


def test_no_source_starts_a_shell():
    assert len(SOURCES) > 50, "the scan found too few sources: check SOURCES' folders"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SHELL_CALLS.search(line)
    ]
    assert not found, "start subprocesses with an argument list, never through a shell:\n" + "\n".join(found)

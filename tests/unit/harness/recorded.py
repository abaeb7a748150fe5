"""A pytest process of its own with the recorder, as tox runs a probe env: the command and environment the tests
that run probe suites for real (the recorder's, the probe faults', the interrupts') share."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from contract.evidence import ROOT


def command(*args: str) -> list[str]:
    """`python -m pytest` with the recorder, pytest-timeout (every probe env has it) and `args`; the `probe` marker
    registered, no cache written."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "harness.recorder",
        "-p",
        "pytest_timeout",
        "-p",
        "no:cacheprovider",
        "-o",
        "markers=probe(id)",
        *args,
    ]


def environment(results: Path, **extra: str) -> dict[str, str]:
    """This process's environment with the recorder writing to `results`, and `extra`.

    The tools env's other plugins (xdist, anyio...) stay out: a probe env has none of them, and loading them took
    half of each run's CPU time."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PROBE_RESULTS": str(results),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        **extra,
    }

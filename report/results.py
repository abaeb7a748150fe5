"""Merge every env's results/<env>.json into one cell per (release, probe, server): never a gap.

matrix.yaml decides which releases and probes exist. An env without a results file, with a file
that does not match schemas/results.schema.json, or that stopped early still gets a cell for every
probe: `not-run`, with the reason (a missing interpreter, a crash, the bad field), never `absent`.
The results may come from many folders and machines: report/inputs.py picks one source per env.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.states import State
from report.inputs import Source, gather, schema_error
from report.matrix import ROOT, SERVERS, Matrix, Probe, Release, display_path

RESULTS_DIR = ROOT / "results"
# In report/schemas/: what a per-env results file must look like.
RESULTS_SCHEMA = "results.schema.json"
NOT_RUN = State.NOT_RUN.value


@dataclass(frozen=True)
class Cell:
    """One verdict: a probe, under one server (or none), on one release."""

    release: str
    probe: str
    server: str | None
    state: str
    reason: str
    reproduce: str
    facts: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Any] = field(default_factory=dict)
    duration: float | None = None
    source_hash: str | None = None

    @property
    def subject(self) -> str:
        """The row this cell sits in: `views.async-function@uvicorn`, or the bare id without a server."""
        return f"{self.probe}@{self.server}" if self.server else self.probe

    @property
    def anchor(self) -> str:
        """The permalink of this cell, like `6.1/views.async-function@uvicorn`."""
        return f"{self.release}/{self.subject}"


@dataclass(frozen=True)
class EnvRun:
    """What became of one release's env: ran (complete or not), had no file, or had a bad one."""

    release: Release
    status: str  # "complete", "incomplete", "missing" or "invalid"
    problem: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    started: dt.datetime | None = None
    duration: float | None = None
    timings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Merged:
    matrix: Matrix
    runs: tuple[EnvRun, ...]
    cells: dict[tuple[str, str, str | None], Cell]
    warnings: tuple[str, ...] = ()

    def cell(self, release: str, probe: str, server: str | None) -> Cell:
        return self.cells[(release, probe, server)]

    def rows(self) -> list[tuple[Probe, str | None]]:
        """Every (probe, server) row of the per-probe table, in matrix.yaml order."""
        return [(probe, server) for probe in self.matrix.probes for server in servers_of(probe)]

    @property
    def run_date(self) -> dt.date:
        """The day the newest env started; today when nothing ran."""
        started = [run.started for run in self.runs if run.started]
        return max(started).date() if started else dt.date.today()


class ResultsFileError(Exception):
    """A results file cannot be used; the message names the file and the field."""


def servers_of(probe: Probe) -> tuple[str | None, ...]:
    return SERVERS if probe.servers else (None,)


def python_available(version: str) -> bool:
    """Whether `python3.X` starts here (pyenv shims exist for versions they cannot run)."""
    try:
        done = subprocess.run([f"python{version}", "-c", "pass"], cwd=ROOT, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def load_results(
    matrix: Matrix,
    sources: Path | Sequence[Path] = RESULTS_DIR,
    interpreter: Callable[[str], bool] = python_available,
    prefer: str | None = None,
) -> Merged:
    """Read each release's results (from any number of files and folders) and give every cell a state.

    Raises IncompatibleResults when two sources hold the same env and `prefer` does not say which wins.
    """
    found = gather(matrix, [sources] if isinstance(sources, Path) else list(sources), prefer)
    runs: list[EnvRun] = []
    cells: dict[tuple[str, str, str | None], Cell] = {}
    warnings = [
        f"{display_path(source.path)}: env {env!r} is not a release in matrix.yaml; its results are left out"
        for env, source in found.items()
        if env not in {release.env for release in matrix.releases}
    ]
    for release in matrix.releases:
        source = found.get(release.env)
        run, rows = _read_env(release, source, interpreter)
        runs.append(run)
        indexed = _index_rows(matrix, release, source.path, rows, warnings) if source else {}
        for probe in matrix.probes:
            for server in servers_of(probe):
                row = indexed.get((probe.id, server))
                cells[(release.version, probe.id, server)] = (
                    _cell(release, row) if row else _missing_cell(release, probe, server, run)
                )
    return Merged(matrix, tuple(runs), cells, tuple(warnings))


def _read_env(
    release: Release, source: Source | None, interpreter: Callable[[str], bool]
) -> tuple[EnvRun, list[dict[str, Any]]]:
    if source is None:
        if not interpreter(release.python):
            problem = (
                f"Python {release.python} not found: install it with `pyenv install {release.python}` "
                f"or `uv python install {release.python}`"
            )
        else:
            problem = f"no results file: the env crashed or was not run (see `tox -e {release.env}`)"
        return EnvRun(release, "missing", problem), []
    try:
        data = validate_results(source, release)
    except ResultsFileError as exc:
        return EnvRun(release, "invalid", str(exc)), []
    return (
        EnvRun(
            release,
            "complete" if data["complete"] else "incomplete",
            None if data["complete"] else "the env stopped before it finished",
            data["versions"],
            dt.datetime.fromisoformat(data["started"]),
            data["duration"],
            data.get("timings", {}),
        ),
        data["probes"],
    )


def validate_results(source: Source, release: Release) -> dict[str, Any]:
    """Check one env's parsed results; raise ResultsFileError naming the file and the field."""
    name = display_path(source.path)
    if source.error:
        raise ResultsFileError(f"{name}: {source.error}")
    data = source.data
    problem = schema_error(data, RESULTS_SCHEMA)
    if problem:
        raise ResultsFileError(f"{name}: {problem}")
    if data["env"] != release.env:
        raise ResultsFileError(f"{name}: env: says {data['env']!r}, but this file belongs to {release.env!r}")
    if data["release"] != release.version:
        raise ResultsFileError(
            f"{name}: release: says {data['release']!r}, but {release.env} runs Django {release.version} "
            f"(matrix.yaml pins {release.django})"
        )
    return data


def _index_rows(
    matrix: Matrix, release: Release, path: Path, rows: list[dict[str, Any]], warnings: list[str]
) -> dict[tuple[str, str | None], dict[str, Any]]:
    expected = {(p.id, server) for p in matrix.probes for server in servers_of(p)}
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in rows:
        key = (row["id"], row["server"])
        if key not in expected:
            warnings.append(
                f"{display_path(path)}: probe {row['id']!r} (server {row['server']!r}) is not in matrix.yaml "
                "`probes:`; its row is left out"
            )
        elif key in found:
            warnings.append(
                f"{display_path(path)}: probe {row['id']!r} (server {row['server']!r}) has two rows; the first counts"
            )
        else:
            found[key] = row
    return found


def _cell(release: Release, row: dict[str, Any]) -> Cell:
    return Cell(
        release=release.version,
        probe=row["id"],
        server=row["server"],
        state=row["state"],
        reason=row["reason"],
        reproduce=row["reproduce"],
        facts=row["facts"],
        measurements=row["measurements"],
        duration=row["duration"],
        source_hash=row["source_hash"],
    )


def _missing_cell(release: Release, probe: Probe, server: str | None, run: EnvRun) -> Cell:
    if run.status in ("missing", "invalid"):
        reason = str(run.problem)
    elif run.status == "incomplete":
        reason = "the env stopped before this probe"
    else:
        reason = "the env finished without a row for this probe (is its test collected and marked?)"
    selector = f' -- -k "{server}"' if server else ""
    return Cell(release.version, probe.id, server, NOT_RUN, reason, f"tox -e {release.env}{selector}")

"""Merge every env's results/<env>.json into one cell per (release, probe, server): never a gap.

matrix.yaml decides which releases and probes exist. An env without a results file, with a file
that does not match schemas/results.schema.json, or that stopped early still gets a cell for every
probe: `not-run`, with the reason (a missing interpreter, a crash, the bad field), never `absent`.
A file (or a row kept from an earlier run) recorded on another Django or Python than matrix.yaml pins is
"mismatched", and a file tox could not have rewritten here (its Python is missing) is "stale": both count as
invalid, with the reason, and `Merged.problems` lists every such input so the report can fail on them.
The results may come from many folders and machines: report/inputs.py picks one source per env.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from contract import rows as contract
from contract.matrix import ROOT, SERVERS, Matrix, Probe, Release, display_path
from contract.rows import SCHEMA_VERSION, Cell
from contract.states import State
from report.inputs import Source, gather, schema_error
from report.model import EnvResults, EnvTimings

RESULTS_DIR = ROOT / "results"
# In contract/schemas/: what a per-env results file must look like.
RESULTS_SCHEMA = "results.schema.json"
NOT_RUN = State.NOT_RUN.value


@dataclass(frozen=True)
class EnvRun:
    """What became of one release's env: ran (complete or not), had no file, or had a bad one."""

    release: Release
    status: str  # "complete", "incomplete", "missing" or "invalid"
    problem: str | None = None
    versions: dict[str, str | None] = field(default_factory=dict)
    started: dt.datetime | None = None
    duration: float | None = None
    timings: EnvTimings = field(default_factory=lambda: EnvTimings())


@dataclass(frozen=True)
class Merged:
    matrix: Matrix
    runs: tuple[EnvRun, ...]
    cells: dict[tuple[str, str, str | None], Cell]
    warnings: tuple[str, ...] = ()
    # inputs that cannot be trusted (unreadable, stale, mismatched): shown as not-run, and the report fails
    problems: tuple[str, ...] = ()

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


def untrusted(axes: Sequence[Merged], require_all: bool = False) -> list[str]:
    """One line per input of any axis the report cannot trust (its cells count as not-run), and with `require_all`
    one naming every env of these axes that has no results: each means exit 2."""
    problems = [f"{problem}; its cells count as not-run" for merged in axes for problem in merged.problems]
    missing = [run.release.env for merged in axes for run in merged.runs if run.status == "missing"]
    if require_all and missing:
        problems.append(f"no results for {', '.join(missing)} (--require-all)")
    return problems


class ResultsFileError(Exception):
    """A results file cannot be used; the message names the file and the field."""


def servers_of(probe: Probe) -> tuple[str | None, ...]:
    return SERVERS if probe.servers else (None,)


# What pyenv's shims pick a Python by before the project's .python-version; `tox` run through its own shim from
# another folder exports that folder's choice (and tox.ini passes PYENV_VERSION on), hiding the project's Pythons.
PYENV_CHOICE = ("PYENV_VERSION", "PYENV_DIR")


@functools.cache
def python_available(version: str) -> bool:
    """Whether `python3.X` starts in this project, wherever the report runs from (pyenv shims exist for versions
    they cannot run, and pick one by the project's .python-version)."""
    env = {name: value for name, value in os.environ.items() if name not in PYENV_CHOICE}
    try:
        done = subprocess.run([f"python{version}", "-c", "pass"], cwd=ROOT, env=env, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def load_results(
    matrix: Matrix,
    sources: Path | Sequence[Path] = RESULTS_DIR,
    interpreter: Callable[[str], bool] | None = None,
    prefer: str | None = None,
    local: bool = False,
) -> Merged:
    """Read each release's results (from any number of files and folders) and give every cell a state.

    `local` says the sources are this checkout's results/, as tox here writes them: a file whose Python is not
    installed here cannot be from the latest `tox` (which skipped its env), so it is stale. Raises
    IncompatibleResults when two sources hold the same env and `prefer` does not say which wins.
    """
    interpreter = interpreter or python_available
    found = gather(matrix, [sources] if isinstance(sources, Path) else list(sources), prefer)
    runs: list[EnvRun] = []
    cells: dict[tuple[str, str, str | None], Cell] = {}
    problems: list[str] = []
    warnings = [
        f"{display_path(source.path)}: env {env!r} is not a release in matrix.yaml; its results are left out"
        for env, source in found.items()
        if env not in matrix.envs  # the other axis's files are not this merge's, but they are not strangers
    ]
    for release in matrix.releases:
        source = found.get(release.env)
        run, rows = _read_env(release, source, interpreter, local)
        runs.append(run)
        if run.status == "invalid":
            problems.append(str(run.problem))
        indexed = _index_rows(matrix, release, source.path, rows, warnings) if source else {}
        for probe in matrix.probes:
            for server in servers_of(probe):
                row = indexed.get((probe.id, server))
                mismatch = _earlier_mismatch(release, row) if row else None
                if mismatch:
                    problems.append(f"{release.env} {probe.id}{f'@{server}' if server else ''}: {mismatch}")
                cells[(release.version, probe.id, server)] = (
                    contract.cell(release.version, row)
                    if row and not mismatch
                    else _missing_cell(release, probe, server, run, mismatch)
                )
    return Merged(matrix, tuple(runs), cells, tuple(warnings), tuple(problems))


def _read_env(
    release: Release, source: Source | None, interpreter: Callable[[str], bool], local: bool
) -> tuple[EnvRun, list[contract.Row]]:
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
    if local and not interpreter(release.python):
        problem = (
            f"{display_path(source.path)}: stale: Python {release.python} is not installed here, so tox skips "
            f"{release.env} and this file is left from an earlier run (started {data['started']}). Fix: install "
            f"it (`pyenv install {release.python}` or `uv python install {release.python}`) or delete the file"
        )
        return EnvRun(release, "invalid", problem), []
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


def validate_results(source: Source, release: Release) -> EnvResults:
    """Check one env's parsed results; raise ResultsFileError naming the file and the field."""
    name = display_path(source.path)
    if source.error:
        raise ResultsFileError(f"{name}: {source.error}")
    data = source.data
    schema = data.get("schema") if isinstance(data, dict) else None
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION:
        raise ResultsFileError(
            f"{name}: written by a newer version of this project (schema {schema}; this report reads schema "
            f"{SCHEMA_VERSION}). Fix: update this checkout (`git pull`), or rebuild the report where it was written"
        )
    problem = schema_error(data, RESULTS_SCHEMA)
    if problem:
        raise ResultsFileError(f"{name}: {problem}")
    try:
        dt.datetime.fromisoformat(data["started"])
    except ValueError:
        raise ResultsFileError(f"{name}: started: {data['started']!r} is not a 'date-time'") from None
    if data["env"] != release.env:
        raise ResultsFileError(f"{name}: env: says {data['env']!r}, but this file belongs to {release.env!r}")
    if data["release"] != release.version:
        raise ResultsFileError(
            f"{name}: release: says {data['release']!r}, but {release.env} runs Django {release.version} "
            f"(matrix.yaml pins {release.django})"
        )
    mismatch = version_mismatch(release, data["versions"])
    if mismatch:
        raise ResultsFileError(f"{name}: mismatched: {mismatch}")
    return cast(EnvResults, data)


def version_mismatch(release: Release, versions: Mapping[str, str | None]) -> str | None:
    """Why results recorded on `versions` do not stand for `release` as matrix.yaml pins it, or None."""
    django, python = versions.get("django"), str(versions.get("python") or "")
    if _release_number(django) == _release_number(release.django) and python.split(".")[:2] == release.python.split(
        "."
    ):
        return None
    return (
        f"recorded on Django {django} and Python {python or 'unknown'}, but matrix.yaml pins Django "
        f"{release.django} on Python {release.python}. Fix: rerun `tox -e {release.env}`"
    )


def _release_number(version: str | None) -> str | None:
    """A version without trailing zero parts: Django 3.0.0 installs and records itself as 3.0."""
    return re.sub(r"(\.0)+$", "", version) if version else version


def _earlier_mismatch(release: Release, row: contract.Row) -> str | None:
    """For a row a partial rerun kept from an earlier run: why that run does not stand for `release`, or None."""
    earlier = row.get("earlier")
    if not earlier:
        return None
    mismatch = version_mismatch(release, earlier["versions"])
    return f"kept from an earlier run (started {earlier['started']}) {mismatch}" if mismatch else None


def _index_rows(
    matrix: Matrix, release: Release, path: Path, rows: list[contract.Row], warnings: list[str]
) -> dict[tuple[str, str | None], contract.Row]:
    expected = {(p.id, server) for p in matrix.probes for server in servers_of(p)}
    found: dict[tuple[str, str | None], contract.Row] = {}
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


def _missing_cell(release: Release, probe: Probe, server: str | None, run: EnvRun, mismatch: str | None = None) -> Cell:
    if mismatch:
        reason = mismatch
    elif run.status in ("missing", "invalid"):
        reason = str(run.problem)
    elif run.status == "incomplete":
        reason = "the env stopped before this probe"
    else:
        reason = "the env finished without a row for this probe (is its test collected and marked?)"
    selector = f' -- -k "{server}"' if server else ""
    return contract.unrecorded(release.version, probe.id, server, NOT_RUN, reason, f"tox -e {release.env}{selector}")

"""Set-up shared by every self-test module."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The modules that take longest (each starts a browser, servers or pytest processes, 4-17 s of wall), longest first.
# tox.ini's --dist loadfile --no-loadscope-reorder hands modules to the workers in collection order: one of these
# handed out last (xdist's own order is by number of tests) kept its worker busy for seconds after the others had
# finished (41 s instead of 38 on two cores).
LONGEST_FIRST = (
    "report/test_page.py",
    "harness/test_recorder.py",
    "harness/processes/test_postgres.py",
    "tools/test_upstream.py",
    "faults/test_probe_run.py",
    "harness/processes/test_servers.py",
    "report/test_screenshots.py",
    "faults/test_report_inputs.py",
)


@pytest.hookimpl(optionalhook=True)  # optional: a run without xdist (-p no:xdist) has no such hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than this process may use CPUs. The modules that start servers, PostgreSQL or pytest
    wait on them for a third of their time; the extra worker runs meanwhile (on two cores, 38-44 s instead of 43-47,
    in pairs of runs taken one after the other)."""
    return len(os.sched_getaffinity(0)) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """LONGEST_FIRST's modules first, in its order; the rest as collected."""
    here = Path(__file__).parent
    rank = {(here / name).resolve(): place for place, name in enumerate(LONGEST_FIRST)}
    missing = [name for name in LONGEST_FIRST if not (here / name).is_file()]
    if missing:
        raise pytest.UsageError(f"{Path(__file__).name}: LONGEST_FIRST names no module at {', '.join(missing)}")
    items.sort(key=lambda item: rank.get(item.path.resolve(), len(rank)))


@pytest.fixture(scope="session")
def small_matrix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """matrix.yaml cut down to three probes (tests/unit/report/sample.py), for `python -m report --matrix` in the
    tests of what the report does with its inputs; a report of it is built in a quarter of the time."""
    from tests.unit.report.sample import small_matrix

    path = tmp_path_factory.mktemp("small") / "matrix.yaml"
    path.write_text(small_matrix(), encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def _children_run_as_the_matrix_runs_them() -> Iterator[None]:
    """The processes the tests start (servers, the recorder's pytest, the tools) run without Python's development
    mode, as `tox p` runs them. The mode (tox.ini) checks the code the tests run in this process; in every server and
    inner pytest it only turned on asyncio's debug mode, which cost about ten of the suite's eighty CPU-seconds.
    A fixture, not tox.ini: the xdist workers are children too, and they keep the mode."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTHONDEVMODE", raising=False)
        yield


@pytest.fixture(scope="session", autouse=True)
def _matrix_pythons_installed() -> Iterator[None]:
    """Renders see matrix.yaml's Pythons as installed, as the README's set-up installs them; any other version is
    looked up as the report does (`report.results.python_available`).

    Whether a Python is installed is a fact of this machine, not of the code under test, and each look-up starts a
    pyenv shim (0.5 CPU-s): the six took 3 CPU-s and 2.5-5 s of wall at the start of every run, on the worker that
    rendered first. The look-up itself is tested in test_results.py; a missing Python's reason with a version no
    machine has (3.99, test_probe_run.py) or with the test's own answer (test_report_inputs.py). Session-wide, so
    module fixtures that render (they are set up before a test's own fixtures) get it."""
    results = sys.modules.get("report.results")  # imported by then if a collected module imports it
    if results is None:
        yield
        return
    from contract.matrix import LATEST, SHIPPED, load_matrix

    matrix = load_matrix()
    installed = frozenset(release.python for axis in (LATEST, SHIPPED) for release in matrix.on_axis(axis).releases)
    look_up = results.python_available
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(results, "python_available", lambda version: version in installed or look_up(version))
        yield

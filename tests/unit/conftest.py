"""Set-up shared by every self-test module."""

from __future__ import annotations

import fcntl
import functools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


_LOOKING_UP = threading.Lock()
_ANSWERS: dict[str, bool] = {}  # this process's copy of the session's answers


@functools.cache
def _matrix_pythons() -> frozenset[str]:
    from contract.matrix import LATEST, SHIPPED, load_matrix

    matrix = load_matrix()
    return frozenset(release.python for axis in (LATEST, SHIPPED) for release in matrix.on_axis(axis).releases)


def _look_up(lookup: Callable[[str], bool]) -> dict[str, bool]:
    """`lookup` of every matrix.yaml Python, in parallel."""
    versions = sorted(_matrix_pythons())
    with ThreadPoolExecutor(len(versions)) as pool:
        return dict(zip(versions, map(bool, pool.map(lookup, versions)), strict=True))


def _session_answers(shared: Path | None, lookup: Callable[[str], bool]) -> dict[str, bool]:
    """matrix.yaml's Pythons looked up once per session: the first xdist worker to ask writes them to `shared` (a
    file the session's workers share, under a lock), the others read them; without xdist, once per process."""
    if shared is None:
        return _look_up(lookup)
    with (shared.parent / (shared.name + ".lock")).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if shared.exists():
            answers: dict[str, bool] = json.loads(shared.read_text(encoding="utf-8"))
            return answers
        answers = _look_up(lookup)
        shared.write_text(json.dumps(answers), encoding="utf-8")
        return answers


@pytest.fixture(scope="session", autouse=True)
def _pythons_looked_up_together(request: pytest.FixtureRequest) -> Iterator[None]:
    """A render's first question whether a Python starts here asks it of all of matrix.yaml's Pythons, once a session.

    `report.results.python_available` is cached per process, and each look-up starts a pyenv shim (0.6 CPU-s, a
    second or more of wall). Left alone, each xdist worker's first render runs the six one after another, again after a
    test clears the cache, and renders in threads (the history's concurrency test) each run all six. Here the first
    look-up of the session runs them in parallel, once, and every worker reuses those answers (a lock holds the other
    threads until they are there); a Python outside matrix.yaml is looked up as before. The answers are the same
    function's. Session-wide, so module fixtures that render (they are set up before a test's own fixtures) get it.
    """
    results = sys.modules.get("report.results")  # imported by then if a collected module imports it
    if results is None:
        yield
        return
    cached = results.python_available
    workerinput = getattr(request.config, "workerinput", None)
    shared = None
    if workerinput is not None:  # the basetemp's parent is this session's, shared by its workers
        factory = request.getfixturevalue("tmp_path_factory")
        shared = factory.getbasetemp().parent / f"pythons-{workerinput['testrunuid']}.json"

    def available(version: str) -> bool:
        with _LOOKING_UP:
            if not _ANSWERS:
                _ANSWERS.update(_session_answers(shared, cached))
        return _ANSWERS[version] if version in _ANSWERS else bool(cached(version))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(results, "python_available", available)
        yield

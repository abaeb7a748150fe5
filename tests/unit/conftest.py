"""Set-up shared by every self-test module."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture(autouse=True)
def _pythons_looked_up() -> None:
    """Whether each of matrix.yaml's Pythons starts here, looked up before the test, all at once.

    Every report render asks `report.results.python_available`, cached per process; each look-up starts a pyenv shim
    (about 0.6 CPU-s, a second or more of wall). Left to the first render, the six run one after another, and renders
    in threads (the history's concurrency test) each run all six. So whenever the cache is empty (a worker's first
    test, or after a test cleared it) they run here in parallel. Only where a test module imported the report.
    """
    results = sys.modules.get("report.results")
    if results is None or results.python_available.cache_info().currsize:
        return
    from contract.matrix import LATEST, SHIPPED, load_matrix

    matrix = load_matrix()
    versions = {release.python for axis in (LATEST, SHIPPED) for release in matrix.on_axis(axis).releases}
    with ThreadPoolExecutor(len(versions)) as pool:
        list(pool.map(results.python_available, versions))

"""Set-up shared by every self-test module."""

from __future__ import annotations

import functools
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

_LOOKING_UP = threading.Lock()


@functools.cache
def _matrix_pythons() -> frozenset[str]:
    from contract.matrix import LATEST, SHIPPED, load_matrix

    matrix = load_matrix()
    return frozenset(release.python for axis in (LATEST, SHIPPED) for release in matrix.on_axis(axis).releases)


@pytest.fixture(autouse=True)
def _pythons_looked_up_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """A render's first question whether a Python starts here asks it of all of matrix.yaml's Pythons at once.

    `report.results.python_available` is cached per process, and each look-up starts a pyenv shim (0.6 CPU-s, a
    second or more of wall). Left alone, the first render runs the six one after another, and renders in threads (the
    history's concurrency test) each run all six. Here a look-up on an empty cache fills it in parallel, once (a lock
    holds the other threads until it is filled); the answers are the same function's.
    """
    results = sys.modules.get("report.results")
    if results is None:
        return
    cached = results.python_available

    def available(version: str) -> bool:
        with _LOOKING_UP:
            if not cached.cache_info().currsize:
                versions = _matrix_pythons() | {version}
                with ThreadPoolExecutor(len(versions)) as pool:
                    list(pool.map(cached, versions))
        return bool(cached(version))

    monkeypatch.setattr(results, "python_available", available)

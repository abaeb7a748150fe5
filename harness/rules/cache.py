"""Verdict rules for the per-backend cache probes beyond the async-API rule (harness/rules/apis.py): a backend the
release does not have, and a cache server that could not be started here.

Each is unit-tested in tests/unit/harness/rules/test_cache.py.
"""

from __future__ import annotations

from contract.states import State, Verdict


def backend_absent(backend: str) -> Verdict:
    """absent: the release has no such cache backend (it was added later), so none of its async API exists."""
    return Verdict(State.ABSENT, f"this release has no {backend}", {"backend": backend, "backend_exists": False})


def server_unavailable(backend: str, reason: str) -> Verdict:
    """not-run: the backend exists, but its server could not be started here; nothing about Django was observed."""
    return Verdict(State.NOT_RUN, f"no server for {backend}: {reason}", {"backend": backend})

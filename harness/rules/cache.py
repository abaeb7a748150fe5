"""Verdict rules for the per-backend cache probes beyond the async-API rule (harness/rules/apis.py): a backend the
release does not have, a cache server that could not be started here, and whether concurrent tasks on one loop
share one cache object.

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


def task_isolation(async_entrypoint: bool, tasks: int, distinct: int, error: str | None = None) -> Verdict:
    """`tasks` tasks on one event loop, each asking `caches[alias]` for its cache (ticket #31253, fixed in 3.0.4).

    Django kept one cache object per thread, so tasks on the loop's thread shared one connection and could lose data;
    it keeps one per async context since. absent: the release has no async entry point (django.core.asgi), so it
    offers no async code to isolate. broken: the lookup raised, or the tasks shared fewer objects than there were
    tasks. native: each task had its own object, on the loop thread.
    """
    facts = {"tasks": tasks, "distinct_objects": distinct, "error": error}
    if not async_entrypoint:
        return Verdict(State.ABSENT, "no django.core.asgi: this release runs no async code to isolate", facts)
    if error is not None:
        return Verdict(State.BROKEN, f"caches[alias] raised in a task: {error}", facts)
    if distinct < tasks:
        return Verdict(
            State.BROKEN,
            f"{tasks} concurrent tasks on one loop shared {distinct} cache object(s): one connection for all of them",
            facts,
        )
    return Verdict(State.NATIVE, f"each of {tasks} concurrent tasks on one loop had its own cache object", facts)

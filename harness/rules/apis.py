"""Verdict rules for in-process async APIs: which exist, did they work, and on which thread did their work run.

A probe names a set of async APIs (`QuerySet.aget`, `cache.aset`, ...), calls each one that exists inside one event
loop, and notes the thread of every piece of real work it can see (an SQL statement, a cache lock, a view body).
No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_apis.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.states import State, Verdict

GUARD = "SynchronousOnlyOperation"


@dataclass(frozen=True)
class ApiCall:
    """One named API: was it there, what did calling it raise, and which threads did its work."""

    name: str
    found: bool
    error: str | None = None  # "Type: message" of what the call raised
    work_threads: tuple[int, ...] = ()


@dataclass(frozen=True)
class ApiObservation:
    """Every API a probe looked for, in call order, the loop's thread, and other stable facts the probe saw."""

    loop_thread: int
    calls: tuple[ApiCall, ...]
    context: Mapping[str, Any] = field(default_factory=dict)


def async_apis(obs: ApiObservation) -> Verdict:
    """absent when none of the APIs exists; broken when a found one raised; threaded when any found one did its work
    off the loop thread; native when every found one that did observable work did it on the loop thread.

    Partial availability is normal (a release adds `aget` before `afull_clean`): the verdict is about the found APIs,
    and `missing` lists the rest. A found API whose work the probe could not see (`unobserved`) neither proves nor
    disproves anything; when no found API did observable work the verdict is undecided.
    """
    found = [call for call in obs.calls if call.found]
    failing = {call.name: call.error for call in found if call.error is not None}
    worked = [call for call in found if call.error is None and call.work_threads]
    off_loop = [call.name for call in worked if any(t != obs.loop_thread for t in call.work_threads)]
    workers = {t for call in worked for t in call.work_threads if t != obs.loop_thread}
    facts: dict[str, Any] = {
        "found": [call.name for call in found],
        "missing": [call.name for call in obs.calls if not call.found],
        "failing": failing,
        "on_loop_thread": not off_loop if worked else None,
        "ran_on_loop": [call.name for call in worked if call.name not in off_loop],
        "ran_off_loop": off_loop,
        "unobserved": [call.name for call in found if call.error is None and not call.work_threads],
        "worker_threads": len(workers),
        **obs.context,
    }
    measurements = {
        "loop_thread": obs.loop_thread,
        "work_threads": {call.name: sorted(set(call.work_threads)) for call in worked},
    }
    if not found:
        return Verdict(State.ABSENT, f"none of {_names(facts['missing'])} exists", facts, measurements)
    if failing:
        return Verdict(
            State.BROKEN, f"{len(failing)} of {len(found)} found APIs raised: {_first(failing)}", facts, measurements
        )
    if off_loop:
        reason = f"{len(off_loop)} of {len(found)} found APIs did their work off the loop thread: {_names(off_loop)}"
        return Verdict(State.THREADED, reason, facts, measurements)
    if not worked:
        return Verdict(
            State.UNDECIDED, f"none of {_names(facts['found'])} did work the probe could see", facts, measurements
        )
    return Verdict(
        State.NATIVE, f"all {len(worked)} observed APIs did their work on the loop thread", facts, measurements
    )


def sync_guard(guard_defined: bool, raised: str | None) -> Verdict:
    """The guard against the sync ORM in async code, i.e. SynchronousOnlyOperation (Django's "async unsafe" check).

    native: the sync call raised SynchronousOnlyOperation (the guard works). absent: no such exception class exists
    and the call simply ran (no guard). broken: the class exists but the call ran anyway, or it raised something else.
    """
    facts = {"guard_defined": guard_defined, "raised": raised}
    if raised is not None and raised.split(":")[0] == GUARD:
        return Verdict(State.NATIVE, f"the sync ORM call in async code raised {raised}", facts)
    if raised is not None:
        return Verdict(State.BROKEN, f"the sync ORM call in async code raised another error: {raised}", facts)
    if guard_defined:
        return Verdict(State.BROKEN, f"{GUARD} exists but the sync ORM call in async code ran without it", facts)
    return Verdict(State.ABSENT, f"no {GUARD}: the sync ORM call ran inside the event loop", facts)


def sync_deprecations(warnings: Sequence[str], exercised: Sequence[str]) -> Verdict:
    """native when Django warns (Deprecation/PendingDeprecation) that a sync API used from async code is going away,
    i.e. it has started steering users to async APIs; absent when no such warning appears."""
    facts = {"warnings": list(warnings), "exercised": list(exercised)}
    if warnings:
        return Verdict(State.NATIVE, f"Django deprecates sync use: {warnings[0]}", facts)
    return Verdict(State.ABSENT, f"no sync/async deprecation warning from {len(exercised)} sync APIs", facts)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _first(failing: Mapping[str, str | None]) -> str:
    name, error = next(iter(failing.items()))
    return f"{name}: {error}"

"""Verdict rules for in-process async APIs: which exist, did they work, on which thread did their work run, and did
they stall the event loop.

A probe names a set of async APIs (`QuerySet.aget`, `cache.aset`, ...), calls each one that exists inside one event
loop, notes the thread of every piece of real work it can see (an SQL statement, a cache lock, a file open) and, with
harness/observers/stall.py, the loop's longest stall during each call. Where a probe slows its I/O down on purpose (an SQL
statement, a file open or a cache round trip that sleeps `delay_ms`), a call that does that I/O on the loop stalls it
by about the delay; one that hands it to a thread does not.

Each API gets its own state, and the probe's verdict is the worst of them (`API_STATES`, worst first):
- absent: the API is not there (it counts only when no API is: then the probe is absent);
- broken: it raised;
- blocking: its work ran on the loop thread AND the loop stalled during the call for more than `threshold_ms` and
  more than NOISE_FACTOR times the meter's own idle noise;
- undecided: the loop stalled past the threshold though none of its observed work ran on the loop (all off it, or
  none seen: something the probe cannot see blocked it), or its work ran on the loop and the stall passed the
  threshold but not NOISE_FACTOR x noise (a busy machine, not the call, may have made it): either may be the
  machine's, so the recorder measures it again (Verdict.retry);
- threaded: some of its work ran off the loop thread and the loop did not stall;
- native: all its work ran on the loop thread and the loop did not stall;
- unobserved: it ran, but did no work the probe could see (it decides nothing unless no API did observable work).
The threshold is max(STALL_FLOOR_MS, DELAY_FRACTION x delay_ms): 50 ms, or three quarters of the injected delay,
whichever is larger (75 ms for the probes' 100 ms). A call that does one delayed operation on the loop stalls it by
at least the whole delay (a sleep never ends early), so it is caught whatever the noise; a call that hands its I/O
to a thread keeps the loop free, and the threshold leaves its stall the widest margin for a busy machine. The
garbage collector is paused during the calls (harness/observers/stall.py): its full collections stop every thread for 70 ms
here, up to 257 ms with both cores busy, and made threaded calls look stalled (cache.db's adelete_many: 134 ms).
Paused, the largest stall of a threaded call measured with four busy loops on the two cores was 9 ms. Noise can only
lengthen a measured stall, never hide one, so a stall below the threshold is trusted whatever the noise; one above it
must also stand out from the noise. So no API whose work stalled the loop ever makes a probe threaded. No rule looks
at a version number. Each is unit-tested in every direction, at the threshold's margins, in
tests/unit/harness/rules/test_apis.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contract.states import State, Verdict

GUARD = "SynchronousOnlyOperation"
STALL_FLOOR_MS = 50.0  # a stall this long is far above the meter's noise and the first one a user would notice
DELAY_FRACTION = 0.75  # with an injected delay, a stall of most of it means the delayed I/O ran on the loop
NOISE_FACTOR = 2.0  # a stall past the threshold must also be more than twice the meter's idle noise to count

MISSING, UNOBSERVED = "absent", "unobserved"
# Per-API states, worst first: the probe's state is the first one any of its APIs has (absent and unobserved only
# when every API is).
API_STATES = (
    State.BROKEN.value,
    State.BLOCKING.value,
    State.UNDECIDED.value,
    State.THREADED.value,
    State.NATIVE.value,
    UNOBSERVED,
    MISSING,
)


@dataclass(frozen=True)
class ApiCall:
    """One named API: was it there, what did calling it raise, which threads did its work, how long the loop stalled
    during the call (ms) and how much delay the probe injected into the call's I/O (ms, summed over operations)."""

    name: str
    found: bool
    error: str | None = None  # "Type: message" of what the call raised
    work_threads: tuple[int, ...] = ()
    stall_ms: float = 0.0
    delayed_ms: float = 0.0


@dataclass(frozen=True)
class ApiObservation:
    """Every API a probe looked for, in call order, the loop's thread, the stall meter's idle noise (ms), the delay
    injected per I/O operation (ms, 0 for none) and other stable facts the probe saw."""

    loop_thread: int
    calls: tuple[ApiCall, ...]
    context: Mapping[str, Any] = field(default_factory=dict)
    noise_ms: float = 0.0
    delay_ms: float = 0.0


def threshold_ms(delay_ms: float) -> float:
    """The loop stall (ms) above which work on the loop thread is blocking."""
    return max(STALL_FLOOR_MS, DELAY_FRACTION * delay_ms)


def api_state(call: ApiCall, loop_thread: int, threshold: float, noise: float) -> str:
    """One API's state (see the module docstring); `noise`: the meter's idle noise, ms."""
    if not call.found:
        return MISSING
    if call.error is not None:
        return State.BROKEN.value
    on_loop = loop_thread in call.work_threads
    stalled = call.stall_ms > threshold
    if stalled and on_loop and call.stall_ms > NOISE_FACTOR * noise:
        return State.BLOCKING.value
    if stalled:
        return State.UNDECIDED.value
    if not call.work_threads:
        return UNOBSERVED
    return State.THREADED.value if any(t != loop_thread for t in call.work_threads) else State.NATIVE.value


def async_apis(obs: ApiObservation) -> Verdict:
    """The worst state of the probe's APIs (module docstring), each API's own state, thread and stall as evidence.

    Partial availability is normal (a release adds `aget` before `afull_clean`): the verdict is about the found APIs,
    and `missing` lists the rest. A found API whose work the probe could not see (`unobserved`) neither proves nor
    disproves anything; when no found API did observable work the verdict is undecided.
    """
    threshold = threshold_ms(obs.delay_ms)
    states = {call.name: api_state(call, obs.loop_thread, threshold, obs.noise_ms) for call in obs.calls}
    by_state = {state: [name for name, s in states.items() if s == state] for state in API_STATES}
    found = [call for call in obs.calls if call.found]
    worked = [call for call in found if call.error is None and call.work_threads]
    workers = {t for call in worked for t in call.work_threads if t != obs.loop_thread}
    facts: dict[str, Any] = {
        "found": [call.name for call in found],
        "missing": by_state[MISSING],
        "failing": {call.name: call.error for call in found if call.error is not None},
        "apis": {call.name: _api_facts(call, states[call.name], obs) for call in found},
        "stall_threshold_ms": threshold,
        "delay_ms": obs.delay_ms,
        "worker_threads": len(workers),
        **obs.context,
    }
    measurements = {
        "loop_thread": obs.loop_thread,
        "work_threads": {call.name: sorted(set(call.work_threads)) for call in worked},
        "stall_ms": {call.name: call.stall_ms for call in found},
        "noise_ms": obs.noise_ms,
    }
    worst = next(state for state in API_STATES if by_state[state] or state == MISSING)
    names = by_state[worst]
    if worst == MISSING:
        return Verdict(State.ABSENT, f"none of {_names(names)} exists", facts, measurements)
    if worst == State.BROKEN.value:
        return Verdict(
            State.BROKEN,
            f"{len(names)} of {len(found)} found APIs raised: {_first(facts['failing'])}",
            facts,
            measurements,
        )
    if worst == State.BLOCKING.value:
        stalls = ", ".join(f"{name} {_stall(name, obs)}" for name in names)
        reason = f"{len(names)} of {len(found)} found APIs stalled the loop past {threshold:g} ms with their work on it: {stalls}"
        return Verdict(State.BLOCKING, reason, facts, measurements)
    if worst == State.UNDECIDED.value:
        reason = (
            f"the loop stall does not settle {_names(names)}: stalled past {threshold:g} ms with the work off the loop, "
            f"or on the loop but within {NOISE_FACTOR:g} x the idle noise of {obs.noise_ms:g} ms"
        )
        return Verdict(State.UNDECIDED, reason, facts, measurements, retry=True)
    if worst == UNOBSERVED:
        return Verdict(State.UNDECIDED, f"none of {_names(names)} did work the probe could see", facts, measurements)
    if worst == State.THREADED.value:
        reason = f"{len(names)} of {len(found)} found APIs did their work off the loop thread, without stalling it: {_names(names)}"
        return Verdict(State.THREADED, reason, facts, measurements)
    return Verdict(
        State.NATIVE,
        f"all {len(worked)} observed APIs did their work on the loop thread without stalling it past {threshold:g} ms",
        facts,
        measurements,
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


def _api_facts(call: ApiCall, state: str, obs: ApiObservation) -> dict[str, Any]:
    """One API's stable evidence: its state, where its work ran and, when the probe injects delay, how much."""
    facts: dict[str, Any] = {"state": state, "thread": _where(call, obs.loop_thread)}
    if obs.delay_ms:
        facts["delayed_ms"] = call.delayed_ms
    return facts


def _where(call: ApiCall, loop_thread: int) -> str:
    """Where an API's observed work ran: "loop", "worker", "loop+worker", or "unseen"."""
    on = loop_thread in call.work_threads
    off = any(t != loop_thread for t in call.work_threads)
    return {(True, False): "loop", (False, True): "worker", (True, True): "loop+worker"}.get((on, off), "unseen")


def _stall(name: str, obs: ApiObservation) -> str:
    call = next(call for call in obs.calls if call.name == name)
    delayed = f" of {call.delayed_ms:g} ms injected" if call.delayed_ms else ""
    return f"{call.stall_ms:g} ms{delayed}"


def _first(failing: Mapping[str, str | None]) -> str:
    name, error = next(iter(failing.items()))
    return f"{name}: {error}"

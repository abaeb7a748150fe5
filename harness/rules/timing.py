"""Verdict rules for concurrency: N requests that each sleep T, sent at once, in bursts (samples).

Whether the requests waited for each other is read from their sleeps, not from a stopwatch: each view notes when its
sleep began and ended (time.monotonic, one clock for every process on Linux), and a sample is the most sleeps that
were in progress at one moment of its burst (harness/observers/concurrency.py). Requests served one at a time never
have two sleeps in progress at once, however slow the machine; requests that overlap do, unless the machine is so
starved that each reached its view only after the one before had finished sleeping. So one sample with two sleeps
at once proves the requests overlapped (OVERLAPPED), and only bursts that never had two at once ran one at a time
(SERIALIZED): a busy machine can thin the evidence, not turn it. A burst's wall time is no such evidence: with 8
envs on 2 cores the Django work around each sleep outlasts the sleeps, and threaded requests time like queued ones.
The wall times stay in the measurements.

The sleeps say whether requests waited for each other; the loop-stall meter in the server (project/asgi.py,
harness/observers/stall.py) says whether the event loop itself was held up, which is a different fact:
- each sample's stall is the meter's longest heartbeat lateness during its burst; the loop counts as stalled when
  every sample's stall exceeds the threshold: a view on the loop stalls every burst by its whole sleep, while a
  hiccup (measured up to 90 ms once, next to three other envs) hits one burst, not all three; the meter takes the
  loop thread's wait for a CPU off each lateness (harness/observers/stall.py), so a starved machine is no stall;
- the stall threshold is half the delay one request injects (its sleep T), and never under STALL_FLOOR_MS = 50:
  a view that sleeps on the loop stalls it by the whole sleep, twice the threshold. A free loop is late too, but
  by the loop's own work: a burst of N requests arriving at once is parsed and dispatched in one loop iteration,
  measured at 15-45 ms for 20 requests on an idle machine and up to 70 ms on busy cores (daphne's Twisted loop
  being the slower), which a fixed 50 ms would sit too close to. A stalled loop is `blocking`.
- NOISE_MAX_FRACTION = 0.5: the meter's own lateness on the idle loop, measured just before, must stay within
  half the threshold, or the stall cannot be told from noise and the verdict is undecided (and measured again:
  noisy()).
Requests that ran one at a time on a worker thread while the loop stayed free are `serialized`, never `blocking`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract.rows import WAITED
from contract.states import State, Verdict
from harness.rules.response import entrypoint_missing, failure

STALL_FLOOR_MS = 50.0
STALL_FRACTION = 0.5
NOISE_MAX_FRACTION = 0.5

# What the loop-stall meter says (loop_state), and the reasons when it cannot tell.
STALLED, FREE, UNMEASURED, NOISY = "stalled", "free", "unmeasured", "noisy"
UNTOLD = {
    UNMEASURED: "the server's loop-stall meter did not answer",
    NOISY: "the loop-stall meter's own noise exceeds half the stall threshold: it cannot tell",
}

OVERLAPPED = "overlapped"
SERIALIZED = "serialized"


@dataclass(frozen=True)
class ConcurrencyObservation:
    """Samples of N concurrent requests to a view that sleeps T seconds."""

    entrypoint_error: str | None
    requests: int
    sleep: float
    walls: list[float]  # one wall time per sample, in seconds (a measurement; at_once decides)
    loop_threads: list[int]  # as each response reported them
    view_threads: list[int]  # the threads that did the requests' work: the views', and any traced layers'
    failures: list[str]  # "HTTP 500: ..." for each request that did not answer 200
    stalls_ms: list[float] = field(default_factory=list)  # per sample, the server loop's longest stall during it
    noise_ms: float | None = None  # the meter's own longest lateness on the idle loop just before
    at_once: list[int] = field(default_factory=list)  # per sample, the most views sleeping at one moment


def classify(at_once: int) -> str:
    """Whether one burst's requests overlapped (two or more sleeps in progress at one moment) or ran one at a time."""
    return OVERLAPPED if at_once >= 2 else SERIALIZED


def samples(obs: ConcurrencyObservation) -> list[str]:
    """Each burst's class, in order."""
    return [classify(count) for count in obs.at_once]


def async_concurrency(obs: ConcurrencyObservation) -> Verdict:
    """Concurrent requests to an async view that awaits a sleep.

    native: they overlapped, on the loop thread. threaded: they overlapped on other threads.
    blocking: the loop stalled past the threshold (stall_threshold_ms). serialized: they ran one at a time off the loop while
    the loop stayed free. broken: some failed (absent when every failure shows the release does not know async views:
    response.failure). undecided: no burst measured, no stall measurement, or a meter too noisy
    to tell.
    """
    return _concurrency(obs, overlapped_on_loop=State.NATIVE)


def sync_concurrency(obs: ConcurrencyObservation) -> Verdict:
    """Concurrent requests to a plain sync view that calls time.sleep, under an ASGI server.

    threaded: they overlapped, so each ran on a worker thread of its own (asgiref gives each
    request its own thread-sensitive context). serialized: they ran one at a time on a worker thread while the
    loop stayed free, as when every thread-sensitive call shares one thread: one slow sync view delays every
    other sync request, but async requests still run. blocking: the loop itself stalled past the
    threshold (stall_threshold_ms). broken, absent, undecided: as for async_concurrency.
    """
    # A sync sleep that overlapped on the loop thread cannot happen; if it did, it is no worker thread.
    return _concurrency(obs, overlapped_on_loop=State.UNDECIDED)


def stall_threshold_ms(sleep: float) -> float:
    """The loop stall (ms) above which requests that each inject `sleep` seconds stalled the loop: blocking."""
    return max(STALL_FLOOR_MS, STALL_FRACTION * sleep * 1000)


def loop_state(stall_ms: float | None, noise_ms: float | None, threshold: float) -> str:
    """What the loop-stall meter says: STALLED or FREE, or why it cannot tell (a key of UNTOLD)."""
    if stall_ms is None or noise_ms is None:
        return UNMEASURED
    if noise_ms > NOISE_MAX_FRACTION * threshold:
        return NOISY
    return STALLED if stall_ms > threshold else FREE


def least(stalls_ms: list[float]) -> float | None:
    """The smallest of the samples' stalls (the loop stalled in every sample by at least this); None without any."""
    return min(stalls_ms) if stalls_ms else None


def overall(classes: list[str]) -> str | None:
    """What the bursts say together: overlapped when any one overlapped (a server that serves one request at a time
    cannot overlap two, even once), serialized when every one ran one at a time, None without a burst."""
    if not classes:
        return None
    return OVERLAPPED if OVERLAPPED in classes else SERIALIZED


def noisy(stall_ms: float | None, noise_ms: float | None, threshold: float) -> bool:
    """Whether the meter was too noisy to tell, a reason another attempt may not share (a missing stall
    measurement is not such a reason)."""
    return loop_state(stall_ms, noise_ms, threshold) == NOISY


def decide(
    requests: int, classes: list[str], on_loop: bool, stall_ms: float | None, noise_ms: float | None, threshold: float
) -> tuple[State, str]:
    """The state from the samples' classes, where the views ran, and the loop stall, with a reason free of numbers.

    `on_loop` true means an overlapped run is native; the caller maps it (a sync view overlapping on the loop
    cannot happen, so sync_concurrency turns that into undecided). Order: a burst must have answered, the meter
    must be quiet enough, then a stalled loop is blocking whatever the sleeps say.
    """
    settled = overall(classes)
    if settled is None:
        return State.UNDECIDED, "no burst was measured"
    loop = loop_state(stall_ms, noise_ms, threshold)
    if loop in UNTOLD:
        return State.UNDECIDED, UNTOLD[loop]
    if loop == STALLED:
        return State.BLOCKING, f"the event loop stalled longer than {threshold:g} ms while {requests} requests ran"
    if settled == SERIALIZED:
        if on_loop:
            return State.UNDECIDED, f"{requests} requests ran one at a time on the loop thread, yet it never stalled"
        return State.SERIALIZED, f"{requests} requests ran one at a time off the loop; the event loop stayed free"
    if on_loop:
        return State.NATIVE, f"{requests} requests overlapped on the loop thread"
    return State.THREADED, f"{requests} requests overlapped on worker threads"


def _concurrency(obs: ConcurrencyObservation, overlapped_on_loop: State) -> Verdict:
    # Reasons stay free of timings and thread counts: they are compared run to run; the numbers are measurements.
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return missing
    classes = samples(obs)
    on_loop = bool(obs.view_threads) and set(obs.view_threads) <= set(obs.loop_threads)
    facts: dict[str, Any] = {
        "requests": obs.requests,
        "sleep_seconds": obs.sleep,
        "overlapped": overall(classes) == OVERLAPPED,
        "view_on_loop_thread": on_loop,
        "one_view_thread": len(set(obs.view_threads)) == 1,
        "stall_threshold_ms": stall_threshold_ms(obs.sleep),
    }
    measurements = _measurements(obs)
    if obs.failures:
        facts["failures"] = sorted(set(obs.failures))
        reason = f"{len(obs.failures)} requests failed: {obs.failures[0]}"
        return failure(reason, obs.failures, facts, measurements)
    stall = least(obs.stalls_ms)
    state, reason = decide(obs.requests, classes, on_loop, stall, obs.noise_ms, facts["stall_threshold_ms"])
    if state is State.NATIVE:
        state = overlapped_on_loop
    facts["loop_stalled"] = state is State.BLOCKING
    retry = state is State.UNDECIDED and noisy(stall, obs.noise_ms, facts["stall_threshold_ms"])
    return Verdict(state, reason, facts, measurements, retry)


def _measurements(obs: ConcurrencyObservation) -> dict[str, Any]:
    ratios = [round(wall / (obs.requests * obs.sleep), 3) for wall in obs.walls]
    return {
        WAITED: round(sum(obs.walls), 3),
        "walls": [round(wall, 3) for wall in obs.walls],
        "ratios": ratios,
        "spread": round(max(ratios) - min(ratios), 3) if ratios else None,
        "at_once": obs.at_once,
        "loop_threads": sorted(set(obs.loop_threads)),
        "view_threads": sorted(set(obs.view_threads)),
        "distinct_view_threads": len(set(obs.view_threads)),
        "stalls_ms": obs.stalls_ms,
        "noise_ms": obs.noise_ms,
    }

"""Verdict rules for concurrency measured by the clock: N requests that each sleep T, sent at once.

Each sample is the wall time of all N requests divided by N*T, the time they would take one at a
time. Requests that overlap ideally score 1/N (0.05 for N=20); requests served one at a time can
never score below 1.0. The margins are wide because the suite runs on 2 noisy cores, possibly
next to another env doing the same:
- OVERLAPPED_MAX_RATIO = 0.5 allows ten times the ideal overlapped wall time (interpreter start-up
  of a thread pool, client overhead, a busy neighbour) before doubting the overlap;
- SERIALIZED_MIN_RATIO = 0.8 allows a serialized run to look 20% faster than it can be (clock and
  scheduling skew) and still count as serialized.
A sample between the two, or samples that disagree, leave the verdict undecided, with the samples (and measured
again: unsettled_by_noise); except that a
gray sample beside a majority of overlapped ones counts as overlapped (settle()): noise only lengthens a burst, and
a serialized burst never comes in under SERIALIZED_MIN_RATIO, so that gray burst overlapped and was slowed. (Once
in 10 benchmark runs, asgi.request-stack under daphne went undecided with both cores busy; a slowed burst is the
likely cause, though that run's samples were not kept.)

The clock says whether requests waited for each other; the loop-stall meter in the server (project/asgi.py,
harness/observers/stall.py) says whether the event loop itself was held up, which is a different fact:
- each sample's stall is the meter's longest heartbeat lateness during its burst; the loop counts as stalled when
  every sample's stall exceeds the threshold: a view on the loop stalls every burst by its whole sleep, while a
  hiccup of a busy machine (measured up to 90 ms once, next to three other envs) hits one burst, not all three;
- the stall threshold is half the delay one request injects (its sleep T), and never under STALL_FLOOR_MS = 50:
  a view that sleeps on the loop stalls it by the whole sleep, twice the threshold. A free loop is late too, but
  by the loop's own work: a burst of N requests arriving at once is parsed and dispatched in one loop iteration,
  measured at 15-45 ms for 20 requests on an idle machine and up to 70 ms on busy cores (daphne's Twisted loop
  being the slower), which a fixed 50 ms would sit too close to. A stalled loop is `blocking`.
- NOISE_MAX_FRACTION = 0.5: the meter's own lateness on the idle loop, measured just before, must stay within
  half the threshold, or the stall cannot be told from noise and the verdict is undecided (and measured again).
Requests that ran one at a time on a worker thread while the loop stayed free are `serialized`, never `blocking`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract.rows import WAITED
from contract.states import State, Verdict
from harness.rules.response import entrypoint_missing, failure

OVERLAPPED_MAX_RATIO = 0.5
SERIALIZED_MIN_RATIO = 0.8
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
GRAY = "gray zone"


@dataclass(frozen=True)
class ConcurrencyObservation:
    """Samples of N concurrent requests to a view that sleeps T seconds."""

    entrypoint_error: str | None
    requests: int
    sleep: float
    walls: list[float]  # one wall time per sample, in seconds
    loop_threads: list[int]  # as each response reported them
    view_threads: list[int]  # the threads that did the requests' work: the views', and any traced layers'
    failures: list[str]  # "HTTP 500: ..." for each request that did not answer 200
    stalls_ms: list[float] = field(default_factory=list)  # per sample, the server loop's longest stall during it
    noise_ms: float | None = None  # the meter's own longest lateness on the idle loop just before


def classify(wall: float, requests: int, sleep: float) -> str:
    """Whether one sample's requests overlapped, ran one at a time, or sit between."""
    ratio = wall / (requests * sleep)
    if ratio <= OVERLAPPED_MAX_RATIO:
        return OVERLAPPED
    if ratio >= SERIALIZED_MIN_RATIO:
        return SERIALIZED
    return GRAY


def async_concurrency(obs: ConcurrencyObservation) -> Verdict:
    """Concurrent requests to an async view that awaits a sleep.

    native: they overlapped, on the loop thread. threaded: they overlapped on other threads.
    blocking: the loop stalled past the threshold (stall_threshold_ms). serialized: they ran one at a time off the loop while
    the loop stayed free. broken: some failed (absent when every failure shows the release does not know async views:
    response.failure). undecided: samples in the gray zone or disagreeing, no stall measurement, or a meter too noisy
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


def settle(samples: list[str]) -> str | None:
    """The class the samples agree on, or None: all alike and not gray, or a majority overlapped and the rest gray.

    All-gray samples stay unsettled (requests that partly overlap do that every time), and so does every other mix.
    """
    if samples and len(set(samples)) == 1 and samples[0] != GRAY:
        return samples[0]
    if set(samples) == {OVERLAPPED, GRAY} and 2 * samples.count(OVERLAPPED) > len(samples):
        return OVERLAPPED
    return None


def unsettled_by_noise(samples: list[str], stall_ms: float | None, noise_ms: float | None, threshold: float) -> bool:
    """Whether the clock or the meter leaves the verdict undecided for a reason another burst may not share: samples
    that do not settle (gray or disagreeing) or a meter too noisy to tell. Not a missing stall measurement."""
    return settle(samples) is None or loop_state(stall_ms, noise_ms, threshold) == NOISY


def decide(
    requests: int, samples: list[str], on_loop: bool, stall_ms: float | None, noise_ms: float | None, threshold: float
) -> tuple[State, str]:
    """The state from the samples' classes, where the views ran, and the loop stall, with a reason free of numbers.

    `on_loop` true means an overlapped run is native; the caller maps it (a sync view overlapping on the loop
    cannot happen, so sync_concurrency turns that into undecided). Order: the clock must agree with itself,
    the meter must be quiet enough, then a stalled loop is blocking whatever the clock says.
    """
    settled = settle(samples)
    if settled is None:
        return State.UNDECIDED, f"the samples do not settle it: {', '.join(samples)}"
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
    classes = [classify(wall, obs.requests, obs.sleep) for wall in obs.walls]
    on_loop = bool(obs.view_threads) and set(obs.view_threads) <= set(obs.loop_threads)
    facts: dict[str, Any] = {
        "requests": obs.requests,
        "sleep_seconds": obs.sleep,
        "samples": classes,
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
    retry = state is State.UNDECIDED and unsettled_by_noise(classes, stall, obs.noise_ms, facts["stall_threshold_ms"])
    return Verdict(state, reason, facts, measurements, retry)


def _measurements(obs: ConcurrencyObservation) -> dict[str, Any]:
    ratios = [round(wall / (obs.requests * obs.sleep), 3) for wall in obs.walls]
    return {
        WAITED: round(sum(obs.walls), 3),
        "walls": [round(wall, 3) for wall in obs.walls],
        "ratios": ratios,
        "spread": round(max(ratios) - min(ratios), 3) if ratios else None,
        "loop_threads": sorted(set(obs.loop_threads)),
        "view_threads": sorted(set(obs.view_threads)),
        "distinct_view_threads": len(set(obs.view_threads)),
        "stalls_ms": obs.stalls_ms,
        "noise_ms": obs.noise_ms,
    }

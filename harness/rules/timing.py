"""Verdict rules for concurrency measured by the clock: N requests that each sleep T, sent at once.

Each sample is the wall time of all N requests divided by N*T, the time they would take one at a
time. Requests that overlap ideally score 1/N (0.05 for N=20); requests served one at a time can
never score below 1.0. The margins are wide because the suite runs on 2 noisy cores, possibly
next to another env doing the same:
- OVERLAPPED_MAX_RATIO = 0.5 allows ten times the ideal overlapped wall time (interpreter start-up
  of a thread pool, client overhead, a busy neighbour) before doubting the overlap;
- SERIALIZED_MIN_RATIO = 0.8 allows a serialized run to look 20% faster than it can be (clock and
  scheduling skew) and still count as serialized.
A sample between the two, or samples that disagree, leave the verdict undecided, with the samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.rules.response import entrypoint_missing
from harness.states import State, Verdict

OVERLAPPED_MAX_RATIO = 0.5
SERIALIZED_MIN_RATIO = 0.8

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
    view_threads: list[int]
    failures: list[str]  # "HTTP 500: ..." for each request that did not answer 200


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
    blocking: they ran one at a time (the loop was stalled). broken: some failed.
    undecided: samples in the gray zone or disagreeing.
    """
    return _concurrency(obs, overlapped_on_loop=State.NATIVE)


def sync_concurrency(obs: ConcurrencyObservation) -> Verdict:
    """Concurrent requests to a plain sync view that calls time.sleep, under an ASGI server.

    threaded: they overlapped, so each ran on a worker thread of its own (asgiref gives each
    request its own thread-sensitive context). blocking: they ran one at a time, as when every
    thread-sensitive call shares one thread, so one slow sync view stalls every other sync
    request. broken: some failed. undecided: samples in the gray zone or disagreeing.
    """
    # A sync sleep that overlapped on the loop thread cannot happen; if it did, it is no worker thread.
    return _concurrency(obs, overlapped_on_loop=State.UNDECIDED)


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
    }
    measurements = _measurements(obs)
    if obs.failures:
        facts["failures"] = sorted(set(obs.failures))
        return Verdict(State.BROKEN, f"{len(obs.failures)} requests failed: {obs.failures[0]}", facts, measurements)
    if not classes or len(set(classes)) > 1 or classes[0] == GRAY:
        return Verdict(State.UNDECIDED, f"the samples do not settle it: {', '.join(classes)}", facts, measurements)
    if classes[0] == SERIALIZED:
        return Verdict(State.BLOCKING, f"{obs.requests} requests ran one at a time", facts, measurements)
    if on_loop:
        return Verdict(
            overlapped_on_loop, f"{obs.requests} requests overlapped on the loop thread", facts, measurements
        )
    return Verdict(
        State.THREADED,
        f"{obs.requests} requests overlapped on worker threads",
        facts,
        measurements,
    )


def _measurements(obs: ConcurrencyObservation) -> dict[str, Any]:
    ratios = [round(wall / (obs.requests * obs.sleep), 3) for wall in obs.walls]
    return {
        "walls": [round(wall, 3) for wall in obs.walls],
        "ratios": ratios,
        "spread": round(max(ratios) - min(ratios), 3) if ratios else None,
        "loop_threads": sorted(set(obs.loop_threads)),
        "view_threads": sorted(set(obs.view_threads)),
        "distinct_view_threads": len(set(obs.view_threads)),
    }

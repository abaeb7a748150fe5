"""The timing rules reach every state they can return, and classify samples and stalls by their named margins."""

from __future__ import annotations

import pytest

from contract.rows import WAITED
from contract.states import State
from harness.rules.timing import (
    GRAY,
    NOISE_MAX_FRACTION,
    OVERLAPPED,
    OVERLAPPED_MAX_RATIO,
    SERIALIZED,
    SERIALIZED_MIN_RATIO,
    STALL_FLOOR_MS,
    ConcurrencyObservation,
    async_concurrency,
    classify,
    settle,
    stall_threshold_ms,
    sync_concurrency,
)
from tests.unit.harness.rules.observations import ASYNC_VIEW_UNOFFERED

LOOP, WORKER = 1, 2
N, T = 20, 0.2  # N*T = 4 s
OVERLAPPED_WALL, SERIALIZED_WALL, GRAY_WALL = 0.3, 4.2, 2.6
QUIET = 3.0  # ms: a free loop's stall and the meter's noise, as measured here
THRESHOLD = stall_threshold_ms(T)  # 100 ms: half the 200 ms a sleep on the loop would stall it by
JUST = 0.001  # ms or s: the smallest step past a margin the rules must notice


def observed(*walls, view_threads=(LOOP,), failures=(), entrypoint_error=None, stall_ms=QUIET, noise_ms=QUIET):
    """One stall per sample: `stall_ms` for each, or a list of them; None for no measurement."""
    stalls = [] if stall_ms is None else stall_ms if isinstance(stall_ms, list) else [stall_ms] * len(walls)
    return ConcurrencyObservation(
        entrypoint_error, N, T, list(walls), [LOOP], list(view_threads), list(failures), stalls, noise_ms
    )


def test_classify_uses_the_named_margins():
    assert classify(N * T * OVERLAPPED_MAX_RATIO, N, T) == OVERLAPPED
    assert classify(N * T * OVERLAPPED_MAX_RATIO + JUST, N, T) == GRAY
    assert classify(N * T * SERIALIZED_MIN_RATIO - JUST, N, T) == GRAY
    assert classify(N * T * SERIALIZED_MIN_RATIO, N, T) == SERIALIZED
    assert classify(GRAY_WALL, N, T) == GRAY


def test_the_stall_threshold_is_half_the_injected_delay_and_never_below_the_floor():
    assert THRESHOLD == 100.0
    assert stall_threshold_ms(0.05) == STALL_FLOOR_MS
    verdict = async_concurrency(observed(OVERLAPPED_WALL))
    assert verdict.facts["stall_threshold_ms"] == THRESHOLD


def test_async_native_when_overlapped_on_the_loop():
    verdict = async_concurrency(observed(OVERLAPPED_WALL, OVERLAPPED_WALL, 0.4))
    assert verdict.state is State.NATIVE
    assert verdict.facts["samples"] == [OVERLAPPED] * 3
    assert verdict.facts["loop_stalled"] is False
    assert verdict.measurements["ratios"] == [0.075, 0.075, 0.1]
    assert verdict.measurements["spread"] == 0.025
    assert verdict.measurements["stalls_ms"] == [QUIET] * 3


def test_async_threaded_when_overlapped_on_workers():
    assert async_concurrency(observed(OVERLAPPED_WALL, view_threads=(2, 3))).state is State.THREADED


def test_one_at_a_time_on_one_worker_with_a_free_loop_is_serialized_not_blocking():
    verdict = sync_concurrency(observed(SERIALIZED_WALL, SERIALIZED_WALL, view_threads=(WORKER, WORKER)))
    assert verdict.state is State.SERIALIZED
    assert verdict.facts["one_view_thread"] is True
    assert verdict.facts["loop_stalled"] is False
    assert "event loop stayed free" in verdict.reason
    assert async_concurrency(observed(SERIALIZED_WALL, view_threads=(WORKER,))).state is State.SERIALIZED


def test_a_stalled_loop_is_blocking_whether_requests_queued_or_overlapped():
    stalled = THRESHOLD * 2
    on_loop = sync_concurrency(observed(SERIALIZED_WALL, stall_ms=stalled))
    assert on_loop.state is State.BLOCKING
    assert on_loop.facts["loop_stalled"] is True
    assert sync_concurrency(observed(SERIALIZED_WALL, view_threads=(WORKER,), stall_ms=stalled)).state is State.BLOCKING
    # A loop that stalled cannot make a run "threaded", even when the requests overlapped.
    assert async_concurrency(observed(OVERLAPPED_WALL, view_threads=(2, 3), stall_ms=stalled)).state is State.BLOCKING
    assert async_concurrency(observed(OVERLAPPED_WALL, stall_ms=stalled)).state is State.BLOCKING


@pytest.mark.parametrize(
    ("stall_ms", "state"),
    [
        (0.0, State.SERIALIZED),
        (THRESHOLD - JUST, State.SERIALIZED),
        (THRESHOLD, State.SERIALIZED),  # the threshold is a bound a stall must exceed
        (THRESHOLD + JUST, State.BLOCKING),
    ],
)
def test_the_stall_threshold_separates_serialized_from_blocking(stall_ms, state):
    assert sync_concurrency(observed(SERIALIZED_WALL, view_threads=(WORKER,), stall_ms=stall_ms)).state is state


@pytest.mark.parametrize(
    ("noise_ms", "state"),
    [(NOISE_MAX_FRACTION * THRESHOLD, State.SERIALIZED), (NOISE_MAX_FRACTION * THRESHOLD + JUST, State.UNDECIDED)],
)
def test_a_meter_too_noisy_to_tell_a_stall_leaves_it_undecided(noise_ms, state):
    verdict = sync_concurrency(observed(SERIALIZED_WALL, view_threads=(WORKER,), noise_ms=noise_ms))
    assert verdict.state is state


def test_the_loop_is_stalled_only_when_every_sample_stalled_it():
    # A sleep on the loop stalls every burst; a busy machine's hiccup stalls one.
    hiccup = [QUIET, THRESHOLD + 40, QUIET]
    serialized = (SERIALIZED_WALL, SERIALIZED_WALL, SERIALIZED_WALL)
    assert sync_concurrency(observed(*serialized, view_threads=(WORKER,), stall_ms=hiccup)).state is State.SERIALIZED
    every = [THRESHOLD + JUST, THRESHOLD * 3, THRESHOLD * 2]
    assert sync_concurrency(observed(*serialized, view_threads=(WORKER,), stall_ms=every)).state is State.BLOCKING


def test_no_stall_measurement_is_undecided():
    assert sync_concurrency(observed(SERIALIZED_WALL, view_threads=(WORKER,), stall_ms=None)).state is State.UNDECIDED
    assert async_concurrency(observed(OVERLAPPED_WALL, noise_ms=None)).state is State.UNDECIDED


def test_one_at_a_time_on_the_loop_thread_without_a_stall_contradicts_itself():
    verdict = sync_concurrency(observed(SERIALIZED_WALL, view_threads=(LOOP,)))
    assert verdict.state is State.UNDECIDED
    assert "never stalled" in verdict.reason


def test_undecided_when_samples_disagree_or_sit_in_the_gray_zone():
    assert async_concurrency(observed(OVERLAPPED_WALL, SERIALIZED_WALL)).state is State.UNDECIDED
    assert sync_concurrency(observed(GRAY_WALL, GRAY_WALL, view_threads=(2,))).state is State.UNDECIDED
    assert async_concurrency(observed()).state is State.UNDECIDED
    # The clock must settle it first: a stalled loop with disagreeing samples is still undecided.
    stalled = observed(OVERLAPPED_WALL, GRAY_WALL, stall_ms=THRESHOLD * 2)
    assert async_concurrency(stalled).state is State.UNDECIDED


@pytest.mark.parametrize(
    ("walls", "settled"),
    [
        ((OVERLAPPED_WALL, OVERLAPPED_WALL, GRAY_WALL), OVERLAPPED),  # a majority overlapped: the gray one was slowed
        ((GRAY_WALL, OVERLAPPED_WALL, OVERLAPPED_WALL), OVERLAPPED),
        ((OVERLAPPED_WALL, GRAY_WALL, GRAY_WALL), None),  # no majority
        ((OVERLAPPED_WALL, GRAY_WALL), None),  # half is no majority
        ((GRAY_WALL, GRAY_WALL, GRAY_WALL), None),  # partly overlapping, every time
        ((SERIALIZED_WALL, SERIALIZED_WALL, GRAY_WALL), None),  # a serialized burst is never shortened into gray
        ((OVERLAPPED_WALL, OVERLAPPED_WALL, SERIALIZED_WALL), None),
        ((SERIALIZED_WALL, SERIALIZED_WALL, SERIALIZED_WALL), SERIALIZED),
        ((), None),
    ],
)
def test_settle_lets_a_majority_of_overlapped_samples_absorb_gray_ones_only(walls, settled):
    assert settle([classify(wall, N, T) for wall in walls]) == settled


def test_a_slowed_burst_beside_overlapped_ones_is_not_undecided():
    verdict = sync_concurrency(observed(OVERLAPPED_WALL, OVERLAPPED_WALL, GRAY_WALL, view_threads=(2, 3)))
    assert verdict.state is State.THREADED
    assert verdict.facts["samples"] == [OVERLAPPED, OVERLAPPED, GRAY]


def test_sync_threaded_when_overlapped_on_workers():
    verdict = sync_concurrency(observed(OVERLAPPED_WALL, view_threads=(2, 3, 4)))
    assert verdict.state is State.THREADED
    assert verdict.measurements["distinct_view_threads"] == 3


def test_sync_overlapping_on_the_loop_thread_is_undecided():
    assert sync_concurrency(observed(OVERLAPPED_WALL)).state is State.UNDECIDED


def test_broken_when_requests_fail_and_absent_without_an_entry_point():
    verdict = async_concurrency(observed(0.1, view_threads=(), failures=["HTTP 500: AttributeError: x"] * 2))
    assert verdict.state is State.BROKEN
    assert verdict.facts["failures"] == ["HTTP 500: AttributeError: x"]
    no_asgi = "ModuleNotFoundError: No module named 'django.core.asgi'"
    assert sync_concurrency(observed(entrypoint_error=no_asgi)).state is State.ABSENT


def test_absent_when_every_request_failed_because_the_handler_does_not_know_async_views():
    unoffered = f"HTTP 500: {ASYNC_VIEW_UNOFFERED}"  # Django 3.0 in the committed run
    verdict = async_concurrency(observed(0.1, view_threads=(), failures=[unoffered]))
    assert verdict.state is State.ABSENT
    assert verdict.reason.startswith("the handler called the async view as a sync function")
    mixed = async_concurrency(observed(0.1, view_threads=(), failures=[unoffered, "HTTP 500: AttributeError: x"]))
    assert mixed.state is State.BROKEN


def test_only_an_undecided_verdict_that_noise_may_have_caused_asks_for_another_attempt():
    worker = (WORKER,)
    again = [
        async_concurrency(observed(OVERLAPPED_WALL, SERIALIZED_WALL)),  # samples disagree
        sync_concurrency(observed(GRAY_WALL, GRAY_WALL, view_threads=worker)),  # a gray burst
        sync_concurrency(observed(SERIALIZED_WALL, view_threads=worker, noise_ms=THRESHOLD)),  # a noisy meter
    ]
    assert [(verdict.state, verdict.retry) for verdict in again] == [(State.UNDECIDED, True)] * 3
    final = [
        sync_concurrency(observed(SERIALIZED_WALL, view_threads=worker, stall_ms=None)),  # no stall measured
        sync_concurrency(observed(SERIALIZED_WALL, view_threads=(LOOP,))),  # contradicts itself
        sync_concurrency(observed(OVERLAPPED_WALL, view_threads=(LOOP,))),  # a sync view overlapping on the loop
        async_concurrency(observed(OVERLAPPED_WALL)),  # settled
    ]
    assert [verdict.retry for verdict in final] == [False] * 4
    assert [verdict.state for verdict in final][:3] == [State.UNDECIDED] * 3


def test_the_bursts_wall_time_is_published_as_the_probes_deliberate_wait():
    verdict = async_concurrency(observed(OVERLAPPED_WALL, 0.4, 0.2001))
    assert verdict.measurements[WAITED] == 0.9

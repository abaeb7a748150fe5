"""The timing rules reach every state they can return, and classify samples and stalls by their named margins."""

from __future__ import annotations

import pytest

from contract.rows import WAITED
from contract.states import State
from harness.rules.timing import (
    NOISE_MAX_FRACTION,
    OVERLAPPED,
    SERIALIZED,
    STALL_FLOOR_MS,
    ConcurrencyObservation,
    async_concurrency,
    classify,
    overall,
    stall_threshold_ms,
    sync_concurrency,
)
from tests.unit.harness.rules.observations import ASYNC_VIEW_UNOFFERED

LOOP, WORKER = 1, 2
N, T = 20, 0.2  # N*T = 4 s
ALL, ONE = N, 1  # a sample's most sleeps in progress at once: every request's, or one at a time
QUIET = 3.0  # ms: a free loop's stall and the meter's noise, as measured here
THRESHOLD = stall_threshold_ms(T)  # 100 ms: half the 200 ms a sleep on the loop would stall it by
JUST = 0.001  # ms: the smallest step past a margin the rules must notice


def observed(
    *at_once, view_threads=(LOOP,), failures=(), entrypoint_error=None, stall_ms=QUIET, noise_ms=QUIET, walls=None
):
    """One sample per `at_once` (the most sleeps in progress at one moment of its burst), its wall time `walls` or
    what a quiet machine takes (T when they overlap, N*T one at a time); one stall per sample: `stall_ms` for each,
    or a list of them; None for no measurement."""
    walls = list(walls) if walls is not None else [T if count > 1 else N * T for count in at_once]
    stalls = [] if stall_ms is None else stall_ms if isinstance(stall_ms, list) else [stall_ms] * len(at_once)
    return ConcurrencyObservation(
        entrypoint_error, N, T, walls, [LOOP], list(view_threads), list(failures), stalls, noise_ms, list(at_once)
    )


@pytest.mark.parametrize(("at_once", "sample"), [(1, SERIALIZED), (2, OVERLAPPED), (N, OVERLAPPED)])
def test_two_sleeps_in_progress_at_once_is_an_overlap_and_one_is_not(at_once, sample):
    assert classify(at_once) == sample


def test_the_stall_threshold_is_half_the_injected_delay_and_never_below_the_floor():
    assert THRESHOLD == 100.0
    assert stall_threshold_ms(0.05) == STALL_FLOOR_MS
    verdict = async_concurrency(observed(ALL))
    assert verdict.facts["stall_threshold_ms"] == THRESHOLD


def test_async_native_when_overlapped_on_the_loop():
    verdict = async_concurrency(observed(ALL, ALL, 5, walls=[0.3, 0.3, 0.4]))
    assert verdict.state is State.NATIVE
    assert verdict.facts["overlapped"] is True
    assert verdict.facts["loop_stalled"] is False
    assert verdict.measurements["at_once"] == [ALL, ALL, 5]
    assert verdict.measurements["ratios"] == [0.075, 0.075, 0.1]
    assert verdict.measurements["spread"] == 0.025
    assert verdict.measurements["stalls_ms"] == [QUIET] * 3


def test_async_threaded_when_overlapped_on_workers():
    assert async_concurrency(observed(ALL, view_threads=(2, 3))).state is State.THREADED


def test_one_at_a_time_on_one_worker_with_a_free_loop_is_serialized_not_blocking():
    verdict = sync_concurrency(observed(ONE, ONE, view_threads=(WORKER, WORKER)))
    assert verdict.state is State.SERIALIZED
    assert verdict.facts["overlapped"] is False
    assert verdict.facts["one_view_thread"] is True
    assert verdict.facts["loop_stalled"] is False
    assert "event loop stayed free" in verdict.reason
    assert async_concurrency(observed(ONE, view_threads=(WORKER,))).state is State.SERIALIZED


def test_a_starved_machine_cannot_turn_overlapping_requests_into_serialized_ones():
    """With 8 envs on 2 cores the Django work around each sleep outlasts the sleeps: the bursts' wall times look
    one-at-a-time (x1.0 of N*T), yet two sleeps were in progress together, which a server serving one request at a
    time never shows; one such burst is enough."""
    starved = observed(2, ONE, ONE, view_threads=(2, 3, 4), walls=[N * T * 1.1] * 3)
    assert sync_concurrency(starved).state is State.THREADED
    assert sync_concurrency(observed(ONE, ONE, ONE, view_threads=(2, 3, 4), walls=[T] * 3)).state is State.SERIALIZED


def test_a_stalled_loop_is_blocking_whether_requests_queued_or_overlapped():
    stalled = THRESHOLD * 2
    on_loop = sync_concurrency(observed(ONE, stall_ms=stalled))
    assert on_loop.state is State.BLOCKING
    assert on_loop.facts["loop_stalled"] is True
    assert sync_concurrency(observed(ONE, view_threads=(WORKER,), stall_ms=stalled)).state is State.BLOCKING
    # A loop that stalled cannot make a run "threaded", even when the requests overlapped.
    assert async_concurrency(observed(ALL, view_threads=(2, 3), stall_ms=stalled)).state is State.BLOCKING
    assert async_concurrency(observed(ALL, stall_ms=stalled)).state is State.BLOCKING


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
    assert sync_concurrency(observed(ONE, view_threads=(WORKER,), stall_ms=stall_ms)).state is state


@pytest.mark.parametrize(
    ("noise_ms", "state"),
    [(NOISE_MAX_FRACTION * THRESHOLD, State.SERIALIZED), (NOISE_MAX_FRACTION * THRESHOLD + JUST, State.UNDECIDED)],
)
def test_a_meter_too_noisy_to_tell_a_stall_leaves_it_undecided(noise_ms, state):
    verdict = sync_concurrency(observed(ONE, view_threads=(WORKER,), noise_ms=noise_ms))
    assert verdict.state is state


def test_the_loop_is_stalled_only_when_every_sample_stalled_it():
    # A sleep on the loop stalls every burst; a hiccup stalls one.
    hiccup = [QUIET, THRESHOLD + 40, QUIET]
    assert sync_concurrency(observed(ONE, ONE, ONE, view_threads=(WORKER,), stall_ms=hiccup)).state is State.SERIALIZED
    every = [THRESHOLD + JUST, THRESHOLD * 3, THRESHOLD * 2]
    assert sync_concurrency(observed(ONE, ONE, ONE, view_threads=(WORKER,), stall_ms=every)).state is State.BLOCKING


def test_no_stall_measurement_is_undecided():
    assert sync_concurrency(observed(ONE, view_threads=(WORKER,), stall_ms=None)).state is State.UNDECIDED
    assert async_concurrency(observed(ALL, noise_ms=None)).state is State.UNDECIDED


def test_one_at_a_time_on_the_loop_thread_without_a_stall_contradicts_itself():
    verdict = sync_concurrency(observed(ONE, view_threads=(LOOP,)))
    assert verdict.state is State.UNDECIDED
    assert "never stalled" in verdict.reason


def test_undecided_without_a_burst():
    verdict = async_concurrency(observed())
    assert verdict.state is State.UNDECIDED
    assert verdict.reason == "no burst was measured"


@pytest.mark.parametrize(
    ("at_once", "settled"),
    [
        ((ALL, ALL, ALL), OVERLAPPED),
        ((2, ONE, ONE), OVERLAPPED),  # one overlap refutes one-at-a-time: a starved burst may show none
        ((ONE, ONE, ONE), SERIALIZED),
        ((ONE,), SERIALIZED),
        ((), None),
    ],
)
def test_one_burst_that_overlapped_settles_it_and_only_bursts_that_never_did_are_serialized(at_once, settled):
    assert overall([classify(count) for count in at_once]) == settled


def test_sync_threaded_when_overlapped_on_workers():
    verdict = sync_concurrency(observed(ALL, view_threads=(2, 3, 4)))
    assert verdict.state is State.THREADED
    assert verdict.measurements["distinct_view_threads"] == 3


def test_sync_overlapping_on_the_loop_thread_is_undecided():
    assert sync_concurrency(observed(ALL)).state is State.UNDECIDED


def test_broken_when_requests_fail_and_absent_without_an_entry_point():
    verdict = async_concurrency(observed(ALL, view_threads=(), failures=["HTTP 500: AttributeError: x"] * 2))
    assert verdict.state is State.BROKEN
    assert verdict.facts["failures"] == ["HTTP 500: AttributeError: x"]
    no_asgi = "ModuleNotFoundError: No module named 'django.core.asgi'"
    assert sync_concurrency(observed(entrypoint_error=no_asgi)).state is State.ABSENT


def test_absent_when_every_request_failed_because_the_handler_does_not_know_async_views():
    unoffered = f"HTTP 500: {ASYNC_VIEW_UNOFFERED}"  # Django 3.0 in the committed run
    verdict = async_concurrency(observed(ALL, view_threads=(), failures=[unoffered]))
    assert verdict.state is State.ABSENT
    assert verdict.reason.startswith("the handler called the async view as a sync function")
    mixed = async_concurrency(observed(ALL, view_threads=(), failures=[unoffered, "HTTP 500: AttributeError: x"]))
    assert mixed.state is State.BROKEN


def test_only_an_undecided_verdict_that_noise_may_have_caused_asks_for_another_attempt():
    worker = (WORKER,)
    again = sync_concurrency(observed(ONE, view_threads=worker, noise_ms=THRESHOLD))  # a noisy meter
    assert (again.state, again.retry) == (State.UNDECIDED, True)
    final = [
        sync_concurrency(observed(ONE, view_threads=worker, stall_ms=None)),  # no stall measured
        sync_concurrency(observed(ONE, view_threads=(LOOP,))),  # contradicts itself
        sync_concurrency(observed(ALL, view_threads=(LOOP,))),  # a sync view overlapping on the loop
        async_concurrency(observed()),  # no burst
        async_concurrency(observed(ALL)),  # settled
    ]
    assert [verdict.retry for verdict in final] == [False] * 5
    assert [verdict.state for verdict in final][:4] == [State.UNDECIDED] * 4


def test_the_bursts_wall_time_is_published_as_the_probes_deliberate_wait():
    verdict = async_concurrency(observed(ALL, ALL, ALL, walls=[0.3, 0.4, 0.2001]))
    assert verdict.measurements[WAITED] == 0.9

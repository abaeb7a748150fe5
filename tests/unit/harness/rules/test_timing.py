"""The timing rules reach every state they can return, and classify samples by their named margins."""

from __future__ import annotations

from harness.rules.timing import (
    GRAY,
    OVERLAPPED,
    OVERLAPPED_MAX_RATIO,
    SERIALIZED,
    SERIALIZED_MIN_RATIO,
    ConcurrencyObservation,
    async_concurrency,
    classify,
    sync_concurrency,
)
from harness.states import State

LOOP = 1
N, T = 20, 0.2  # N*T = 4 s
OVERLAPPED_WALL, SERIALIZED_WALL, GRAY_WALL = 0.3, 4.2, 2.6


def observed(*walls, view_threads=(LOOP,), failures=(), entrypoint_error=None):
    return ConcurrencyObservation(entrypoint_error, N, T, list(walls), [LOOP], list(view_threads), list(failures))


def test_classify_uses_the_named_margins():
    assert classify(N * T * OVERLAPPED_MAX_RATIO, N, T) == OVERLAPPED
    assert classify(N * T * SERIALIZED_MIN_RATIO, N, T) == SERIALIZED
    assert classify(GRAY_WALL, N, T) == GRAY


def test_async_native_when_overlapped_on_the_loop():
    verdict = async_concurrency(observed(OVERLAPPED_WALL, OVERLAPPED_WALL, 0.4))
    assert verdict.state is State.NATIVE
    assert verdict.facts["samples"] == [OVERLAPPED] * 3
    assert verdict.measurements["ratios"] == [0.075, 0.075, 0.1]
    assert verdict.measurements["spread"] == 0.025


def test_async_threaded_when_overlapped_on_workers():
    assert async_concurrency(observed(OVERLAPPED_WALL, view_threads=(2, 3))).state is State.THREADED


def test_blocking_when_serialized():
    assert async_concurrency(observed(SERIALIZED_WALL, SERIALIZED_WALL)).state is State.BLOCKING
    verdict = sync_concurrency(observed(SERIALIZED_WALL, view_threads=(2, 2)))
    assert verdict.state is State.BLOCKING
    assert verdict.facts["one_view_thread"] is True


def test_undecided_when_samples_disagree_or_sit_in_the_gray_zone():
    assert async_concurrency(observed(OVERLAPPED_WALL, SERIALIZED_WALL)).state is State.UNDECIDED
    assert sync_concurrency(observed(GRAY_WALL, GRAY_WALL, view_threads=(2,))).state is State.UNDECIDED
    assert async_concurrency(observed()).state is State.UNDECIDED


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

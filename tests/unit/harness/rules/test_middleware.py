"""The middleware trace rule reaches every state it can return, from traces built inline."""

from __future__ import annotations

from contract.states import State
from harness.rules import middleware as rules
from harness.rules.response import HttpObservation
from harness.rules.timing import ConcurrencyObservation
from tests.unit.harness.rules.observations import (
    ASYNC_VIEW_UNOFFERED,
    ASYNC_VIEW_UNOFFERED_IN_MIDDLEWARE,
    LOOP,
    NO_ASGI,
    WORKER,
    failed,
    ok,
)


def step(name, thread=LOOP):
    return [name, thread]


def test_middleware_trace_native_without_hops():
    trace = [step("outer:request"), step("outer:response")]
    verdict = rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), trace)
    assert verdict.state is State.NATIVE
    assert verdict.facts["hops"] == 0


def test_middleware_trace_threaded_counts_hops_and_says_where_the_view_ran():
    trace = [
        step("outer:request"),
        step("sync_to_async(middleware)"),
        step("sync-only:request", WORKER),
        step("async_to_sync(middleware)", WORKER),
        step("outer:response"),
    ]
    verdict = rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), trace, ("sync-only",))
    assert verdict.state is State.THREADED
    assert verdict.facts["hops"] == 2
    assert verdict.facts["off_loop_steps"] == ["sync-only:request"]
    assert verdict.facts["view_on_loop"] is True


def test_middleware_trace_threaded_by_hops_alone():
    trace = [step("outer:request"), step("sync_to_async(SessionMiddleware.process_request)")]
    verdict = rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), trace)
    assert verdict.state is State.THREADED
    assert verdict.facts["hop_steps"] == ["sync_to_async(SessionMiddleware.process_request)"]


def test_middleware_trace_undecided_not_blocking_when_sync_middleware_ran_on_the_loop_without_a_measured_stall():
    trace = [step("sync-only:request"), step("sync-only:response")]
    verdict = rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), trace, ("sync-only",))
    assert verdict.state is State.UNDECIDED
    assert "sync-only:request" in verdict.reason


def test_middleware_trace_undecided_broken_absent():
    assert rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), None).state is State.UNDECIDED
    assert rules.middleware_trace(failed(), None).state is State.BROKEN
    assert rules.middleware_trace(HttpObservation(NO_ASGI, None), None).state is State.ABSENT


def test_middleware_around_an_async_view_the_handler_does_not_know_is_absent():
    unoffered = HttpObservation(None, 500, server_exception=ASYNC_VIEW_UNOFFERED)
    assert rules.middleware_trace(unoffered, None).state is State.ABSENT
    failure = f"HTTP 500: {ASYNC_VIEW_UNOFFERED_IN_MIDDLEWARE}"  # Django 3.0, a sync layer setting a header
    verdict = rules.sync_layer_concurrency(ConcurrencyObservation(None, 5, 0.2, [], [], [], [failure] * 5))
    assert verdict.state is State.ABSENT
    assert verdict.reason.endswith(f"({failure})")
    assert verdict.facts["failures"] == [failure]


def burst(*at_once, layer_threads=(WORKER,), stalls=3.0, noise=2.0):
    """5 requests sleeping 0.2 s behind one sync layer, per sample the most sleeping at one moment: 1 when the layer
    queues them (1 s a burst), more when it does not (0.2 s)."""
    walls = [0.2 if count > 1 else 1.0 for count in at_once]
    return ConcurrencyObservation(
        None, 5, 0.2, walls, [LOOP], list(layer_threads), [], [stalls] * len(at_once), noise, list(at_once)
    )


def test_one_sync_layer_overlapping_in_a_worker_per_request_is_threaded():
    assert rules.sync_layer_concurrency(burst(5, 4, layer_threads=(2, 3, 4))).state is State.THREADED


def test_one_sync_layer_queueing_requests_on_one_thread_is_serialized_not_blocking():
    verdict = rules.sync_layer_concurrency(burst(1, 1))
    assert verdict.state is State.SERIALIZED
    assert verdict.facts["one_view_thread"] is True


def test_one_sync_layer_blocking_when_the_loop_stalled_and_broken_when_requests_fail():
    assert rules.sync_layer_concurrency(burst(1, 1, stalls=200.0)).state is State.BLOCKING
    failing = ConcurrencyObservation(None, 5, 0.2, [], [], [], ["HTTP 500: AttributeError: x"])
    assert rules.sync_layer_concurrency(failing).state is State.BROKEN
    assert rules.sync_layer_concurrency(burst(1, 1, noise=60.0)).state is State.UNDECIDED  # a meter too noisy


NOT_USED_CRASH = "RuntimeError: You cannot use AsyncToSync in the same thread as an async event loop - just await the async function directly."


def test_not_used_in_every_state():
    assert rules.not_used(ok({"loop_thread": LOOP, "view_thread": LOOP})).state is State.NATIVE
    assert rules.not_used(ok({"loop_thread": LOOP, "view_thread": WORKER})).state is State.THREADED
    crashed = rules.not_used(HttpObservation(None, 500, server_exception=NOT_USED_CRASH))
    assert (crashed.state, crashed.reason) == (State.BROKEN, f"HTTP 500: {NOT_USED_CRASH}")
    assert rules.not_used(HttpObservation(None, 500, server_exception=ASYNC_VIEW_UNOFFERED)).state is State.ABSENT
    assert rules.not_used(HttpObservation(NO_ASGI, None)).state is State.ABSENT
    assert rules.not_used(ok({"loop_thread": None, "view_thread": WORKER})).state is State.UNDECIDED


SECURITY_CRASH = "AttributeError: 'coroutine' object has no attribute 'get'"


SERVED = ok({"loop_thread": LOOP, "view_thread": LOOP})


def mixin(trace, view=WORKER, builtin=SERVED, baseline=SERVED):
    return rules.mixin_threads(baseline, ok({"loop_thread": LOOP, "view_thread": view}), trace, builtin)


def test_mixin_threads_in_every_state():
    on_view = [
        step("outer-mixin:request", WORKER),
        step("inner-mixin:request", WORKER),
        step("inner-mixin:response", WORKER),
    ]
    assert mixin(on_view).state is State.THREADED
    assert mixin([step("outer-mixin:request")], view=LOOP).state is State.NATIVE
    # 3.1.0 with asgiref 3.2: the hooks ran on threads of the pool, not the sync view's thread (#31905).
    pooled = mixin([step("outer-mixin:request", 3), step("inner-mixin:request", WORKER)])
    assert pooled.state is State.BROKEN
    assert pooled.facts["hooks_off_view_thread"] == ["outer-mixin:request"]
    # 3.1.0: SecurityMiddleware called the async get_response as a sync one (#31928).
    crashed = mixin([step("outer-mixin:request", 3)], builtin=crashed_builtin())
    assert (crashed.state, crashed.reason) == (State.BROKEN, f"HTTP 500: {SECURITY_CRASH}")
    assert crashed.facts["hooks_off_view_thread"] == ["outer-mixin:request"]  # the other condition, as evidence
    # 3.0: the async view fails without any middleware, and so in SecurityMiddleware ("'coroutine' object has no
    # attribute 'setdefault'"), which is no bug of the mixin: async views are not offered.
    unoffered = HttpObservation(None, 500, server_exception=ASYNC_VIEW_UNOFFERED)
    assert mixin(on_view, builtin=crashed_builtin(), baseline=unoffered).state is State.ABSENT
    assert mixin(on_view, baseline=HttpObservation(NO_ASGI, None)).state is State.ABSENT
    assert mixin(None).state is State.UNDECIDED
    assert rules.mixin_threads(SERVED, failed(), on_view, SERVED).state is State.BROKEN


def crashed_builtin():
    return HttpObservation(None, 500, server_exception=SECURITY_CRASH)

"""The middleware trace rule reaches every state it can return, from traces built inline."""

from __future__ import annotations

from harness.rules import middleware as rules
from harness.rules.response import HttpObservation
from harness.states import State
from tests.unit.harness.rules.observations import LOOP, NO_ASGI, WORKER, failed, ok


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


def test_middleware_trace_blocking_when_sync_middleware_ran_on_the_loop():
    trace = [step("sync-only:request"), step("sync-only:response")]
    verdict = rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), trace, ("sync-only",))
    assert verdict.state is State.BLOCKING


def test_middleware_trace_undecided_broken_absent():
    assert rules.middleware_trace(ok({"loop_thread": LOOP, "view_thread": LOOP}), None).state is State.UNDECIDED
    assert rules.middleware_trace(failed(), None).state is State.BROKEN
    assert rules.middleware_trace(HttpObservation(NO_ASGI, None), None).state is State.ABSENT

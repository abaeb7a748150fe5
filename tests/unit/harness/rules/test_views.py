"""The async view rules reach every state they can return, from observations built inline."""

from __future__ import annotations

import dataclasses

from contract.states import State
from harness.rules import views as rules
from harness.rules.response import ASYNC_VIEWS, HttpObservation
from harness.rules.views import DecoratedCall
from tests.unit.harness.rules.observations import (
    ASYNC_CLASS_VIEW_UNOFFERED,
    ASYNC_VIEW_UNOFFERED,
    ASYNC_VIEW_UNOFFERED_BEFORE_304,
    LOOP,
    NO_ASGI,
    WORKER,
    failed,
    ok,
)


def test_loop_thread():
    assert rules.loop_thread(ok({"loop_thread": LOOP, "view_thread": LOOP})).state is State.NATIVE
    assert rules.loop_thread(ok({"loop_thread": LOOP, "view_thread": WORKER})).state is State.THREADED
    assert rules.loop_thread(ok({"loop_thread": None, "view_thread": WORKER})).state is State.UNDECIDED
    assert rules.loop_thread(failed()).state is State.BROKEN
    assert rules.loop_thread(HttpObservation(NO_ASGI, None)).state is State.ABSENT


def test_an_async_view_the_handler_calls_as_a_sync_function_is_absent_not_broken():
    # Django 3.0 (no async views) and 3.1-4.0 (no async class-based views), as served in the committed run.
    for exception in (ASYNC_VIEW_UNOFFERED, ASYNC_VIEW_UNOFFERED_BEFORE_304, ASYNC_CLASS_VIEW_UNOFFERED):
        verdict = rules.loop_thread(HttpObservation(None, 500, server_exception=exception))
        assert verdict.state is State.ABSENT
        assert verdict.reason == f"{ASYNC_VIEWS} ({exception})"


def decorated(name="never_cache", status=200, header=("cache-control", "no-cache"), value="no-cache", on_loop=True):
    return DecoratedCall(name, 200, status, header, value, on_loop, None if status == 200 else "ValueError: coroutine")


def test_decorators_native_when_all_work_on_the_loop():
    verdict = rules.decorators(ok(), [decorated(), decorated("login_required", 200, None, None, None)])
    assert verdict.state is State.NATIVE
    assert verdict.facts["working"] == ["never_cache", "login_required"]


def test_decorators_broken_lists_status_and_header_failures():
    calls = [decorated("require_GET", status=500), decorated("never_cache", value="max-age=60"), decorated("etag")]
    verdict = rules.decorators(ok(), calls)
    assert verdict.state is State.BROKEN
    assert set(verdict.facts["failing"]) == {"require_GET", "never_cache"}
    assert "ValueError: coroutine" in verdict.facts["failing"]["require_GET"]
    assert verdict.facts["working"] == ["etag"]


def test_decorators_threaded_when_a_view_ran_off_the_loop():
    verdict = rules.decorators(ok(), [decorated(on_loop=False)])
    assert verdict.state is State.THREADED
    assert verdict.facts["off_loop"] == ["never_cache"]


def test_decorators_absent_without_an_async_view():
    assert rules.decorators(failed(), [decorated()]).state is State.ABSENT
    assert rules.decorators(HttpObservation(NO_ASGI, None), []).state is State.ABSENT


METHOD_CRASH = "TypeError: object HttpResponseNotAllowed can't be used in 'await' expression"


def test_method_not_allowed_in_every_state():
    served = ok({"loop_thread": LOOP, "view_thread": LOOP})
    assert rules.method_not_allowed(served, HttpObservation(None, 405)).state is State.NATIVE
    threaded = ok({"loop_thread": LOOP, "view_thread": WORKER})
    assert rules.method_not_allowed(threaded, HttpObservation(None, 405)).state is State.THREADED
    crashed = rules.method_not_allowed(served, HttpObservation(None, 500, server_exception=METHOD_CRASH))
    assert (crashed.state, crashed.reason) == (State.BROKEN, f"POST answered HTTP 500, not 405: {METHOD_CRASH}")
    unoffered = HttpObservation(None, 500, server_exception=ASYNC_CLASS_VIEW_UNOFFERED)
    assert rules.method_not_allowed(unoffered, HttpObservation(None, 405)).state is State.ABSENT
    assert (
        rules.method_not_allowed(HttpObservation(NO_ASGI, None), HttpObservation(NO_ASGI, None)).state is State.ABSENT
    )
    assert rules.method_not_allowed(failed(), HttpObservation(None, 405)).state is State.BROKEN
    undecided = ok({"loop_thread": None, "view_thread": WORKER})
    assert rules.method_not_allowed(undecided, HttpObservation(None, 405)).state is State.UNDECIDED


def finished(fired, threads=(WORKER,), requests=51, error=None, baseline=None):
    baseline = baseline or ok({"loop_thread": LOOP, "view_thread": LOOP})
    return rules.FinishedCount(baseline, requests, 25, fired, LOOP, threads, error)


def test_request_finished_in_every_state():
    # 5.0.0-5.0.1: no request_finished for the requests whose client left before the response (#35059).
    missed = rules.request_finished(finished(26))
    assert missed.state is State.BROKEN
    assert (
        missed.reason
        == "request_finished fired for 26 of 51 requests (25 of them abandoned by the client before the response)"
    )
    assert rules.request_finished(finished(51)).state is State.THREADED
    assert rules.request_finished(finished(51, threads=(LOOP,))).state is State.NATIVE
    assert rules.request_finished(finished(52)).state is State.UNDECIDED
    # Each later reading of the count is a request that fires too: three readings, 54 signals, all 51 fired.
    read_thrice = rules.request_finished(dataclasses.replace(finished(54), readings=3))
    assert (read_thrice.state, read_thrice.facts["fired"]) == (State.THREADED, 51)
    unread = rules.request_finished(finished(None, error="HTTP 500"))
    assert (unread.state, unread.reason) == (State.BROKEN, "the count of request_finished could not be read: HTTP 500")
    assert rules.request_finished(finished(None, baseline=HttpObservation(NO_ASGI, None))).state is State.ABSENT
    unoffered = HttpObservation(None, 500, server_exception=ASYNC_VIEW_UNOFFERED)
    assert rules.request_finished(finished(None, baseline=unoffered)).state is State.ABSENT
    assert rules.request_finished(finished(None, baseline=failed())).state is State.BROKEN

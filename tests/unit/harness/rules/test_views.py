"""The async view rules reach every state they can return, from observations built inline."""

from __future__ import annotations

from contract.states import State
from harness.rules import views as rules
from harness.rules.response import ASYNC_VIEWS, HttpObservation
from harness.rules.views import DecoratedCall
from tests.unit.harness.rules.observations import (
    ASYNC_CLASS_VIEW_UNOFFERED,
    ASYNC_VIEW_UNOFFERED,
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
    for exception in (ASYNC_VIEW_UNOFFERED, ASYNC_CLASS_VIEW_UNOFFERED):
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

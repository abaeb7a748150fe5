"""The HTTP rules reach every state they can return, from observations built inline."""

from __future__ import annotations

import functools

from harness.rules import http as rules
from harness.rules.http import DecoratedCall, HttpObservation, StreamObservation
from harness.states import State

LOOP, WORKER = 1, 2
NO_ASGI = "ModuleNotFoundError: No module named 'django.core.asgi'"
ok = functools.partial(HttpObservation, None, 200)
failed = functools.partial(HttpObservation, None, 500, server_exception="AttributeError: 'coroutine' object ...")


def test_entrypoint_missing_is_absent_for_an_import_error_and_broken_otherwise():
    assert rules.entrypoint_missing(None) is None
    assert rules.entrypoint_missing(NO_ASGI).state is State.ABSENT
    assert rules.entrypoint_missing("RuntimeError: settings are broken").state is State.BROKEN


def test_served():
    assert rules.served(ok()).state is State.NATIVE
    assert rules.served(failed()).state is State.BROKEN
    assert rules.served(HttpObservation(NO_ASGI, 500)).state is State.ABSENT
    refused = rules.served(HttpObservation(None, None, client_error="ConnectError: refused"))
    assert refused.state is State.BROKEN
    assert refused.facts["client_error"] == "ConnectError: refused"


def test_loop_thread():
    assert rules.loop_thread(ok({"loop_thread": LOOP, "view_thread": LOOP})).state is State.NATIVE
    assert rules.loop_thread(ok({"loop_thread": LOOP, "view_thread": WORKER})).state is State.THREADED
    assert rules.loop_thread(ok({"loop_thread": None, "view_thread": WORKER})).state is State.UNDECIDED
    assert rules.loop_thread(failed()).state is State.BROKEN
    assert rules.loop_thread(HttpObservation(NO_ASGI, None)).state is State.ABSENT


def test_websocket():
    assert rules.websocket(None, True, True, 101, None).state is State.NATIVE
    assert rules.websocket(None, True, False, 101, None).state is State.BROKEN
    assert rules.websocket(None, False, False, 500, "ValueError: not websocket.").state is State.ABSENT
    assert rules.websocket(None, False, False, None, None).state is State.UNDECIDED


def test_lifespan_under_uvicorn_quotes_the_app_error():
    log = "INFO:     Waiting for application startup.\nINFO:     ASGI 'lifespan' protocol appears unsupported.\n"
    verdict = rules.lifespan("uvicorn", log, None, "ValueError: not lifespan.")
    assert verdict.state is State.ABSENT
    assert "ValueError: not lifespan." in verdict.reason
    assert verdict.facts["log_lines"][1] == rules.UVICORN_LIFESPAN_UNSUPPORTED


def test_lifespan_log_lines_leave_out_the_traceback():
    log = (
        "INFO:     ASGI 'lifespan' protocol appears unsupported.\n"
        '  File "/somewhere/uvicorn/lifespan/on.py", line 86, in main\n'
        "INFO:     Application startup complete.\n"
    )
    lines = rules.lifespan("uvicorn", log, None, "ValueError: not lifespan.").facts["log_lines"]
    assert lines == [rules.UVICORN_LIFESPAN_UNSUPPORTED, "Application startup complete."]


def test_lifespan_native_when_startup_completed():
    log = "INFO:     Waiting for application startup.\nINFO:     Application startup complete.\n"
    assert rules.lifespan("uvicorn", log, None, None).state is State.NATIVE


def test_lifespan_under_a_server_without_it_depends_on_the_app():
    assert rules.lifespan("daphne", "Listening on TCP address", None, "ValueError: not lifespan.").state is State.ABSENT
    assert rules.lifespan("daphne", "Listening on TCP address", None, None).state is State.NOT_RUN


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


def chunks(thread):
    return [{"loop_thread": LOOP, "chunk_thread": thread}] * 3


WARNING = "StreamingHttpResponse must consume synchronous iterators in order to serve them asynchronously."
streamed = functools.partial(StreamObservation, None, 200, arrival_gaps=[0.05, 0.05])


def test_streaming():
    assert rules.streaming(streamed(chunks(LOOP))).state is State.NATIVE
    threaded = rules.streaming(streamed(chunks(WORKER), warning=WARNING))
    assert threaded.state is State.THREADED
    assert WARNING in threaded.reason
    assert rules.streaming(streamed(chunks(LOOP), warning=WARNING)).state is State.BLOCKING
    broken = rules.streaming(
        StreamObservation(None, 500, [], [], "TypeError: 'async_generator' object is not iterable")
    )
    assert broken.state is State.BROKEN
    assert rules.streaming(StreamObservation(NO_ASGI, None, [], [])).state is State.ABSENT


def test_streaming_warning_pattern_takes_the_first_sentence():
    log = f"<site-packages>/django/http/response.py:534: Warning: {WARNING} Use an asynchronous iterator instead.\n"
    assert rules.STREAMING_WARNING.search(log).group(0) == WARNING


def test_client_disconnect():
    assert rules.client_disconnect(None, "cancelled", None).state is State.NATIVE
    assert rules.client_disconnect(None, "finished", None).state is State.ABSENT
    assert rules.client_disconnect(None, "started", None).state is State.UNDECIDED
    assert rules.client_disconnect(None, None, None).state is State.UNDECIDED
    never_started = rules.client_disconnect(None, None, None, "AttributeError: 'coroutine' object ...")
    assert never_started.state is State.BROKEN
    early = rules.client_disconnect(None, None, failed(), "AttributeError: 'coroutine' object ...")
    assert early.state is State.BROKEN
    assert early.measurements == {"answered_before_disconnect": True, "status": 500}
    # Whether the error response beat the client's timeout is a race: it must not change the evidence.
    assert (early.reason, early.facts) == (never_started.reason, never_started.facts)
    assert rules.client_disconnect(NO_ASGI, None, None).state is State.ABSENT

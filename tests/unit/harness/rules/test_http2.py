"""The HTTP/2 rule reaches every state it can return, from observations built inline."""

from __future__ import annotations

import functools

from contract.states import State
from harness.rules.http2 import Http2Observation, over_http2
from harness.rules.response import ASYNC_VIEWS
from tests.unit.harness.rules.observations import ASYNC_VIEW_UNOFFERED

LOOP, WORKER = 1, 2
NO_ASGI = "ModuleNotFoundError: No module named 'django.core.asgi'"
CLIENT = "httpx 0.28.1, h2 4.4.1, Python 3.11"
h2c = functools.partial(Http2Observation, "hypercorn", False, negotiated="HTTP/2", client=CLIENT)
tls = functools.partial(Http2Observation, "daphne", True, negotiated="HTTP/2", alpn="h2", client=CLIENT)


def answer(view=LOOP, http_version="2"):
    return {"loop_thread": LOOP, "view_thread": view, "http_version": http_version}


def test_native_over_prior_knowledge_and_over_alpn():
    cleartext = over_http2(h2c(status=200, body=answer()))
    assert cleartext.state is State.NATIVE
    assert "prior knowledge" in cleartext.reason
    assert cleartext.facts == {
        "server": "hypercorn",
        "tls": False,
        "view": "async",
        "client": CLIENT,
        "alpn": None,
        "http_version": "HTTP/2",
        "status": 200,
        "server_exception": None,
        "scope_http_version": "2",
        "on_loop_thread": True,
    }
    assert cleartext.measurements == {"loop_thread": LOOP, "view_thread": LOOP}
    encrypted = over_http2(tls(status=200, body=answer()))
    assert encrypted.state is State.NATIVE
    assert "ALPN h2" in encrypted.reason
    assert encrypted.facts["alpn"] == "h2"


def test_threaded_when_the_view_ran_off_the_loop():
    verdict = over_http2(tls(status=200, body=answer(view=WORKER)))
    assert verdict.state is State.THREADED
    assert verdict.facts["on_loop_thread"] is False


def test_absent_when_the_server_answers_over_http1_only():
    verdict = over_http2(Http2Observation("uvicorn", True, negotiated="HTTP/1.1", alpn=None))
    assert verdict.state is State.ABSENT
    assert verdict.reason == "uvicorn over TLS answered over HTTP/1.1 only, ALPN chose nothing"
    assert verdict.facts["http_version"] == "HTTP/1.1"


def test_absent_when_the_server_refuses_prior_knowledge():
    refused = "RemoteProtocolError: Server disconnected"
    verdict = over_http2(Http2Observation("uvicorn", False, refused=refused))
    assert verdict.state is State.ABSENT
    assert verdict.reason == f"uvicorn over cleartext refused HTTP/2: {refused}, asked with prior knowledge"
    assert verdict.facts["refused"] == refused


def test_the_entry_point_decides_before_the_view_but_keeps_the_protocol():
    verdict = over_http2(h2c(entrypoint_error=NO_ASGI, status=500))
    assert verdict.state is State.ABSENT
    assert verdict.facts["http_version"] == "HTTP/2"
    assert verdict.facts["entrypoint_error"] == NO_ASGI
    assert over_http2(h2c(entrypoint_error="RuntimeError: settings are broken")).state is State.BROKEN


def test_broken_when_http2_was_negotiated_but_django_failed():
    failed = over_http2(tls(status=500, server_exception="ValueError: no scope"))
    assert failed.state is State.BROKEN
    assert failed.reason == "HTTP/2 was negotiated, but Django answered HTTP 500: ValueError: no scope"
    lost = over_http2(tls(client_error="ReadTimeout: timed out"))
    assert lost.state is State.BROKEN
    assert lost.facts["client_error"] == "ReadTimeout: timed out"


def test_undecided_when_the_scope_disagrees_or_the_threads_are_unknown():
    disagreeing = over_http2(h2c(status=200, body=answer(http_version="1.1")))
    assert disagreeing.state is State.UNDECIDED
    assert disagreeing.facts["scope_http_version"] == "1.1"
    unknown = over_http2(h2c(status=200, body={"loop_thread": None, "view_thread": LOOP, "http_version": "2"}))
    assert unknown.state is State.UNDECIDED


def test_not_run_when_the_server_never_started():
    verdict = over_http2(
        Http2Observation(
            "daphne",
            True,
            start_error="daphne exited with code 1 before listening. Log tail:",
            server_exception="OpenSSL.SSL.Error: no certificate",
        )
    )
    assert verdict.state is State.NOT_RUN
    assert verdict.reason.startswith("daphne did not start over TLS: daphne exited with code 1")
    assert verdict.facts["server_exception"] == "OpenSSL.SSL.Error: no certificate"


def test_absent_when_http2_was_negotiated_but_the_handler_does_not_know_async_views():
    verdict = over_http2(h2c(status=500, server_exception=ASYNC_VIEW_UNOFFERED))  # Django 3.0, the async view
    assert verdict.state is State.ABSENT
    assert verdict.reason == f"HTTP/2 was negotiated, but {ASYNC_VIEWS} ({ASYNC_VIEW_UNOFFERED})"
    assert verdict.facts["http_version"] == "HTTP/2"


def test_a_sync_view_over_http2_is_threaded_and_undecided_on_the_loop():
    # HTTP/2 through ASGI needs no async view: Django 3.0 serves a sync one over it.
    sync = functools.partial(h2c, view="sync", status=200)
    verdict = over_http2(sync(body=answer(view=WORKER)))
    assert verdict.state is State.THREADED
    assert verdict.reason == "hypercorn served a sync view over HTTP/2 (prior knowledge) on a worker thread"
    assert verdict.facts["view"] == "sync"
    on_loop = over_http2(sync(body=answer(view=LOOP)))  # unadapted, but this probe measures no loop stall
    assert on_loop.state is State.UNDECIDED
    assert on_loop.reason == "hypercorn ran a sync view on the loop thread over HTTP/2 (no loop stall measured)"
    assert over_http2(tls(status=200, body=answer())).facts["view"] == "async"


def test_not_run_when_the_client_could_not_run_and_never_absent():
    unavailable = "`uv` is not on PATH, and the observer venv of requirements/observer-h2.txt is made with it. Fix: ..."
    verdict = over_http2(Http2Observation("hypercorn", False, client_unavailable=unavailable))
    assert verdict.state is State.NOT_RUN
    assert verdict.reason == f"the HTTP/2 client could not run: {unavailable}"
    assert verdict.facts == {
        "server": "hypercorn",
        "tls": False,
        "view": "async",
        "client": None,
        "alpn": None,
        "http_version": None,
        "client_unavailable": unavailable,
    }


def test_broken_when_the_server_began_an_http2_answer_without_django_and_never_finished_it():
    # hypercorn 0.9.0 (Django 3.0 as shipped): the headers of the readiness answer came over HTTP/2, its body never.
    verdict = over_http2(h2c(ready_error="ReadTimeout: timed out", entrypoint_error=NO_ASGI))
    assert verdict.state is State.BROKEN
    assert verdict.reason == (
        "hypercorn over cleartext began an HTTP/2 answer (prior knowledge) to a request without Django in it, "
        "then failed: ReadTimeout: timed out"
    )
    assert verdict.facts["ready_error"] == "ReadTimeout: timed out"
    assert verdict.facts["http_version"] == "HTTP/2"

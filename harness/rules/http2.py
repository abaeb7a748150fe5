"""Verdict rule for a request over HTTP/2 through a real server: what was negotiated, and where Django's view ran.

https://docs.djangoproject.com/en/stable/howto/deployment/asgi/

No rule looks at a version number. Each is unit-tested in every direction in tests/unit/harness/rules/test_http2.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.states import State, Verdict
from harness.rules.response import entrypoint_missing, failure

SYNC, ASYNC = "sync", "async"  # the kinds of view a probe asks for over HTTP/2
HTTP2 = "HTTP/2"  # httpx's Response.http_version for an answer that came over HTTP/2
# The ASGI scope's http_version over HTTP/2: https://asgi.readthedocs.io/en/latest/specs/www.html#http-connection-scope
SCOPE_HTTP2 = "2"


@dataclass(frozen=True)
class Http2Observation:
    """One HTTP/2-capable client against one server: what the connection negotiated, then what Django answered.

    `negotiated` is the version of the harness's own readiness answer (project/asgi.py, no Django in it), so it
    says whether the server speaks HTTP/2 even where Django's entry point is missing. The client is an observer,
    not the stack under test: it runs from its own pinned venv (harness/observers/h2client.py), named in `client`.
    """

    server: str
    tls: bool
    view: str = ASYNC  # SYNC or ASYNC: the kind of Django view asked for
    start_error: str | None = None  # the server never listened; nothing else was observed
    client_unavailable: str | None = None  # the client could not run (its venv, or no answer); nothing was observed
    client: str | None = None  # the client's own versions: "httpx 0.28.1, h2 4.4.1, Python 3.11"
    negotiated: str | None = None  # httpx's http_version of the readiness answer, None when there was none
    alpn: str | None = None  # the protocol TLS chose by ALPN; None over cleartext or when the server offers none
    refused: str | None = None  # the client's error when the server did not answer the readiness request
    ready_error: str | None = None  # the client's error when the readiness answer began over HTTP/2 but did not end
    entrypoint_error: str | None = None
    status: int | None = None
    body: dict[str, Any] | None = None  # the view's answer: loop_thread, view_thread, the scope's http_version
    server_exception: str | None = None
    client_error: str | None = None


def over_http2(obs: Http2Observation) -> Verdict:
    """native when Django's async view answered over HTTP/2 on the loop thread, threaded when off it.

    A sync view (HTTP/2 through ASGI needs none of the async ones): threaded when it ran on a worker thread, undecided
    when on the loop thread (unadapted, but this probe measures no loop stall).

    absent: the server answered over HTTP/1.1 only or refused HTTP/2 (or Django's entry point is missing).
    broken: the server began an HTTP/2 answer to the readiness request (no Django in it) and never finished it, or
    HTTP/2 was negotiated but the request through Django failed (absent when the failure shows the handler does
    not know the kind of view asked for: response.failure). not-run: the server never started, or the client could
    not run.
    undecided: the client and the ASGI scope disagree on the protocol, or the view did not say where it ran.
    """
    facts: dict[str, Any] = {
        "server": obs.server,
        "tls": obs.tls,
        "view": obs.view,
        "client": obs.client,
        "alpn": obs.alpn,
        "http_version": obs.negotiated,
    }
    how = "over TLS" if obs.tls else "over cleartext"
    if obs.start_error:
        facts.update(start_error=obs.start_error, server_exception=obs.server_exception)
        cause = obs.server_exception or "no exception in its log"
        return Verdict(State.NOT_RUN, f"{obs.server} did not start {how}: {obs.start_error} ({cause})", facts)
    if obs.client_unavailable:
        facts["client_unavailable"] = obs.client_unavailable
        return Verdict(State.NOT_RUN, f"the HTTP/2 client could not run: {obs.client_unavailable}", facts)
    if obs.negotiated != HTTP2:
        facts.update(refused=obs.refused, server_exception=obs.server_exception)
        answer = f"refused HTTP/2: {obs.refused}" if obs.refused else f"answered over {obs.negotiated} only"
        offered = f", ALPN chose {obs.alpn or 'nothing'}" if obs.tls else ", asked with prior knowledge"
        return Verdict(State.ABSENT, f"{obs.server} {how} {answer}{offered}", facts)
    via = f"ALPN {obs.alpn}" if obs.tls else "prior knowledge"
    if obs.ready_error:  # decided before the entry point: the server's own HTTP/2 failed
        facts["ready_error"] = obs.ready_error
        reason = f"{obs.server} {how} began an HTTP/2 answer ({via}) to a request without Django in it, then failed"
        return Verdict(State.BROKEN, f"{reason}: {obs.ready_error}", facts)
    missing = entrypoint_missing(obs.entrypoint_error)
    if missing:
        return Verdict(missing.state, f"{obs.server} spoke HTTP/2, but {missing.reason}", {**facts, **missing.facts})
    facts.update(status=obs.status, server_exception=obs.server_exception)
    if obs.client_error:
        facts["client_error"] = obs.client_error
        return Verdict(State.BROKEN, f"HTTP/2 was negotiated, then the request failed: {obs.client_error}", facts)
    if obs.status != 200 or not obs.body:
        cause = obs.server_exception or "no exception in the server log"
        reason = f"HTTP/2 was negotiated, but Django answered HTTP {obs.status}: {cause}"
        return failure(reason, [obs.server_exception], facts, context="HTTP/2 was negotiated, but ")
    facts["scope_http_version"] = scope_version = obs.body.get("http_version")
    loop, view = obs.body.get("loop_thread"), obs.body.get("view_thread")
    measurements = {"loop_thread": loop, "view_thread": view}
    if scope_version != SCOPE_HTTP2:
        return Verdict(
            State.UNDECIDED,
            f"the client negotiated HTTP/2, but the ASGI scope says http_version {scope_version!r}",
            facts,
            measurements,
        )
    if loop is None or view is None:
        return Verdict(State.UNDECIDED, "the response did not say which threads ran it", facts, measurements)
    facts["on_loop_thread"] = loop == view
    if obs.view == SYNC:
        if loop == view:
            reason = f"{obs.server} ran a sync view on the loop thread over HTTP/2 (no loop stall measured)"
            return Verdict(State.UNDECIDED, reason, facts, measurements)
        reason = f"{obs.server} served a sync view over HTTP/2 ({via}) on a worker thread"
        return Verdict(State.THREADED, reason, facts, measurements)
    if loop == view:
        return Verdict(
            State.NATIVE,
            f"{obs.server} served an async view over HTTP/2 ({via}) on the loop thread",
            facts,
            measurements,
        )
    return Verdict(
        State.THREADED,
        f"{obs.server} served an async view over HTTP/2 ({via}), but on a worker thread, not the loop thread",
        facts,
        measurements,
    )

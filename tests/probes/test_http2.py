"""HTTP/2 through ASGI: Django behind a server that speaks it, asked over HTTP/2 (cleartext prior knowledge or TLS).

HTTP/2 through ASGI needs no async view, so each server is asked for a sync view (the http.http2-* probes) and, as
its own probe, for an async one (http.http2-async-*): a release without async views still shows whether it speaks
HTTP/2.

https://docs.djangoproject.com/en/stable/howto/deployment/asgi/
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.evidence import describe, last_exception
from contract.states import State, Verdict
from harness.observers.versions import installed
from harness.processes.servers import READY_PATH, Server, ServerStartError, run_server
from harness.processes.tls import Tls, self_signed
from harness.rules.http2 import ASYNC, SYNC, Http2Observation, over_http2

PATHS = {SYNC: "/protocol/sync/", ASYNC: "/protocol/async/"}  # project/probes/views.py::*_protocol_view
TIMEOUT = 10.0
# httpx before 0.20 (the as-shipped envs of 2019-2020: newer ones need a newer h11 than uvicorn of that day) has no
# `http1` switch, so it cannot speak HTTP/2 from the first byte (prior knowledge); over TLS it still offers h2.
PRIOR_KNOWLEDGE = "http1" in inspect.signature(httpx.Client).parameters


def _serving(name: str, log_dir: Path, tls: Tls | None = None) -> Iterator[Server | ServerStartError]:
    """The body of a session fixture: the running server, or why it did not start (the probe records that)."""
    stack = contextlib.ExitStack()
    try:
        server = stack.enter_context(run_server(name, log_dir, tls=tls))
    except ServerStartError as exc:
        yield exc
        return
    with stack:
        yield server


@pytest.fixture(scope="session")
def hypercorn_h2c(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server | ServerStartError]:
    """hypercorn in cleartext, where it answers HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one port."""
    yield from _serving("hypercorn", tmp_path_factory.mktemp("hypercorn-h2c"))


@pytest.fixture(scope="session")
def daphne_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server | ServerStartError]:
    """daphne over TLS with a throw-away certificate: Twisted offers h2 by ALPN, daphne's documented HTTP/2 set-up."""
    directory = tmp_path_factory.mktemp("daphne-tls")
    yield from _serving("daphne", directory, tls=self_signed(directory))


@pytest.mark.probe("http.http2-hypercorn-h2c")
def test_http2_hypercorn_h2c(request, probe):
    probe.record(hypercorn_h2c_verdict(request, SYNC))


@pytest.mark.probe("http.http2-async-hypercorn-h2c")
def test_http2_async_hypercorn_h2c(request, probe):
    probe.record(hypercorn_h2c_verdict(request, ASYNC))


@pytest.mark.probe("http.http2-daphne-tls")
def test_http2_daphne_tls(daphne_tls, probe):
    probe.record(over_http2(observe(daphne_tls, "daphne", tls=True, view=SYNC)))


@pytest.mark.probe("http.http2-async-daphne-tls")
def test_http2_async_daphne_tls(daphne_tls, probe):
    probe.record(over_http2(observe(daphne_tls, "daphne", tls=True, view=ASYNC)))


def hypercorn_h2c_verdict(request: pytest.FixtureRequest, view: str) -> Verdict:
    """hypercorn asked for `view` with prior knowledge; not-run, before the server starts, when the client cannot."""
    if not PRIOR_KNOWLEDGE:  # decided before the server starts: it would serve nobody
        reason = (
            f"the probes' client, httpx {installed('httpx')}, cannot speak HTTP/2 with prior knowledge (httpx 0.20+)"
        )
        return Verdict(State.NOT_RUN, reason, {"server": "hypercorn", "tls": False, "view": view})
    return over_http2(observe(request.getfixturevalue("hypercorn_h2c"), "hypercorn", tls=False, view=view))


def observe(server: Server | ServerStartError, name: str, tls: bool, view: str) -> Http2Observation:
    """Ask the readiness path (no Django in it) and then Django's `view` (SYNC or ASYNC), on one HTTP/2-capable
    connection."""
    if isinstance(server, ServerStartError):
        message = str(server)
        return Http2Observation(
            name, tls, view, start_error=message.splitlines()[0], server_exception=last_exception(message)
        )
    mark = server.log_mark()
    # Over TLS the client offers h2 and http/1.1 and the server chooses; in cleartext nothing negotiates, so the
    # client speaks HTTP/2 from its first byte (prior knowledge) and a server without h2c refuses it.
    switches: dict[str, Any] = {"http1": tls} if PRIOR_KNOWLEDGE else {}
    with httpx.Client(http2=True, verify=server.verify(), timeout=TIMEOUT, **switches) as client:
        ready, refused = _send(client, server.url(READY_PATH))
        if ready is None:
            return Http2Observation(
                name, tls, view, refused=refused, server_exception=last_exception(server.log_since(mark))
            )
        alpn = _alpn(ready)  # read while the connection is open: a closed one has no TLS object left
        response, client_error = _send(client, server.url(PATHS[view]))
    is_json = response is not None and response.headers.get("content-type", "").startswith("application/json")
    return Http2Observation(
        name,
        tls,
        view,
        negotiated=ready.http_version,
        alpn=alpn,
        entrypoint_error=server.ready.get("entrypoint_error"),  # type: ignore[arg-type]
        status=response.status_code if response is not None else None,
        body=response.json() if response is not None and is_json else None,
        server_exception=last_exception(server.log_since(mark)),
        client_error=client_error,
    )


def _send(client: httpx.Client, url: str) -> tuple[httpx.Response | None, str | None]:
    try:
        return client.get(url), None
    except httpx.HTTPError as exc:
        return None, describe(exc)


def _alpn(response: httpx.Response) -> str | None:
    """The protocol the TLS handshake chose by ALPN; None in cleartext."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    return ssl_object.selected_alpn_protocol() if ssl_object is not None else None

"""HTTP/2 through ASGI: Django behind a server that speaks it, asked over HTTP/2 (cleartext prior knowledge or TLS).

HTTP/2 through ASGI needs no async view, so each server is asked for a sync view (the http.http2-* probes) and, as
its own probe, for an async one (http.http2-async-*): a release without async views still shows whether it speaks
HTTP/2. The client only observes: it runs from its own pinned venv (harness/observers/h2client.py), so an as-shipped
env whose httpx predates HTTP/2 prior knowledge is observed like every other, and the stack's own h2 is never the
client's.

https://docs.djangoproject.com/en/stable/howto/deployment/asgi/
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.evidence import last_exception
from harness.observers.h2client import TIMEOUT, exchange
from harness.observers.observerenv import ObserverEnvError
from harness.processes.servers import READY_PATH, Server, ServerStartError, run_server
from harness.processes.tls import Tls, self_signed
from harness.rules.http2 import ASYNC, SYNC, Http2Observation, over_http2

PATHS = {SYNC: "/protocol/sync/", ASYNC: "/protocol/async/"}  # project/probes/views.py::*_protocol_view


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
def test_http2_hypercorn_h2c(hypercorn_h2c, probe):
    probe.record(over_http2(observe(hypercorn_h2c, "hypercorn", tls=False, view=SYNC)))


@pytest.mark.probe("http.http2-async-hypercorn-h2c")
def test_http2_async_hypercorn_h2c(hypercorn_h2c, probe):
    probe.record(over_http2(observe(hypercorn_h2c, "hypercorn", tls=False, view=ASYNC)))


@pytest.mark.probe("http.http2-daphne-tls")
def test_http2_daphne_tls(daphne_tls, probe):
    probe.record(over_http2(observe(daphne_tls, "daphne", tls=True, view=SYNC)))


@pytest.mark.probe("http.http2-async-daphne-tls")
def test_http2_async_daphne_tls(daphne_tls, probe):
    probe.record(over_http2(observe(daphne_tls, "daphne", tls=True, view=ASYNC)))


def observe(server: Server | ServerStartError, name: str, tls: bool, view: str) -> Http2Observation:
    """Ask the readiness path (no Django in it) and then Django's `view` (SYNC or ASYNC), on one HTTP/2-capable
    connection of the observer's client, and read the server's log of it."""
    if isinstance(server, ServerStartError):
        message = str(server)
        return Http2Observation(
            name, tls, view, start_error=message.splitlines()[0], server_exception=last_exception(message)
        )
    mark = server.log_mark()
    cafile = server.tls.certificate if server.tls else None
    try:
        seen = exchange(server.url(READY_PATH), server.url(PATHS[view]), cafile, timeout=TIMEOUT)
    except ObserverEnvError as exc:
        return Http2Observation(name, tls, view, client_unavailable=str(exc))
    return Http2Observation(
        name,
        tls,
        view,
        client=seen.client,
        negotiated=seen.negotiated,
        alpn=seen.alpn,
        refused=seen.refused,
        ready_error=seen.ready_error,
        entrypoint_error=server.ready.get("entrypoint_error"),  # type: ignore[arg-type]
        status=seen.status,
        body=seen.body,
        server_exception=last_exception(server.log_since(mark)),
        client_error=seen.client_error,
    )

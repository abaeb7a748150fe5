"""Streamed responses under ASGI: an async iterator (Django 4.2), a sync generator, and a FileResponse.

Where each chunk was made, when it reached the client, which warning Django logged, and whether the loop stalled.
https://docs.djangoproject.com/en/stable/releases/4.2/#requests-and-responses
https://docs.djangoproject.com/en/stable/ref/request-response/#streaming-behavior
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from contract.evidence import last_exception, scrub
from contract.states import Verdict
from harness.observers.client import loop_stall
from harness.processes.servers import Server
from harness.rules import streaming as rules

# The blocking sleep the sync iterators take before their 2nd and 3rd chunk (project/probes/views.py).
PAUSE = 0.3


@pytest.mark.probe("streaming.async-iterator")
def test_async_iterator(asgi_server, probe):
    mark = asgi_server.log_mark()
    chunks, arrivals, status = [], [], None
    with httpx.stream("GET", asgi_server.url("/stream/async/"), timeout=10.0) as response:
        status = response.status_code
        if status == 200:
            for line in response.iter_lines():
                if line:
                    chunks.append(json.loads(line))
                    arrivals.append(time.monotonic())
    log = asgi_server.log_since(mark)
    warning = rules.STREAMING_WARNING.search(log)
    probe.record(
        rules.streaming(
            rules.StreamObservation(
                entrypoint_error=asgi_server.ready.get("entrypoint_error"),
                status=status,
                chunks=chunks,
                arrival_gaps=[round(later - earlier, 3) for earlier, later in zip(arrivals, arrivals[1:])],
                arrivals=arrivals,
                server_exception=last_exception(log),
                warning=scrub(warning.group(0)) if warning else None,
            )
        )
    )


@pytest.mark.probe("streaming.sync-iterator")
def test_sync_iterator(asgi_server, probe):
    probe.record(sync_stream(asgi_server, "/stream/sync/"))


@pytest.mark.probe("streaming.file-response")
def test_file_response(asgi_server, probe):
    probe.record(sync_stream(asgi_server, "/stream/file/"))


def sync_stream(server: Server, path: str) -> Verdict:
    """Read a response over a sync iterator chunk by chunk, timing each, with the server loop's stall around it."""
    mark = server.log_mark()
    chunks, arrivals, status = [], [], None
    url = server.url(f"{path}?seconds={PAUSE}")
    with loop_stall(server) as stall, httpx.stream("GET", url, timeout=10.0) as response:
        status = response.status_code
        if status == 200:
            for line in response.iter_lines():
                if line:
                    arrivals.append(time.monotonic())
                    chunks.append(json.loads(line))
    log = server.log_since(mark)
    warning = rules.STREAMING_WARNING.search(log)
    return rules.sync_stream(
        rules.SyncStreamObservation(
            entrypoint_error=server.ready.get("entrypoint_error"),  # type: ignore[arg-type]
            status=status,
            pause=PAUSE,
            chunks=chunks,
            arrivals=arrivals,
            stall_ms=stall.stall_ms,
            noise_ms=stall.noise_ms,
            server_exception=last_exception(log),
            warning=scrub(warning.group(0)) if warning else None,
        )
    )

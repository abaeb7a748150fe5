"""StreamingHttpResponse over an async iterator (Django 4.2): streamed on the loop, or consumed synchronously?

https://docs.djangoproject.com/en/stable/releases/4.2/#requests-and-responses
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from harness.evidence import last_exception, scrub
from harness.rules import streaming as rules


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
                server_exception=last_exception(log),
                warning=scrub(warning.group(0)) if warning else None,
            )
        )
    )

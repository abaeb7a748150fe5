"""The ASGI entry point (Django 3.0), where Django's own request path runs under it, and the lifespan protocol.

https://docs.djangoproject.com/en/stable/releases/3.0/#asgi-support
https://docs.djangoproject.com/en/stable/topics/async/#async-views
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from contract.evidence import describe, last_exception
from harness.observers.client import get
from harness.observers.concurrency import measure_concurrency
from harness.rules import asgi as rules
from project.probes.middleware import TRACE_HEADER

LIFESPAN_TIMEOUT = 5.0
# N requests to a sync view sleeping T through startproject's MIDDLEWARE: T when each gets a worker, N*T on one.
STACK_REQUESTS, STACK_SLEEP = 5, 0.2


@pytest.mark.probe("asgi.entrypoint")
def test_entrypoint(asgi_server, probe):
    probe.record(rules.served(get(asgi_server, "/sync/")))


@pytest.mark.probe("asgi.request-stack")
def test_request_stack(request_stack_server, probe):
    traced: list[rules.StackRequest] = []

    def stack_threads(response: httpx.Response) -> list[int]:
        """Every hook of the two tracers around Django's middleware (project/probes/middleware.py), and the view."""
        chain = [thread for _, thread in json.loads(response.headers.get(TRACE_HEADER, "[]"))]
        traced.append(rules.StackRequest(chain, response.json()["view_thread"]))
        return [*chain, traced[-1].view]

    obs = measure_concurrency(request_stack_server, "/sleep/sync/", STACK_REQUESTS, STACK_SLEEP, stack_threads)
    probe.record(rules.request_stack(obs, traced))


@pytest.mark.probe("asgi.lifespan")
def test_lifespan(asgi_server, probe):
    # The server ran lifespan startup (or not) before it listened; its log from the start says which.
    log = asgi_server.log()
    probe.record(rules.lifespan(asgi_server.name, log, last_exception(log), app_lifespan_error()))


def app_lifespan_error() -> str | None:
    """What project.asgi's application raises, in this process, when handed a lifespan scope.

    uvicorn (`--lifespan auto`) hides this exception behind "appears unsupported", and daphne never
    sends the scope, so the app is asked directly. None when it completes startup and shutdown.
    """
    from project.asgi import application  # builds Django's handler: only once a probe needs it

    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive():
        return next(events)

    async def send(message):
        pass

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
    try:
        asyncio.run(asyncio.wait_for(application(scope, receive, send), LIFESPAN_TIMEOUT))
    except (ValueError, ImportError, NotImplementedError) as exc:  # how an app refuses a scope type
        return describe(exc)
    return None

"""Async middleware (Django 3.1): which thread does each layer run on, and how often does Django hop?

Each probe asks the server for one MIDDLEWARE stack (settings.PROBE_MIDDLEWARE_STACKS) made of the tracers in
project/probes/middleware.py, which report every step and hop in a response header.
https://docs.djangoproject.com/en/stable/topics/http/middleware/#asynchronous-support
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from contract.states import Verdict
from harness.observers.client import get
from harness.observers.concurrency import measure_concurrency
from harness.processes.servers import Server
from harness.rules import middleware as rules
from project.probes.middleware import TRACE_HEADER

# N requests to an async view that awaits T seconds, behind one sync-only middleware: T when they overlap, N*T when
# the layer queues them on one thread (1 s a sample).
SYNC_LAYER_REQUESTS, SYNC_LAYER_SLEEP = 5, 0.2


def traced(server: Server, sync_layers: tuple[str, ...] = ()) -> Verdict:
    obs = get(server, "/async/")
    header = obs.headers.get(TRACE_HEADER.lower())
    return rules.middleware_trace(obs, json.loads(header) if header else None, sync_layers)


@pytest.mark.probe("middleware.async-native")
def test_async_native(async_middleware_server, probe):
    probe.record(traced(async_middleware_server))


@pytest.mark.probe("middleware.sync-in-chain")
def test_sync_in_chain(sync_middleware_server, probe):
    probe.record(traced(sync_middleware_server, sync_layers=("sync-only",)))


@pytest.mark.probe("middleware.default-stack")
def test_default_stack(default_stack_server, probe):
    probe.record(traced(default_stack_server))


@pytest.mark.probe("middleware.sync-concurrency")
def test_sync_concurrency(one_sync_middleware_server, probe):
    obs = measure_concurrency(
        one_sync_middleware_server, "/sleep/async/", SYNC_LAYER_REQUESTS, SYNC_LAYER_SLEEP, sync_layer_threads
    )
    probe.record(rules.sync_layer_concurrency(obs))


def trace_of(response: httpx.Response) -> list[list[Any]]:
    return json.loads(response.headers.get(TRACE_HEADER, "[]"))  # type: ignore[no-any-return]


def sync_layer_threads(response: httpx.Response) -> list[int]:
    """The threads the sync-only tracer's steps ran on (its hops are the adapters', not its work)."""
    return [thread for step, thread in trace_of(response) if step.startswith("sync-only:")]

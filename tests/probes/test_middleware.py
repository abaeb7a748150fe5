"""Async middleware (Django 3.1): which thread does each layer run on, and how often does Django hop?

Each probe asks the server for one MIDDLEWARE stack (settings.PROBE_MIDDLEWARE_STACKS) made of the tracers in
project/probes/middleware.py, which report every step and hop in a response header.
https://docs.djangoproject.com/en/stable/topics/http/middleware/#asynchronous-support
"""

from __future__ import annotations

import json

import pytest

from harness.client import get
from harness.rules import middleware as rules
from harness.servers import Server
from harness.states import Verdict
from project.probes.middleware import TRACE_HEADER


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

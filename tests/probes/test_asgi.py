"""The ASGI entry point (Django 3.0) and the lifespan protocol, under each server.

https://docs.djangoproject.com/en/stable/releases/3.0/#asgi-support
"""

from __future__ import annotations

import pytest

from tests.harness.rules import http as rules
from tests.harness.evidence import last_exception
from tests.probes.conftest import get


@pytest.mark.probe("asgi.entrypoint")
def test_entrypoint(asgi_server, probe):
    probe.record(rules.served(get(asgi_server, "/sync/")))


@pytest.mark.probe("asgi.lifespan")
def test_lifespan(asgi_server, probe):
    # The server ran lifespan startup (or not) before it listened; its log from the start says which.
    log = asgi_server.log()
    probe.record(rules.lifespan(asgi_server.name, log, last_exception(log)))

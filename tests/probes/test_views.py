"""Async views (Django 3.1): do they run on the event loop?

https://docs.djangoproject.com/en/stable/releases/3.1/#asynchronous-views-and-middleware-support
"""

from __future__ import annotations

import pytest

from tests.harness.rules import http as rules
from tests.probes.conftest import get


@pytest.mark.probe("views.async-function")
def test_async_function(asgi_server, probe):
    probe.record(rules.loop_thread(get(asgi_server, "/async/")))

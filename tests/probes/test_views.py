"""Async views (Django 3.1): do they run on the event loop, and do they overlap?

https://docs.djangoproject.com/en/stable/releases/3.1/#asynchronous-views-and-middleware-support
https://docs.djangoproject.com/en/stable/releases/4.1/#asynchronous-handlers-for-class-based-views
https://docs.djangoproject.com/en/stable/releases/5.0/#decorators
https://docs.djangoproject.com/en/stable/releases/5.1/#django-contrib-auth
"""

from __future__ import annotations

import pytest

from contract.states import Verdict
from harness.observers.client import get
from harness.observers.concurrency import measure_concurrency
from harness.processes.servers import Server
from harness.rules import views as rules
from harness.rules.timing import async_concurrency, sync_concurrency

# Async: 20 requests sleeping 0.4 s take 0.4 s when they overlap, 8 s one at a time. The loop's own work for a burst
# of 20 reached 70 ms on busy cores, so the sleep puts the stall threshold (half of it) at 200 ms, well clear of that.
ASYNC_REQUESTS, ASYNC_SLEEP = 20, 0.4
# Sync: fewer, since a serialized run costs N*T per sample (1 s here). The sleep is the delay a view on the loop
# would stall it by: 0.2 s puts that at twice the stall threshold (harness/rules/timing.py).
SYNC_REQUESTS, SYNC_SLEEP = 5, 0.2

# What each decorator in project/probes/views.py::DECORATED_VIEWS should do to an async view's
# response: (method, status, (header, a fragment its value must contain) or None). Split by the release whose notes
# say it supports async views, so each probe compares with one release note: these the 5.0 notes list ...
DECORATOR_EFFECTS = {
    "csrf_exempt": ("POST", 200, None),  # without the exemption CsrfViewMiddleware answers 403
    "never_cache": ("GET", 200, ("cache-control", "no-cache")),
    "cache_control": ("GET", 200, ("cache-control", "max-age=60")),
    "require_GET": ("GET", 200, None),
    "require_safe": ("GET", 200, None),
    "vary_on_headers": ("GET", 200, ("vary", "Accept-Language")),
    "vary_on_cookie": ("GET", 200, ("vary", "Cookie")),
    "etag": ("GET", 200, ("etag", "probe")),
    "xframe_options_sameorigin": ("GET", 200, ("x-frame-options", "SAMEORIGIN")),
    "sensitive_variables": ("GET", 200, None),
}
# ... and these django.contrib.auth decorators the 5.1 notes list (login_required, permission_required,
# user_passes_test). An anonymous request to login_required is only redirected, so the async view is never called;
# user_passes_test with a test that passes is the one that calls it.
AUTH_DECORATOR_EFFECTS = {
    "login_required": ("GET", 302, ("location", "/accounts/login/")),
    "user_passes_test": ("GET", 200, None),
}


@pytest.mark.probe("views.async-function")
def test_async_function(asgi_server, probe):
    probe.record(rules.loop_thread(get(asgi_server, "/async/")))


@pytest.mark.probe("views.async-class-based")
def test_async_class_based(asgi_server, probe):
    probe.record(rules.loop_thread(get(asgi_server, "/class/async/")))


@pytest.mark.probe("views.async-concurrency")
def test_async_concurrency(asgi_server, probe):
    probe.record(async_concurrency(measure_concurrency(asgi_server, "/sleep/async/", ASYNC_REQUESTS, ASYNC_SLEEP)))


@pytest.mark.probe("views.sync-under-asgi")
def test_sync_under_asgi(asgi_server, probe):
    probe.record(sync_concurrency(measure_concurrency(asgi_server, "/sleep/sync/", SYNC_REQUESTS, SYNC_SLEEP)))


@pytest.mark.probe("views.async-decorators")
def test_async_decorators(default_stack_server, probe):
    probe.record(decorated(default_stack_server, DECORATOR_EFFECTS))


@pytest.mark.probe("views.async-auth-decorators")
def test_async_auth_decorators(default_stack_server, probe):
    probe.record(decorated(default_stack_server, AUTH_DECORATOR_EFFECTS))


def decorated(server: Server, effects: dict[str, tuple[str, int, tuple[str, str] | None]]) -> Verdict:
    baseline = get(server, "/async/")
    # Without a working async view there is nothing to decorate (and daphne takes 1 s per error).
    calls = [decorated_call(server, name, *effects[name]) for name in effects] if baseline.status == 200 else []
    return rules.decorators(baseline, calls)


def decorated_call(
    server: Server, name: str, method: str, status: int, header: tuple[str, str] | None
) -> rules.DecoratedCall:
    obs = get(server, f"/decorated/{name}/", method=method)
    body = obs.body or {}
    return rules.DecoratedCall(
        name=name,
        expected_status=status,
        status=obs.status,
        expected_header=header,
        header_value=obs.headers.get(header[0]) if header else None,
        on_loop=body["view_thread"] == body["loop_thread"] if body else None,
        server_exception=obs.server_exception or obs.client_error,
    )

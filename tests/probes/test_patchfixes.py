"""Async bugs Django's patch releases fixed, each provoked where it lived: one probe per fix, so a fix flips a cell.

Each probe observes the behaviour the fix restored (an exception, a thread, a count), never a version number; a
release that does not offer the API at all records absent. The ticket and the fixing patch of each are in
matrix.yaml (`known_issues`).
https://docs.djangoproject.com/en/stable/releases/
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import time
from importlib import import_module

import django.test
import httpx
import pytest
from django.contrib import auth
from django.contrib.auth.models import User
from django.core import exceptions
from django.core.cache import caches
from django.dispatch import Signal

from harness.observers.asyncapis import Api, expect, observe
from harness.observers.client import get
from harness.observers.work import sql_work
from harness.observers.worklog import WORK
from harness.processes.servers import Server
from harness.rules import apis as api_rules
from harness.rules import cache as cache_rules
from harness.rules import middleware as middleware_rules
from harness.rules import views as view_rules
from harness.rules.response import HttpObservation
from project.probes.middleware import TRACE_HEADER
from tests.probes.test_auth import request_with_session

# signals.request-finished: requests a client completes, and requests it gives up on while an async view still sleeps
# (so Django's handler sees the disconnect before it sends the response). 50 in all: one missed signal is enough.
FINISHED_COMPLETED, FINISHED_ABANDONED = 25, 25
# Seconds: the client's wait for a response, the view's sleep, how long the count may take to settle, between readings.
ABANDON_AFTER, VIEW_SLEEP, SETTLE, POLL = 0.1, 0.4, 3.0, 0.2
FINISHED_PATH = "/patchfixes/finished/"
TASKS = 2  # cache.task-isolation: concurrent tasks on one loop


@pytest.mark.probe("signals.async-only")
def test_async_only_receivers(probe):
    """Signal.asend/asend_robust when every receiver is async (#35174, fixed in 5.0.3: they crashed)."""
    signal = Signal()
    runs: list[str] = []

    async def first(sender: object, **kwargs: object) -> None:
        WORK.note()
        runs.append("first")

    async def second(sender: object, **kwargs: object) -> None:
        WORK.note()
        runs.append("second")

    signal.connect(first, weak=False)
    signal.connect(second, weak=False)

    async def send(method) -> None:
        runs.clear()
        await method(sender=None)
        expect(sorted(runs) == ["first", "second"], f"{method.__name__}() ran the async receivers {runs}, not both")

    probe.record(api_rules.async_apis(observe([Api("asend", signal, send), Api("asend_robust", signal, send)])))


@pytest.mark.probe("testing.async-request-factory")
def test_async_request_factory(probe):
    """AsyncRequestFactory sets Content-Length for a body (#32162) and passes extra headers (#32159), fixed in 3.1.4."""
    body = json.dumps({"probe": "data"})

    async def content_length(factory_class) -> None:
        request = factory_class().post("/somewhere/", data=body, content_type="application/json")
        WORK.note()
        length = request.META.get("CONTENT_LENGTH")
        expect(length == str(len(body)), f"Content-Length is {length!r} for a body of {len(body)} bytes")
        expect(request.body == body.encode(), f"the request body read back as {request.body[:40]!r}")

    async def extra_headers(factory_class) -> None:
        request = factory_class().get("/somewhere/", AUTHORIZATION="Bearer probe")
        WORK.note()
        value = request.headers.get("Authorization")
        expect(value == "Bearer probe", f"the extra header AUTHORIZATION reached the request as {value!r}")

    apis = [
        Api("AsyncRequestFactory", django.test, content_length, "AsyncRequestFactory (Content-Length)"),
        Api("AsyncRequestFactory", django.test, extra_headers, "AsyncRequestFactory (extra headers)"),
    ]
    probe.record(api_rules.async_apis(observe(apis)))


@pytest.mark.usefixtures("transactional_db")
@pytest.mark.probe("orm.allow-async-unsafe")
def test_allow_async_unsafe(probe, monkeypatch):
    """With DJANGO_ALLOW_ASYNC_UNSAFE set, a sync query inside a running event loop runs (#31056, fixed in 3.0.1: it
    still raised SynchronousOnlyOperation). Absent where there is no SynchronousOnlyOperation (no guard to lift)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    async def sync_query(guard) -> None:
        expect(User.objects.count() == 0, "the sync query counted users nobody made")

    with sql_work():
        probe.record(api_rules.async_apis(observe([Api("SynchronousOnlyOperation", exceptions, sync_query)])))


@pytest.mark.probe("cache.task-isolation")
def test_cache_task_isolation(probe):
    """Concurrent tasks on one loop each get their own cache object (#31253, fixed in 3.0.4: they shared the thread's
    one, and with it its connection). The tasks start in a fresh context, as a server's requests do."""
    try:
        import_module("django.core.asgi")
    except ImportError:
        probe.record(cache_rules.task_isolation(False, TASKS, 0))
        return

    async def one() -> int:
        cache = caches["default"]
        await asyncio.sleep(0.01)  # the other task runs meanwhile
        return id(cache)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(one() for _ in range(TASKS))))

    error = None
    ids: list[int] = []
    try:
        ids = contextvars.Context().run(asyncio.run, main())
    except Exception as exc:  # what the lookup raises is the observation
        error = f"{type(exc).__name__}: {exc}"
    probe.record(cache_rules.task_isolation(True, TASKS, len(set(ids)), error))


@pytest.mark.usefixtures("transactional_db")
@pytest.mark.probe("auth.alogin-user")
def test_alogin_sets_request_user(probe, settings):
    """alogin/alogout set and clear request.user when sync middleware already evaluated it (#37017, fixed in 6.0.4:
    they changed only request.auser)."""
    settings.PASSWORD_HASHERS = ["harness.observers.work.NotingPasswordHasher"]
    user = User.objects.create_user("patchfix", password="secret")
    request = request_with_session()
    expect(not request.user.is_authenticated, "a fresh request's user is authenticated")  # evaluated, as a view would

    async def alogin(method) -> None:
        await method(request, user)
        expect(request.user == user, f"after alogin() request.user is {request.user!r}, not the user logged in")

    async def alogout(method) -> None:
        request.user = user  # logged in and evaluated, whatever alogin() did: alogout() is observed on its own
        await method(request)
        expect(not request.user.is_authenticated, f"after alogout() request.user is still {request.user!r}")

    with sql_work():
        probe.record(api_rules.async_apis(observe([Api("alogin", auth, alogin), Api("alogout", auth, alogout)])))


@pytest.mark.probe("views.async-method-not-allowed")
def test_async_method_not_allowed(asgi_server, probe):
    """A View with only async def get answers POST with 405 (#34062, fixed in 4.1.2: the handler crashed)."""
    baseline = get(asgi_server, "/class/async/")
    refused = get(asgi_server, "/class/async/", method="POST")
    probe.record(view_rules.method_not_allowed(baseline, refused))


@pytest.mark.probe("middleware.not-used")
def test_middleware_not_used(not_used_server, probe):
    """A sync-only middleware raising MiddlewareNotUsed does not break the async chain (#32299, fixed in 3.1.5)."""
    probe.record(middleware_rules.not_used(get(not_used_server, "/async/")))


@pytest.mark.probe("middleware.mixin-threads")
def test_middleware_mixin_threads(asgi_server, mixin_builtin_server, mixin_threads_server, probe):
    """MiddlewareMixin hooks run on the sync view's thread (#31905), and SecurityMiddleware sees an async
    get_response (#31928); both fixed in 3.1.1."""
    baseline = get(asgi_server, "/async/")
    builtin = get(mixin_builtin_server, "/async/")
    hooks = get(mixin_threads_server, "/sync/")
    header = hooks.headers.get(TRACE_HEADER.lower())
    probe.record(middleware_rules.mixin_threads(baseline, hooks, json.loads(header) if header else None, builtin))


@pytest.mark.probe("signals.request-finished")
def test_request_finished(asgi_server, probe):
    """request_finished fires for every request under ASGI, the ones whose client left early too (#35059, fixed in
    5.0.2: a request whose client disconnected before the response never sent it).

    The server counts the signals and the abandoned requests its view started; the probe reads the count until every
    request it expects has fired or SETTLE seconds passed. Each reading is a request of its own, counted too.
    """
    before = get(asgi_server, FINISHED_PATH)
    baseline = get(asgi_server, "/async/")
    completed, after = 0, before
    readings = 0
    if baseline.status == 200 and before.body:  # no working async view: nothing to count (daphne takes 1 s an error)
        completed = 1 + asyncio.run(_requests(asgi_server))
        deadline = time.monotonic() + SETTLE
        while True:
            after = get(asgi_server, f"{FINISHED_PATH}?since={before.body['finished']}")
            if (
                not after.body
                or time.monotonic() > deadline
                or _fired(before, after) >= _expected(before, after, completed, readings)
            ):
                break
            readings += 1
            time.sleep(POLL)
    ok = bool(before.body and after.body)
    probe.record(
        view_rules.request_finished(
            view_rules.FinishedCount(
                baseline,
                1 + completed + _started(before, after) if ok else 0,
                _started(before, after) if ok else 0,
                _fired(before, after) if ok else None,
                (after.body or {}).get("loop_thread"),
                tuple((after.body or {}).get("threads", ())),
                None if ok else (after.server_exception or after.client_error or f"HTTP {after.status}"),
                readings,
            )
        )
    )


def _fired(before: HttpObservation, after: HttpObservation) -> int:
    return int(after.body["finished"]) - int(before.body["finished"])  # type: ignore[index]


def _started(before: HttpObservation, after: HttpObservation) -> int:
    """The abandoned requests that reached Django's view (one a client gave up on before sending does not count)."""
    return int(after.body["started"]) - int(before.body["started"])  # type: ignore[index]


def _expected(before: HttpObservation, after: HttpObservation, completed: int, readings: int) -> int:
    """Requests that must have fired by `after`: the first reading, earlier readings, the completed and the started."""
    return 1 + readings + completed + _started(before, after)


async def _requests(server: Server) -> int:
    """The completed requests one after another, then the abandoned ones at once; how many completed (HTTP 200)."""
    async with httpx.AsyncClient(headers=server.headers, timeout=10) as client:
        statuses = [(await client.get(server.url("/async/"))).status_code for _ in range(FINISHED_COMPLETED - 1)]
    await asyncio.gather(*(_abandon(server) for _ in range(FINISHED_ABANDONED)))
    return statuses.count(200)


async def _abandon(server: Server) -> None:
    # Only the wait for the response times out: the request is sent whole, then the client leaves and closes.
    timeout = httpx.Timeout(10, read=ABANDON_AFTER)
    async with httpx.AsyncClient(headers=server.headers, timeout=timeout) as client:
        with contextlib.suppress(httpx.TimeoutException):
            await client.get(server.url(f"/patchfixes/slow/?seconds={VIEW_SLEEP}"))

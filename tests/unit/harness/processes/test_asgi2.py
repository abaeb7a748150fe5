"""The ASGI 2 face: binds the scope first, then runs the ASGI 3 application TARGET names, imported once, on use."""

from __future__ import annotations

import asyncio

import pytest

from harness.processes import asgi2

HERE = "tests.unit.harness.processes.test_asgi2"
calls: list[tuple[str, dict[str, object], object, object]] = []


async def first_app(scope, receive, send):
    calls.append(("first", scope, receive, send))


async def second_app(scope, receive, send):
    calls.append(("second", scope, receive, send))


async def receive():
    return {"type": "http.request"}


async def send(message):
    pass


@pytest.fixture(autouse=True)
def fresh_target():
    """Every test imports TARGET anew, and leaves no cached application behind."""
    asgi2._target.cache_clear()
    calls.clear()
    yield
    asgi2._target.cache_clear()


def test_the_instance_runs_the_target_with_the_bound_scope_and_the_servers_channels(monkeypatch):
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:first_app")
    scope = {"type": "http", "path": "/views/"}
    instance = asgi2.application(scope)
    assert calls == []  # ASGI 2: binding the scope runs nothing
    asyncio.run(instance(receive, send))
    assert calls == [("first", scope, receive, send)]


def test_each_scope_gets_its_own_instance(monkeypatch):
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:first_app")
    one, two = asgi2.application({"path": "/one/"}), asgi2.application({"path": "/two/"})
    asyncio.run(two(receive, send))
    asyncio.run(one(receive, send))
    assert [call[1]["path"] for call in calls] == ["/two/", "/one/"]


def test_the_target_is_read_on_the_first_request_not_on_import_or_binding(monkeypatch):
    monkeypatch.delenv(asgi2.TARGET, raising=False)
    instance = asgi2.application({"type": "http"})  # the server can bind a scope before the variable is read
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:second_app")
    asyncio.run(instance(receive, send))
    assert [call[0] for call in calls] == ["second"]


def test_the_target_is_imported_once_per_process(monkeypatch):
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:first_app")
    asyncio.run(asgi2.application({})(receive, send))
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:second_app")  # too late: the first one is cached
    asyncio.run(asgi2.application({})(receive, send))
    assert [call[0] for call in calls] == ["first", "first"]


def test_without_target_the_request_fails_naming_the_variable(monkeypatch):
    monkeypatch.delenv(asgi2.TARGET, raising=False)
    instance = asgi2.application({"type": "http"})
    with pytest.raises(KeyError, match=asgi2.TARGET):
        asyncio.run(instance(receive, send))


def test_a_target_that_does_not_name_an_application_fails_on_the_request(monkeypatch):
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:no_such_app")
    with pytest.raises(AttributeError, match="no_such_app"):
        asyncio.run(asgi2.application({})(receive, send))


def test_a_lifespan_scope_is_refused_when_bound_so_an_asgi2_server_carries_on_without_it(monkeypatch):
    monkeypatch.setenv(asgi2.TARGET, f"{HERE}:first_app")
    with pytest.raises(ValueError, match="does not speak lifespan"):
        asgi2.application({"type": "lifespan"})
    assert calls == []

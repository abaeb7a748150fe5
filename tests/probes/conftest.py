"""Fixtures only the probes use: real servers, each started once per env and server kind, and reused."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import connections

from harness.processes import cacheservers, postgres
from harness.processes.servers import Server, run_server

SERVERS = ("uvicorn", "daphne")


@pytest.fixture(scope="session", params=SERVERS)
def asgi_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn or daphne serving project.asgi on 127.0.0.1, shared by every probe that only reads from it."""
    with run_server(request.param, tmp_path_factory.mktemp("servers")) as server:
        yield server


def _stack(name: str):
    """A session fixture: `asgi_server`, each request of which runs settings.PROBE_MIDDLEWARE_STACKS[name].

    The same process serves every stack (project/asgi.py holds a Django handler per stack), so no probe waits
    for a server of its own. Depending on `asgi_server` keeps its parameter the one that says which server a
    result is for (harness/recorder.py::server_of).
    """

    @pytest.fixture(scope="session")
    def fixture(asgi_server: Server) -> Server:
        return replace(asgi_server, headers={settings.PROBE_STACK_HEADER: name})

    return fixture


async_middleware_server = _stack("async-only")
sync_middleware_server = _stack("sync-in-chain")
default_stack_server = _stack("default")
one_sync_middleware_server = _stack("one-sync")
request_stack_server = _stack("request-stack")
not_used_server = _stack("not-used")
mixin_threads_server = _stack("mixin-threads")
mixin_builtin_server = _stack("mixin-builtin")


@pytest.fixture(scope="session")
def postgresql() -> Iterator[postgres.Postgres | postgres.PostgresUnavailable]:
    """A throw-away PostgreSQL server for the session, or why there is none (its probes then record not-run)."""
    try:
        server = postgres.start()
    except postgres.PostgresUnavailable as exc:
        yield exc
        return
    try:
        yield server
    finally:
        postgres.shutdown(server)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None, postgresql) -> None:
    """pytest-django's hook before it creates the test databases: add the PostgreSQL alias when the server runs.

    Only then, so a machine without PostgreSQL still runs every SQLite probe.
    """
    if isinstance(postgresql, postgres.Postgres):
        settings.DATABASES[postgres.ALIAS] = postgresql.database("probes")
        # The recorder's re-measurement sets the session up again, with a new server: forget the connection to the
        # one the first round stopped (every release keeps it in `connections._connections`), or the alias would
        # still dial that server's removed socket. Connections are per thread: the ORM's async APIs query from
        # asgiref's one thread-sensitive worker thread (run without an outer async_to_sync), which keeps its own.
        _forget_connection(postgres.ALIAS)
        executor = getattr(SyncToAsync, "single_thread_executor", None)
        if executor is not None:
            executor.submit(_forget_connection, postgres.ALIAS).result()
        # Django 3.2+ fills in each alias's defaults (TEST, OPTIONS ...) once, when connections first reads
        # DATABASES (the same dict); older releases do it per alias on first use.
        if hasattr(connections, "configure_settings"):
            connections.configure_settings(connections.settings)


def _forget_connection(alias: str) -> None:
    """Drop the calling thread's connection object for `alias` (Django makes a new one on next use)."""
    with contextlib.suppress(AttributeError):
        delattr(connections._connections, alias)


def _cache_server(kind: cacheservers.Kind):
    """A session fixture: a throw-away `kind` server (harness/processes/cacheservers.py), or why there is none.

    Probes ask for it with request.getfixturevalue only when the release has the backend, so a release without
    it starts no server.
    """

    @pytest.fixture(scope="session")
    def fixture() -> Iterator[cacheservers.CacheServer | cacheservers.CacheServerUnavailable]:
        try:
            server = cacheservers.start(kind)
        except cacheservers.CacheServerUnavailable as exc:
            yield exc
            return
        try:
            yield server
        finally:
            server.stop()

    return fixture


redis_server = _cache_server(cacheservers.REDIS)
memcached_server = _cache_server(cacheservers.MEMCACHED)

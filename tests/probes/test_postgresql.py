"""The ORM probes of test_orm.py again, with every query routed to a real PostgreSQL server started by the harness.

Does a release run the SQL of an async ORM call on the event loop thread when the driver is async-capable
(psycopg 3, Django 4.2+)? The facts name the driver Django loaded and whether it has an async API.
https://docs.djangoproject.com/en/stable/ref/databases/#postgresql-notes
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, router

from harness import postgres
from harness.recorder import ProbeRun
from harness.rules import database as rules
from harness.states import Verdict
from tests.probes import test_orm as orm
from tests.probes.conftest import POSTGRESQL

# Every alias that exists: "default" (SQLite) for pytest-django's bookkeeping, "postgresql" when the server runs.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


class OnPostgresql:
    """The `probe` handed to an ORM probe: its verdict is recorded with PostgreSQL's facts added."""

    def __init__(self, probe: ProbeRun, server: postgres.Postgres) -> None:
        self.probe = probe
        self.facts = {"database": "postgresql", **rules.driver_facts(connections[POSTGRESQL].Database)}
        self.measurements = {"server_version": server.version}

    def record(self, verdict: Verdict) -> None:
        self.probe.record(rules.on_database(verdict, self.facts, self.measurements))


@contextmanager
def routed_to(alias: str) -> Iterator[None]:
    """Send every query that names no database to `alias`, as a database router would (no settings change)."""

    def to_alias(*args: Any, **hints: Any) -> str:
        return alias

    with mock.patch.object(router, "db_for_read", to_alias), mock.patch.object(router, "db_for_write", to_alias):
        yield


def on_postgresql(probe: ProbeRun, server: Any, orm_probe: Callable[..., None], *args: Any) -> None:
    """Run `orm_probe` (a test of test_orm.py) against PostgreSQL, or record why it could not run."""
    if isinstance(server, postgres.PostgresUnavailable):
        probe.record(rules.unavailable("PostgreSQL", str(server)))
        return
    try:
        with routed_to(POSTGRESQL):
            orm_probe(OnPostgresql(probe, server), *args)
    finally:
        # sync_to_async ran the ORM in asgiref's shared thread, which keeps its own connection open; the
        # test database can only be dropped at the end once no session uses it.
        asyncio.run(sync_to_async(connections.close_all)())


@pytest.mark.probe("postgresql.sync-guard")
def test_sync_guard_on_postgresql(probe, postgresql, monkeypatch):
    on_postgresql(probe, postgresql, orm.test_sync_guard, monkeypatch)


@pytest.mark.probe("postgresql.queryset-async")
def test_queryset_async_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.test_queryset_async)


@pytest.mark.probe("postgresql.async-iteration")
def test_async_iteration_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.test_async_iteration)


@pytest.mark.probe("postgresql.model-methods")
def test_model_methods_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.test_model_methods)


@pytest.mark.probe("postgresql.related-managers")
def test_related_managers_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.test_related_managers)


@pytest.mark.probe("postgresql.transactions")
def test_transactions_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.test_transactions)

"""The ORM probes of test_orm.py (orm_observations.py) again, with every query routed to a real PostgreSQL server started by the harness.

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

from contract.states import Verdict
from harness.observers import orm as orm
from harness.processes import postgres
from harness.recorder import ProbeRun
from harness.rules import database as rules

# Every alias that exists: "default" (SQLite) for pytest-django's bookkeeping, "postgresql" when the server runs.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@contextmanager
def routed_to(alias: str) -> Iterator[None]:
    """Send every query that names no database to `alias`, as a database router would (no settings change)."""

    def to_alias(*args: Any, **hints: Any) -> str:
        return alias

    with mock.patch.object(router, "db_for_read", to_alias), mock.patch.object(router, "db_for_write", to_alias):
        yield


def on_postgresql(probe: ProbeRun, server: Any, observe: Callable[..., Verdict], *args: Any) -> None:
    """Record `observe` (an ORM observation) run against PostgreSQL, with its driver's facts, or why it could not run."""
    if isinstance(server, postgres.PostgresUnavailable):
        probe.record(rules.unavailable("PostgreSQL", str(server)))
        return
    facts = {"database": "postgresql", **rules.driver_facts(connections[postgres.ALIAS].Database)}
    try:
        with routed_to(postgres.ALIAS):
            verdict = observe(*args)
    finally:
        # sync_to_async ran the ORM in asgiref's shared thread, which keeps its own connection open; the
        # test database can only be dropped at the end once no session uses it.
        asyncio.run(sync_to_async(connections.close_all)())
    probe.record(rules.on_database(verdict, facts, {"server_version": server.version}))


@pytest.mark.probe("postgresql.sync-guard")
def test_sync_guard_on_postgresql(probe, postgresql, monkeypatch):
    on_postgresql(probe, postgresql, orm.sync_guard, monkeypatch)


@pytest.mark.probe("postgresql.queryset-async")
def test_queryset_async_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.queryset_async)


@pytest.mark.probe("postgresql.async-iteration")
def test_async_iteration_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.async_iteration)


@pytest.mark.probe("postgresql.model-methods")
def test_model_methods_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.model_methods)


@pytest.mark.probe("postgresql.related-managers")
def test_related_managers_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.related_managers)


@pytest.mark.probe("postgresql.transactions")
def test_transactions_on_postgresql(probe, postgresql):
    on_postgresql(probe, postgresql, orm.transactions)

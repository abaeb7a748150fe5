"""The ORM from async code: the sync-only guard (3.0), the async QuerySet API (4.1), model and related-manager
methods (4.2), and async transactions; native or threaded by the thread that ran the SQL.

The observations live in orm_observations.py, which test_postgresql.py runs again on PostgreSQL.
https://docs.djangoproject.com/en/stable/topics/async/#queries-the-orm
"""

from __future__ import annotations

import pytest

from harness.observers import orm as orm

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.mark.probe("orm.sync-guard")
def test_sync_guard(probe, monkeypatch):
    probe.record(orm.sync_guard(monkeypatch))


@pytest.mark.probe("orm.queryset-async")
def test_queryset_async(probe):
    probe.record(orm.queryset_async())


@pytest.mark.probe("orm.async-iteration")
def test_async_iteration(probe):
    probe.record(orm.async_iteration())


@pytest.mark.probe("orm.model-methods")
def test_model_methods(probe):
    probe.record(orm.model_methods())


@pytest.mark.probe("orm.related-managers")
def test_related_managers(probe):
    probe.record(orm.related_managers())


@pytest.mark.probe("orm.transactions")
def test_transactions(probe):
    probe.record(orm.transactions())

"""Has Django started deprecating sync-only APIs? Sync APIs used from async code, with every warning recorded.

https://docs.djangoproject.com/en/stable/internals/deprecation/
"""

from __future__ import annotations

import asyncio
import warnings

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import authenticate
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache.backends.locmem import LocMemCache
from django.core.paginator import Paginator
from django.dispatch import Signal

from contract.evidence import scrub
from harness.rules import apis as rules
from project.probes.models import Author

pytestmark = pytest.mark.usefixtures("transactional_db")


def sync_apis() -> dict[str, object]:
    """Sync APIs that async code commonly reaches through sync_to_async, by name; each runs a real operation."""
    cache = LocMemCache("deprecation-probe", {})
    signal = Signal()

    signal.connect(lambda sender, **kwargs: None, weak=False)
    return {
        "QuerySet.count": lambda: Author.objects.count(),
        "Model.save": lambda: Author(name="saved").save(),
        "Paginator.page": lambda: list(Paginator(Author.objects.order_by("pk"), 2).page(1)),
        "cache.set": lambda: cache.set("key", "value"),
        "cache.get": lambda: cache.get("key"),
        "SessionStore.save": lambda: SessionStore().save(),
        "authenticate": lambda: authenticate(None, username="nobody", password="wrong"),
        "Signal.send": lambda: signal.send(sender=None),
    }


def is_sync_deprecation(warning: warnings.WarningMessage) -> bool:
    """A Django deprecation (its own warning classes) whose message is about sync or async use."""
    category = warning.category
    return (
        issubclass(category, (DeprecationWarning, PendingDeprecationWarning))
        and category.__module__.startswith("django")
        and "sync" in str(warning.message).lower()
    )


@pytest.mark.probe("deprecation.sync-only")
def test_sync_only_deprecations(probe):
    apis = sync_apis()

    async def use_all() -> None:
        for use in apis.values():
            await sync_to_async(use)()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(use_all())
    found = sorted({scrub(f"{w.category.__name__}: {w.message}") for w in caught if is_sync_deprecation(w)})
    probe.record(rules.sync_deprecations(found, list(apis)))

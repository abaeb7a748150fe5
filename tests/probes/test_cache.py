"""The async cache API (Django 4.0) on the local-memory backend: native or threaded by the thread holding its lock.

https://docs.djangoproject.com/en/stable/topics/cache/#asynchronous-support
"""

from __future__ import annotations

import pytest
from django.core.cache.backends.locmem import LocMemCache

from harness.asyncapis import Api, expect, observe
from harness.rules import apis as rules
from harness.work import NotingLock


def noting_cache() -> LocMemCache:
    """A private LocMemCache whose every read and write notes its thread (all of them hold `_lock`)."""
    cache = LocMemCache("async-api-probe", {})
    cache._lock = NotingLock(cache._lock)
    return cache


@pytest.mark.probe("cache.async-api")
def test_cache_async_api(probe):
    cache = noting_cache()
    cache.set("counter", 1)

    async def aget(method) -> None:
        expect(await method("counter") == 1, "aget() did not return the stored value")

    apis = [
        Api("aset", cache, lambda aset: aset("key", "value")),
        Api("aget", cache, aget),
        Api("aadd", cache, lambda aadd: aadd("added", 1)),
        Api("atouch", cache, lambda atouch: atouch("key")),
        Api("ahas_key", cache, lambda ahas_key: ahas_key("key")),
        Api("aget_or_set", cache, lambda aget_or_set: aget_or_set("other", 2)),
        Api("aincr", cache, lambda aincr: aincr("counter")),
        Api("adecr", cache, lambda adecr: adecr("counter")),
        Api("aset_many", cache, lambda aset_many: aset_many({"a": 1, "b": 2})),
        Api("aget_many", cache, lambda aget_many: aget_many(["a", "b"])),
        Api("adelete_many", cache, lambda adelete_many: adelete_many(["a", "b"])),
        Api("aincr_version", cache, lambda aincr_version: aincr_version("key")),
        Api("adelete", cache, lambda adelete: adelete("added")),
        Api("aclear", cache, lambda aclear: aclear()),
    ]
    probe.record(rules.async_apis(observe(apis)))

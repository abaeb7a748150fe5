"""The async cache API (Django 4.0) on each built-in cache backend: per method, the thread of its work and the loop
stall, with the backend's I/O slowed by DELAY on purpose (files, SQL statements, a delaying proxy in front of real
Redis and memcached servers), so I/O on the loop shows.

https://docs.djangoproject.com/en/stable/topics/cache/#asynchronous-support
"""

from __future__ import annotations

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command

from harness.observers.backends import importable, observe_cache
from harness.observers.delays import DELAY, DelayProxy, NotingClient, slow_files
from harness.observers.work import NotingLock, sql_work
from harness.processes.cacheservers import CacheServerUnavailable
from harness.rules import apis as rules
from harness.rules import cache as cache_rules

REDIS = "django.core.cache.backends.redis.RedisCache"
MEMCACHED = "django.core.cache.backends.memcached.PyMemcacheCache"


@pytest.mark.probe("cache.locmem")
def test_cache_locmem(probe):
    """In memory, no I/O to slow: the work is holding the cache's lock, noted with its thread."""
    cache = LocMemCache("async-api-probe", {})
    cache._lock = NotingLock(cache._lock)
    probe.record(rules.async_apis(observe_cache(cache, 0.0)))


@pytest.mark.probe("cache.file")
def test_cache_file(probe, tmp_path):
    with slow_files(tmp_path, DELAY):
        probe.record(rules.async_apis(observe_cache(FileBasedCache(str(tmp_path), {}), DELAY)))


@pytest.mark.probe("cache.db")
@pytest.mark.usefixtures("transactional_db")
def test_cache_db(probe):
    call_command("createcachetable", "probe_cache", verbosity=0)
    with sql_work(DELAY):
        probe.record(rules.async_apis(observe_cache(DatabaseCache("probe_cache", {}), DELAY)))


def on_server(probe, request, backend: str, server_fixture: str, location: str) -> None:
    """Record the async API of `backend` against a real server behind a delaying proxy, or why it could not run."""
    backend_class = importable(backend)
    if backend_class is None:
        probe.record(cache_rules.backend_absent(backend))
        return
    server = request.getfixturevalue(server_fixture)
    if isinstance(server, CacheServerUnavailable):
        probe.record(cache_rules.server_unavailable(backend, str(server)))
        return
    with DelayProxy(str(server.socket_path), DELAY) as proxy:
        cache = backend_class(location.format(port=proxy.port), {})
        cache._cache = NotingClient(cache._cache)  # the client every method of the backend calls
        try:
            observation = observe_cache(cache, DELAY)
        finally:
            cache.close()
    probe.record(rules.async_apis(observation))


@pytest.mark.probe("cache.redis")
def test_cache_redis(probe, request):
    on_server(probe, request, REDIS, "redis_server", "redis://127.0.0.1:{port}")


@pytest.mark.probe("cache.memcached")
def test_cache_memcached(probe, request):
    on_server(probe, request, MEMCACHED, "memcached_server", "127.0.0.1:{port}")

"""The cache-backend rules: a missing backend is absent, a missing server is not-run (never absent)."""

from __future__ import annotations

from contract.states import State
from harness.rules.cache import backend_absent, server_unavailable

REDIS = "django.core.cache.backends.redis.RedisCache"


def test_a_backend_the_release_lacks_is_absent():
    verdict = backend_absent(REDIS)
    assert verdict.state is State.ABSENT
    assert verdict.facts == {"backend": REDIS, "backend_exists": False}
    assert REDIS in verdict.reason


def test_a_server_that_could_not_start_is_not_run_with_the_fix():
    verdict = server_unavailable(REDIS, "no redis-server on PATH. Fix: apt-get install redis-server")
    assert verdict.state is State.NOT_RUN
    assert "apt-get install redis-server" in verdict.reason
    assert verdict.facts == {"backend": REDIS}

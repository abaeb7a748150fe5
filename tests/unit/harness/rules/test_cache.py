"""The cache-backend rules: a missing backend is absent, a missing server is not-run (never absent)."""

from __future__ import annotations

from contract.states import State
from harness.rules.cache import backend_absent, server_unavailable, task_isolation

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


def test_task_isolation_in_every_state():
    # 3.0.3 kept one cache object per thread: two tasks on the loop's thread shared it (#31253).
    shared = task_isolation(True, 2, 1)
    assert shared.state is State.BROKEN
    assert shared.reason == "2 concurrent tasks on one loop shared 1 cache object(s): one connection for all of them"
    assert task_isolation(True, 2, 2).state is State.NATIVE
    raised = task_isolation(True, 2, 0, "KeyError: 'default'")
    assert (raised.state, raised.reason) == (State.BROKEN, "caches[alias] raised in a task: KeyError: 'default'")
    assert task_isolation(False, 2, 0).state is State.ABSENT

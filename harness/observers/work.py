"""Note which thread did a probe's real work in Django: SQL statements, cache lock holds, template lookups, sent mail.

The notes go to harness/observers/worklog.py's WORK log; probes compare these thread idents with the event loop's thread
(harness/rules/apis.py decides).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.mail.backends import locmem
from django.db.backends.utils import CursorWrapper

from harness.observers.worklog import WORK


def note_work() -> str:
    """A template variable or form hook that notes its thread; returns text so templates can render it."""
    WORK.note()
    return "noted"


@contextmanager
def sql_work(delay: float = 0.0) -> Iterator[None]:
    """Note the thread of every SQL statement, whichever thread's connection runs it; with `delay` (seconds), sleep
    that long in each statement first, on the thread that runs it, as a slow database server would make it wait.

    django.db.connections is per thread, so `connection.execute_wrapper()` on the probe's connection would miss the
    queries that sync_to_async runs in a worker thread on that thread's own connection. Every cursor of every backend
    goes through CursorWrapper._execute_with_wrappers (Django 2.0+), so patching the class sees them all.
    """
    original = CursorWrapper._execute_with_wrappers

    def noting(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
        WORK.note()
        if delay:
            time.sleep(delay)
            WORK.delayed(delay)
        return original(self, *args, **kwargs)

    with mock.patch.object(CursorWrapper, "_execute_with_wrappers", noting):
        yield


class NotingLock:
    """Wraps a lock and notes the thread of each holder: LocMemCache does all its work under `with self._lock`."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock

    def __enter__(self) -> Any:
        WORK.note()
        return self._lock.__enter__()

    def __exit__(self, *exc_info: Any) -> Any:
        return self._lock.__exit__(*exc_info)


class NotingEmailBackend(locmem.EmailBackend):
    """The locmem backend (mail.outbox), noting the thread that sends."""

    def send_messages(self, messages: Any) -> int:
        WORK.note()
        return int(super().send_messages(messages))


class NotingPasswordHasher(MD5PasswordHasher):
    """A fast hasher (hashing cost is not what the probes measure) that notes the thread checking a password."""

    def verify(self, password: str, encoded: str) -> bool:
        WORK.note()
        return bool(super().verify(password, encoded))

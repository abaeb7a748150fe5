"""The async session store API (Django 5.1) on each built-in session backend: per method, the thread of its I/O and
the loop stall, with that I/O slowed by DELAY on purpose (SQL statements, files), so I/O on the loop shows.

https://docs.djangoproject.com/en/stable/releases/5.1/#django-contrib-sessions
https://docs.djangoproject.com/en/stable/topics/http/sessions/#configuring-the-session-engine
"""

from __future__ import annotations

import contextlib
from unittest import mock

import pytest
from django.contrib.sessions.backends import cache, cached_db, db, file, signed_cookies
from django.core import signing

from harness.observers.backends import observe_sessions
from harness.observers.delays import DELAY, slow_files
from harness.observers.work import note_work, sql_work
from harness.rules import apis as rules

pytestmark = pytest.mark.usefixtures("transactional_db")

SESSIONS_CACHE = "probe-sessions"


@pytest.fixture
def file_cache(settings, tmp_path):
    """A file-based cache as the sessions' cache (real I/O on every release), and its folder."""
    folder = tmp_path / "session-cache"
    settings.CACHES = {
        **settings.CACHES,
        SESSIONS_CACHE: {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(folder)},
    }
    settings.SESSION_CACHE_ALIAS = SESSIONS_CACHE
    return folder


@pytest.mark.probe("sessions.db")
def test_sessions_db(probe):
    with sql_work(DELAY):
        probe.record(rules.async_apis(observe_sessions(db.SessionStore, DELAY)))


@pytest.mark.probe("sessions.cache")
def test_sessions_cache(probe, file_cache):
    with slow_files(file_cache, DELAY):
        observation = observe_sessions(cache.SessionStore, DELAY, {"cache_backend": "FileBasedCache"})
    probe.record(rules.async_apis(observation))


@pytest.mark.probe("sessions.cached-db")
def test_sessions_cached_db(probe, file_cache):
    with slow_files(file_cache, DELAY), sql_work(DELAY):
        observation = observe_sessions(cached_db.SessionStore, DELAY, {"cache_backend": "FileBasedCache"})
    probe.record(rules.async_apis(observation))


@pytest.mark.probe("sessions.file")
def test_sessions_file(probe, settings, tmp_path, monkeypatch):
    settings.SESSION_FILE_PATH = str(tmp_path)
    monkeypatch.delattr(file.SessionStore, "_storage_path", raising=False)  # the class caches the setting
    with slow_files(tmp_path, DELAY):
        probe.record(rules.async_apis(observe_sessions(file.SessionStore, DELAY)))


@pytest.mark.probe("sessions.signed-cookies")
def test_sessions_signed_cookies(probe):
    """No I/O at all: the session is the cookie. The work is signing it, noted in signing.dumps/loads."""

    def noting(function):
        def wrapper(*args, **kwargs):
            note_work()
            return function(*args, **kwargs)

        return wrapper

    with contextlib.ExitStack() as stack:
        for name in ("dumps", "loads"):
            stack.enter_context(mock.patch.object(signing, name, noting(getattr(signing, name))))
        probe.record(rules.async_apis(observe_sessions(signed_cookies.SessionStore, 0.0)))

"""Which thread did the work: SQL statements (slowed on request), lock holds, sent mail, password checks, templates.

The tools env has no Django (the probe envs have it), so harness/observers/work.py is imported against stand-ins of the three
Django classes it builds on (tests/unit/harness/stubs.py), each keeping the contract work.py relies on: every
statement of every cursor goes through CursorWrapper._execute_with_wrappers, the locmem backend returns how many
messages it sent, the MD5 hasher answers verify(). That Django keeps that contract, the probes show on each release.
"""

from __future__ import annotations

import threading
import time

import pytest

from harness.observers.worklog import WORK
from tests.unit.harness.stubs import fresh_import, install

DELAY = 0.05


class CursorWrapper:
    """Django's cursor wrapper: each execute()/executemany() runs through _execute_with_wrappers."""

    def execute(self, sql, params=None):
        return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)

    def _execute_with_wrappers(self, sql, params, many, executor):
        return executor(sql, params, many, {"cursor": self})

    def _execute(self, sql, params, many, context):
        return f"ran {sql}"


class EmailBackend:
    outbox: list[str] = []

    def send_messages(self, messages):
        self.outbox.extend(messages)
        return len(messages)


class MD5PasswordHasher:
    def verify(self, password, encoded):
        return encoded == "md5$" + password


@pytest.fixture
def work(monkeypatch):
    """harness/observers/work.py on the stand-ins."""
    install(monkeypatch, "django.db.backends.utils", CursorWrapper=CursorWrapper)
    install(monkeypatch, "django.core.mail.backends.locmem", EmailBackend=EmailBackend)
    install(monkeypatch, "django.contrib.auth.hashers", MD5PasswordHasher=MD5PasswordHasher)
    return fresh_import("harness.observers.work")


def _on_a_thread(function):
    """Run `function` on a new thread; its result and the thread's ident."""
    result = {}
    worker = threading.Thread(target=lambda: result.update(value=function()))
    worker.start()
    worker.join()
    return result["value"], worker.ident


def test_note_work_notes_the_calling_thread_and_renders_text(work):
    mark = WORK.mark()
    assert work.note_work() == "noted"
    assert WORK.since(mark) == (threading.get_ident(),)


def test_sql_work_notes_the_thread_of_every_statement_whichever_connection_runs_it(work):
    mark = WORK.mark()
    with work.sql_work():
        assert CursorWrapper().execute("SELECT 1") == "ran SELECT 1"  # the statement still runs, unchanged
        result, worker = _on_a_thread(lambda: CursorWrapper().execute("SELECT 2"))
    assert result == "ran SELECT 2"
    assert WORK.since(mark) == (threading.get_ident(), worker)
    assert WORK.delayed_ms_since(mark) == 0.0


def test_sql_work_with_a_delay_sleeps_in_each_statement_on_its_thread(work):
    mark = WORK.mark()
    with work.sql_work(DELAY):
        started = time.monotonic()
        CursorWrapper().execute("SELECT 1")
        CursorWrapper().execute("SELECT 2")
        took = time.monotonic() - started
    assert took >= 2 * DELAY
    assert WORK.delayed_ms_since(mark) == 2 * DELAY * 1000


def test_sql_work_restores_the_cursor_after_the_block_even_after_an_error(work):
    original = CursorWrapper._execute_with_wrappers
    with pytest.raises(RuntimeError), work.sql_work():
        assert CursorWrapper._execute_with_wrappers is not original
        raise RuntimeError("the probe failed")
    assert CursorWrapper._execute_with_wrappers is original
    mark = WORK.mark()
    CursorWrapper().execute("SELECT 1")
    assert WORK.since(mark) == ()  # outside the block nothing is noted


def test_noting_lock_notes_each_holder_and_holds_the_lock(work):
    lock = threading.Lock()
    noting = work.NotingLock(lock)
    mark = WORK.mark()
    with noting:
        assert lock.locked()
    assert not lock.locked()

    def hold():
        with noting:
            return lock.locked()

    held, worker = _on_a_thread(hold)
    assert held
    assert WORK.since(mark) == (threading.get_ident(), worker)


def test_noting_lock_passes_an_exception_through(work):
    lock = threading.RLock()
    with pytest.raises(KeyError), work.NotingLock(lock):
        raise KeyError("missing")
    assert lock.acquire(blocking=False)  # released on the way out
    lock.release()


def test_noting_email_backend_notes_the_sending_thread_and_counts_the_messages(work):
    mark = WORK.mark()
    assert work.NotingEmailBackend().send_messages(["hello", "again"]) == 2
    assert EmailBackend.outbox[-2:] == ["hello", "again"]
    assert WORK.since(mark) == (threading.get_ident(),)


def test_noting_password_hasher_notes_the_checking_thread_and_answers_the_check(work):
    hasher = work.NotingPasswordHasher()
    mark = WORK.mark()
    assert hasher.verify("secret", "md5$secret") is True
    ok, worker = _on_a_thread(lambda: hasher.verify("guess", "md5$secret"))
    assert ok is False
    assert WORK.since(mark) == (threading.get_ident(), worker)

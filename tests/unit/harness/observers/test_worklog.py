"""The work log keeps each piece of work's thread and each injected delay, per marked block."""

from __future__ import annotations

import threading

from harness.observers.worklog import WorkLog


def test_since_a_mark_only_the_later_threads_and_delays():
    log = WorkLog()
    log.note(7)
    log.delayed(0.5)
    mark = log.mark()
    log.note()
    log.delayed(0.1)
    log.delayed(0.025)
    assert log.since(mark) == (threading.get_ident(),)
    assert log.delayed_ms_since(mark) == 125.0


def test_notes_from_other_threads_are_kept():
    log = WorkLog()
    mark = log.mark()
    worker = threading.Thread(target=log.note)
    worker.start()
    worker.join()
    assert log.since(mark) == (worker.ident,)
    assert log.delayed_ms_since(mark) == 0.0

"""Named async APIs called in one fresh event loop: found or not, what each raised, the threads of its work, the
delay injected into it and how long it stalled the loop.

Stalls are asserted as lower bounds only (a loop blocked for BLOCK cannot stall for less), as in test_stall.py.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from types import SimpleNamespace

import pytest

from harness.observers import asyncapis
from harness.observers.asyncapis import Api, expect, lookup, observe, run
from harness.observers.stall import INTERVAL, run_queue_clock
from harness.observers.worklog import WORK

BLOCK = 0.1  # seconds an API blocks the loop's thread
AT_LEAST = (BLOCK - INTERVAL) * 1000


@pytest.fixture(autouse=True)
def short_noise_window(monkeypatch):
    """The meter's idle noise over 10 ms rather than the probes' 100 ms: the tests assert no noise."""
    monkeypatch.setattr(asyncapis, "NOISE_WINDOW", 0.01)


class Store:
    """An owner of async APIs: one works on the loop, one hands its work to a thread, one blocks the loop."""

    async def aload(self) -> str:
        WORK.note()
        return "loaded"

    async def asave(self) -> None:
        await asyncio.to_thread(WORK.note)

    async def ablock(self) -> None:
        WORK.note()
        time.sleep(BLOCK)
        WORK.delayed(BLOCK)

    async def aexists(self) -> bool:
        return False

    async def afail(self) -> None:
        raise ValueError("the store is read-only")

    nested = SimpleNamespace(aget=aload)


async def call(method):
    return await method()


async def exists(aexists):
    expect(await aexists(), "aexists() said no")


@pytest.fixture(scope="module")
def observed():
    """One observation of every kind of API, in a known order, the thread that asked for it, and how long (ms) that
    thread waited for a CPU meanwhile: the meter takes such waits off a stall, so a busy machine (the other
    self-tests) lowers a stall's floor by that much."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(asyncapis, "NOISE_WINDOW", 0.01)
        store = Store()
        apis = [
            Api("aload", store, call),
            Api("asave", store, call),
            Api("ablock", store, call),
            Api("afail", store, call),
            Api("acount", store, call),  # this release has none
            Api("aload", store, lambda aload: aload(), label="aload (again)"),
            Api("aexists", store, exists),
        ]
        waited, release = run_queue_clock()
        before = waited()
        try:
            observation = observe(apis, {"backend": "tests.Store"}, delay=0.1)
            return observation, threading.get_ident(), (waited() - before) * 1000
        finally:
            release()


def _call(observation, name):
    return next(call for call in observation.calls if call.name == name)


def test_calls_are_listed_in_order_under_their_labels(observed):
    observation, *_ = observed
    names = ["aload", "asave", "ablock", "afail", "acount", "aload (again)", "aexists"]
    assert [call.name for call in observation.calls] == names


def test_the_loop_runs_on_the_calling_thread(observed):
    observation, caller, _ = observed
    assert observation.loop_thread == caller


def test_work_on_the_loop_names_the_loop_thread(observed):
    observation, *_ = observed
    assert _call(observation, "aload").work_threads == (observation.loop_thread,)


def test_work_handed_to_a_thread_names_that_thread(observed):
    observation, *_ = observed
    (worker,) = _call(observation, "asave").work_threads
    assert worker != observation.loop_thread


def test_an_api_that_blocks_the_loop_stalls_it_and_its_delay_is_counted(observed):
    observation, _, waited_ms = observed
    blocking = _call(observation, "ablock")
    assert blocking.stall_ms >= AT_LEAST - waited_ms
    assert blocking.delayed_ms == BLOCK * 1000
    assert _call(observation, "aload").delayed_ms == 0.0  # each call counts only its own delays


def test_what_a_found_api_raises_is_its_error_and_the_next_api_still_runs(observed):
    observation, *_ = observed
    failing = _call(observation, "afail")
    assert (failing.found, failing.error) == (True, "ValueError: the store is read-only")
    assert _call(observation, "aload (again)").work_threads == (observation.loop_thread,)  # ran after it


def test_a_failed_expectation_is_the_apis_error(observed):
    observation, *_ = observed
    assert _call(observation, "aexists").error == "AssertionError: aexists() said no"


def test_an_api_the_owner_lacks_is_not_found_and_not_called(observed):
    observation, *_ = observed
    missing = _call(observation, "acount")
    assert (missing.found, missing.error, missing.work_threads, missing.stall_ms) == (False, None, (), 0.0)


def test_context_delay_and_noise_go_into_the_observation(observed):
    observation, *_ = observed
    assert observation.context == {"backend": "tests.Store"}
    assert observation.delay_ms == 100.0
    assert observation.noise_ms >= 0.0


def test_the_collector_is_paused_during_the_calls_and_back_on_after():
    states = []

    async def note_gc(method):
        states.append(gc.isenabled())

    gc.enable()
    observe([Api("aload", Store(), note_gc)])
    assert states == [False]
    assert gc.isenabled()


def test_no_context_is_an_empty_one_and_no_delay_is_zero():
    observation = observe([Api("aload", Store(), call)])
    assert (observation.context, observation.delay_ms) == ({}, 0.0)


def test_lookup_follows_a_dotted_name():
    store = Store()
    assert lookup(store, "aload") == store.aload
    assert lookup(store, "nested.aget") is Store.aload
    assert lookup(store, "nested.acount") is None
    assert lookup(store, "missing.aget") is None


def test_run_gives_the_result_and_the_loops_thread():
    async def answer():
        asyncio.get_running_loop()  # raises unless a loop runs it
        return 42

    assert run(answer) == (42, threading.get_ident())


def test_expect_passes_silently_or_raises_its_message():
    expect(True, "never raised")
    with pytest.raises(AssertionError, match="^aget\\(\\) did not return the saved value$"):
        expect(False, "aget() did not return the saved value")

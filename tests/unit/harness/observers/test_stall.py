"""The stall meter sees a loop blocked on its own thread, clips stalls to the block measured, and its contract holds.

Only lower bounds of real stalls are asserted (a blocked loop cannot stall for less than it was blocked); the one
upper bound leaves a margin of a whole blocking period.
"""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from harness.observers.stall import INTERVAL, StallMeter, paused_gc, run_queue_clock

BLOCK = 0.1  # seconds the loop thread is blocked
# The heartbeat is due up to one INTERVAL after the block starts, so its lateness is at least the block minus that.
AT_LEAST = (BLOCK - INTERVAL) * 1000


def run(coroutine):
    return asyncio.run(coroutine())


@pytest.mark.parametrize("heartbeat_wakes", [True, False], ids=["recorded", "still-in-progress"])
def test_a_blocked_loop_stalls_at_least_as_long_as_the_block(heartbeat_wakes):
    run_queue = RunQueue()

    async def main():
        async with StallMeter(clock=run_queue.clock) as meter:
            await asyncio.sleep(0.01)
            mark = meter.mark()
            time.sleep(BLOCK)
            if heartbeat_wakes:
                await asyncio.sleep(0.01)  # the heartbeat wakes, late, and records it
            return meter.since(mark)  # else read before the heartbeat could wake: the stall in progress counts

    assert run(main) >= AT_LEAST - run_queue.real_ms


def test_a_stall_before_the_mark_does_not_count():
    async def main():
        async with StallMeter() as meter:
            await asyncio.sleep(0.01)
            time.sleep(3 * BLOCK)
            mark = meter.mark()
            return meter.since(mark)

    assert run(main) < 3 * BLOCK * 1000


def test_idle_noise_is_a_lateness_in_ms():
    async def main():
        async with StallMeter() as meter:
            return await meter.idle_noise(0.05)

    assert run(main) >= 0.0


def test_readable_after_stop():
    run_queue = RunQueue()

    async def main():
        meter = StallMeter(clock=run_queue.clock)
        meter.start()
        mark = meter.mark()
        time.sleep(BLOCK)
        await asyncio.sleep(0.01)
        await meter.stop()
        await meter.stop()  # stopping twice is harmless
        return meter.since(mark)

    assert run(main) >= AT_LEAST - run_queue.real_ms


class RunQueue:
    """The loop thread's run-queue clock with a wait the test adds: the thread waited for a CPU that much longer.

    The real wait stays in, so that a busy machine (the other self-tests) starving the thread is taken off as it is
    in a probe, and only the added wait is the test's. `real_ms`, once the meter is stopped, is that real wait: it
    lowers a stall's floor by as much."""

    def __init__(self) -> None:
        self.waited = 0.0
        self.released = 0
        self.real_ms = 0.0

    def clock(self):
        real, release = run_queue_clock()
        start = real()

        def released() -> None:
            self.real_ms = (real() - start) * 1000
            release()
            self.released += 1

        return (lambda: real() + self.waited), released


@pytest.mark.parametrize("heartbeat_wakes", [True, False], ids=["recorded", "still-in-progress"])
@pytest.mark.parametrize("queued", [0.0, 0.5, 1.0])
def test_the_wait_for_a_cpu_is_not_a_stall(heartbeat_wakes, queued):
    """A loop late only because its thread waited for a CPU (a starved machine) did not stall; the part of a
    lateness spent running or blocked does."""
    run_queue = RunQueue()

    async def main():
        async with StallMeter(clock=run_queue.clock) as meter:
            await asyncio.sleep(0.01)
            mark = meter.mark()
            time.sleep(BLOCK)
            run_queue.waited += queued * BLOCK  # that share of the block, the thread waited on a run queue
            if heartbeat_wakes:
                await asyncio.sleep(0.01)
            return meter.since(mark)

    stall = run(main)
    assert stall >= AT_LEAST - queued * BLOCK * 1000 - run_queue.real_ms
    assert stall < (1 - queued) * BLOCK * 1000 + 0.5 * BLOCK * 1000
    assert run_queue.released == 1


@pytest.mark.parametrize("heartbeat_wakes", [True, False], ids=["recorded", "still-in-progress"])
def test_a_wait_for_a_cpu_before_the_mark_is_not_taken_off_a_stall_after_it(heartbeat_wakes):
    """Calls measured one after another with no await between them give the heartbeat no chance to wake: the wait
    for a CPU during the earlier calls is not this one's. (On a loaded machine the thirteen session APIs, each
    blocking the loop 100-800 ms, read less and less stall, the last ones 7 ms of 100.)"""
    run_queue = RunQueue()

    async def main():
        async with StallMeter(clock=run_queue.clock) as meter:
            await asyncio.sleep(0.01)
            time.sleep(BLOCK)  # an earlier call: blocked, and the thread waited as long again for a CPU
            run_queue.waited += BLOCK
            mark = meter.mark()
            time.sleep(BLOCK)  # this call: blocked, no wait for a CPU
            if heartbeat_wakes:
                await asyncio.sleep(0.01)
            return meter.since(mark)

    assert run(main) >= AT_LEAST - run_queue.real_ms


def test_the_run_queue_clock_reads_the_threads_wait_in_seconds(tmp_path):
    schedstat = tmp_path / "schedstat"
    schedstat.write_text("123456 4500000000 7\n")
    waited, release = run_queue_clock(str(schedstat))
    assert waited() == 4.5
    schedstat.write_text("123456 4750000000 9\n")  # the same file, read again: the count as it is now
    assert waited() == 4.75
    release()


def test_without_the_kernels_count_no_wait_is_taken_off(tmp_path):
    waited, release = run_queue_clock(str(tmp_path / "missing"))
    assert waited() == 0.0
    release()


def test_the_default_clock_reads_this_thread_and_never_goes_back():
    waited, release = run_queue_clock()
    try:
        first = waited()
        time.sleep(0.01)  # a wake-up, which may wait for a CPU
        assert first >= 0.0
        assert waited() >= first
    finally:
        release()


def test_cannot_start_twice():
    async def main():
        async with StallMeter() as meter:
            meter.start()

    with pytest.raises(RuntimeError, match="already running"):
        run(main)


def test_cannot_read_before_start():
    with pytest.raises(RuntimeError, match="never started"):
        StallMeter().mark()


class Cycle:
    """Garbage only the collector frees: an object that refers to itself."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.parametrize("enabled", [True, False], ids=["was-on", "was-off"])
def test_paused_gc_keeps_the_collector_off_and_restores_it(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with paused_gc():
            assert not gc.isenabled()
            gc.collect()
            for _ in range(10 * gc.get_threshold()[0]):
                Cycle()
            assert gc.get_count()[0] >= 10 * gc.get_threshold()[0]  # no automatic collection ran meanwhile
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_paused_gc_turns_the_collector_back_on_after_an_error():
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("measured code failed")
    assert gc.isenabled()

"""Measure how long an event loop was blocked: a heartbeat task that wakes every INTERVAL and notes its lateness.

A coroutine that runs on the loop without awaiting (a PBKDF2 hash, a blocking socket read, a file open on a slow
disk) keeps the heartbeat from waking: the heartbeat's lateness is the loop stall. Work handed to another thread
(sync_to_async, run_in_executor) leaves the loop free and the heartbeat on time.

    async with StallMeter() as meter:
        noise = await meter.idle_noise()  # the meter's own lateness with nothing else to do
        mark = meter.mark()
        await some_api()
        stall = meter.since(mark)  # the longest stall since the mark, in ms

A stall still in progress counts: `since` adds how late the heartbeat is right now, so a call that blocked the
loop and returned before the heartbeat could wake is still measured.

A stall is the loop's own, not the machine's: the time the loop thread waited for a CPU while it could have run
(the run-queue wait Linux keeps per thread in /proc/thread-self/schedstat) is taken off each lateness. On 2 cores
shared with a dozen other processes, a free loop's heartbeat can be 100 ms late while it only waits its turn; a
loop held by sync code (a hash, a sleep, a blocking read) stays late by the time that code ran or waited itself.
Where the kernel keeps no such count, nothing is taken off.

The garbage collector stops every thread while it runs: a full collection of a process that has imported Django and
pytest takes 70 ms on this machine, and more on busy cores, whichever thread triggered it. `paused_gc()` keeps the
collector off during a measurement, as `timeit` does, so a stall is the measured code's, not the collector's (the
garbage waits for the next collection after it). Use it around in-process measurements; a server's meter measures
the server as it runs.

Threading contract: a meter measures the loop it was started on, and every method must be called from that loop's
thread (the heartbeat's bookkeeping is not locked). Start it inside a coroutine (`start()` or `async with`), read
it from coroutines or callbacks on the same loop, and stop it before the loop closes. Runs on Python 3.7+ and on any
asyncio-compatible loop (uvloop included).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

INTERVAL = 0.002  # seconds between heartbeats
IDLE_NOISE_WINDOW = 0.2  # seconds of idle loop over which `idle_noise` measures the meter's own lateness
RETENTION = 600.0  # seconds of beats kept: a mark older than that sees only the newest RETENTION seconds
MARKS = 1000  # marks whose run-queue wait is kept (a server's meter is marked once per measured request)
SCHEDSTAT = "/proc/thread-self/schedstat"  # "<ns on a CPU> <ns waiting on a run queue> <timeslices>"


def run_queue_clock(path: str = SCHEDSTAT) -> tuple[Callable[[], float], Callable[[], None]]:
    """For the calling thread: a function giving its total run-queue wait in seconds, and one that releases it.

    The wait is the time the thread was ready to run but no CPU was free. Without the kernel's count (not Linux, or a
    kernel built without it) the wait reads 0.0 forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return lambda: 0.0, lambda: None

    def waited() -> float:
        return int(os.pread(fd, 64, 0).split()[1]) / 1e9

    return waited, lambda: os.close(fd)


class StallMeter:
    """The longest lateness of a heartbeat on the running loop, less its wait for a CPU, per block of code
    (mark/since), in ms.

    `clock`: made on the loop's thread by `start()`, it gives that thread's run-queue wait in seconds and a release
    (run_queue_clock, the default; tests pass their own).
    """

    def __init__(
        self,
        interval: float = INTERVAL,
        clock: Callable[[], tuple[Callable[[], float], Callable[[], None]]] = run_queue_clock,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._waited: Callable[[], float] = lambda: 0.0
        self._release: Callable[[], None] = lambda: None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._expected = 0.0  # loop time at which the heartbeat should wake next
        self._waited_at_wake = 0.0  # the loop thread's run-queue wait when the heartbeat last woke
        # (expected, woke, run-queue wait at the previous wake, at this wake) per heartbeat, loop time and seconds,
        # oldest first; bounded so a meter may run for a server's life
        self._beats: deque[tuple[float, float, float, float]] = deque(maxlen=int(RETENTION / interval))
        # the run-queue wait at each mark, newest last: a wait before the mark is not taken off a stall after it
        self._marks: dict[float, float] = {}

    def start(self) -> None:
        """Start the heartbeat on the running loop (call from a coroutine on that loop)."""
        if self._task is not None:
            raise RuntimeError("the stall meter is already running")
        self._loop = asyncio.get_running_loop()
        self._waited, self._release = self._clock()
        self._waited_at_wake = self._waited()
        self._expected = self._loop.time() + self.interval
        self._task = self._loop.create_task(self._beat())

    async def stop(self) -> None:
        """Stop the heartbeat and wait for it to end; the beats it took stay readable."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._release()

    async def __aenter__(self) -> StallMeter:
        self.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.stop()

    def mark(self) -> float:
        """A point in loop time to measure from."""
        mark = self._running_loop().time()
        self._marks[mark] = self._waited()
        while len(self._marks) > MARKS:
            del self._marks[next(iter(self._marks))]
        return mark

    def since(self, mark: float) -> float:
        """The longest loop stall between `mark` and now, in ms (lateness before the mark does not count), each
        lateness less the loop thread's wait for a CPU meanwhile (since the mark, for the lateness the mark cuts)."""
        now = self._running_loop().time()
        at_mark = self._marks.get(mark, 0.0)  # a mark this meter did not give (or long forgotten): its last wake's
        longest = 0.0
        if self._task is not None:
            longest = now - max(self._expected, mark) - (self._waited() - max(self._waited_at_wake, at_mark))
        for expected, woke, waited_before, waited_after in reversed(self._beats):
            if woke < mark:
                break
            longest = max(longest, woke - max(expected, mark) - (waited_after - max(waited_before, at_mark)))
        return round(max(longest, 0.0) * 1000, 3)

    async def idle_noise(self, window: float = IDLE_NOISE_WINDOW) -> float:
        """The meter's own longest lateness (ms) over `window` seconds in which this coroutine only awaits a sleep.

        That is the floor below which a stall says nothing: timer resolution, the scheduler, a busy neighbour.
        """
        mark = self.mark()
        await asyncio.sleep(window)
        return self.since(mark)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the stall meter was never started")
        return self._loop

    async def _beat(self) -> None:
        loop = self._running_loop()
        while True:
            await asyncio.sleep(max(0.0, self._expected - loop.time()))
            woke, waited = loop.time(), self._waited()
            self._beats.append((self._expected, woke, self._waited_at_wake, waited))
            self._expected, self._waited_at_wake = woke + self.interval, waited


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Keep the garbage collector off until the block ends (it stays off if it was off before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

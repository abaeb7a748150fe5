"""The log of which thread did each piece of a probe's real work, and of the delays injected into that work.

harness/observers/work.py (Django's SQL, locks, mail ...) and harness/observers/delays.py (slowed files, a delaying proxy) write to it;
harness/observers/asyncapis.py reads it per API call. No Django import, so the harness's own tests can use it.

Threading contract: any thread may note (list.append is atomic); read from the thread that marked.
"""

from __future__ import annotations

import threading


class WorkLog:
    """Thread idents of pieces of work, in the order they happened, and the delays injected into them (seconds)."""

    def __init__(self) -> None:
        # list.append is atomic, so worker threads may note concurrently
        self.threads: list[int] = []
        self.delays: list[float] = []  # seconds, one entry per delayed operation

    def note(self, ident: int | None = None) -> None:
        self.threads.append(threading.get_ident() if ident is None else ident)

    def delayed(self, seconds: float) -> None:
        """Note that an operation was delayed by `seconds` (on whichever thread, or a proxy's)."""
        self.delays.append(seconds)

    def mark(self) -> tuple[int, int]:
        return len(self.threads), len(self.delays)

    def since(self, mark: tuple[int, int]) -> tuple[int, ...]:
        return tuple(self.threads[mark[0] :])

    def delayed_ms_since(self, mark: tuple[int, int]) -> float:
        """The delay injected since `mark`, in ms."""
        return round(sum(self.delays[mark[1] :]) * 1000, 3)


WORK = WorkLog()

"""Call a set of named async APIs in one event loop and observe each: found or not, what it raised, where it worked.

A probe lists `Api(name, owner, use)` entries; `observe` looks each dotted name up on its owner and, when found, awaits
`use(found)` while harness/observers/worklog.py notes the threads of the work (and the delay injected into it) and a
harness/observers/stall.py meter on the same loop measures how long the call stalled the loop. The rule in
harness/rules/apis.py turns the observation into a verdict.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contract.evidence import describe
from harness.observers.stall import StallMeter, paused_gc
from harness.observers.worklog import WORK
from harness.rules.apis import ApiCall, ApiObservation

NOISE_WINDOW = 0.1  # seconds of idle loop over which each probe measures the stall meter's own noise


@dataclass(frozen=True)
class Api:
    """`name` (dotted, e.g. "AsyncPaginator.acount") looked up on `owner`; `use` awaits a real call of what was found.

    `label` names the call in the evidence when one API is called in two ways ("aauthenticate (unknown user)").
    """

    name: str
    owner: Any
    use: Callable[[Any], Awaitable[Any]]
    label: str | None = None


def lookup(owner: Any, dotted: str) -> Any | None:
    for part in dotted.split("."):
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    return owner


def observe(apis: Sequence[Api], context: Mapping[str, Any] | None = None, delay: float = 0.0) -> ApiObservation:
    """Call every found API in order inside a fresh event loop (asyncio.run), noting the loop's thread and, with a
    stall meter on that loop, its idle noise first and then its longest stall during each call. The garbage collector
    is paused meanwhile (harness/observers/stall.py): its pauses stop every thread and would pass for the calls' stalls.

    `delay`: the seconds the probe injects into each I/O operation (harness/observers/delays.py, harness/observers/work.py sql_work), or
    0 when it injects none; the rule's stall threshold depends on it.
    """

    async def call_all() -> ApiObservation:
        async with StallMeter() as meter:
            noise = await meter.idle_noise(NOISE_WINDOW)
            calls = [await _call(api, meter) for api in apis]
        return ApiObservation(
            threading.get_ident(), tuple(calls), dict(context or {}), noise_ms=noise, delay_ms=round(delay * 1000, 3)
        )

    with paused_gc():
        return asyncio.run(call_all())


def run(coroutine: Callable[[], Awaitable[Any]]) -> tuple[Any, int]:
    """Await `coroutine()` in a fresh event loop; its result and the loop's thread."""

    async def main() -> tuple[Any, int]:
        return await coroutine(), threading.get_ident()

    return asyncio.run(main())


async def _call(api: Api, meter: StallMeter) -> ApiCall:
    label = api.label or api.name
    found = lookup(api.owner, api.name)
    if found is None:
        return ApiCall(label, found=False)
    mark, started = WORK.mark(), meter.mark()
    error = None
    try:
        await api.use(found)
    except Exception as exc:  # what a found API raises is the observation (broken), not a probe crash
        error = describe(exc)
    return ApiCall(label, True, error, WORK.since(mark), meter.since(started), WORK.delayed_ms_since(mark))


def expect(condition: bool, message: str) -> None:
    """A semantic check inside `use`: an API that ran but did the wrong thing is reported as failing."""
    if not condition:
        raise AssertionError(message)
